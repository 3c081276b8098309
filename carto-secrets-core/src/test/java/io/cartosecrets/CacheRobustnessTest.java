package io.cartosecrets;

import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.testkit.FakeClock;
import io.cartosecrets.testkit.TestTokens;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link RefreshingTokenProvider} against misbehaving sources, clocks and shutdowns: each test is a
 * regression test for a failure found by an adversarial review.
 */
class CacheRobustnessTest {
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final List<CountDownLatch> toRelease = new ArrayList<>();

  @AfterEach
  void tearDown() {
    toRelease.forEach(CountDownLatch::countDown);
    pool.shutdownNow();
  }

  /** A store that returns a minted token, or throws what {@code thrower} says. */
  static final class ThrowingSource implements SecretProvider {
    final AtomicReference<String> value = new AtomicReference<>(TestTokens.apiAccessToken());
    final AtomicReference<RuntimeException> unchecked = new AtomicReference<>();
    final AtomicInteger fetches = new AtomicInteger();

    @Override
    public Secret fetch() {
      fetches.incrementAndGet();
      RuntimeException e = unchecked.get();
      if (e != null) {
        throw e;
      }
      return Secret.of(value.get(), description());
    }

    @Override
    public String description() {
      return "test:throwing";
    }
  }

  /**
   * Regression: a provider that throws an unchecked exception (an AWS SDK / Vault driver exception the
   * provider did not map, a bug, a DateTimeException from a bad JWT) is not treated as a failure:
   * runRefresh wraps it but never calls recordFailure, so there is no backoff, no REFRESH_FAILED
   * event, no failures metric and no log line. Between the refresh point and the stale point every
   * request starts a new fetch: the store is hammered once per request, silently.
   */
  @Test
  void uncheckedProviderFailure_isBackedOffAndReported() {
    FakeClock clock = new FakeClock();
    ThrowingSource source = new ThrowingSource();
    List<TokenEvent> events = new ArrayList<>();
    RefreshingTokenProvider p =
        RefreshingTokenProvider.builder(source)
            .clock(clock)
            .executor(Runnable::run)
            .backgroundRefresh(false)
            .refreshInterval(Duration.ofMinutes(5))
            .listener(events::add)
            .build();
    p.currentToken();
    assertThat(source.fetches.get()).isEqualTo(1);

    source.unchecked.set(new IllegalStateException("store SDK blew up"));
    clock.advance(Duration.ofMinutes(6)); // past the refresh point, before the stale point
    for (int i = 0; i < 100; i++) {
      p.currentToken(); // each call serves the current token
    }
    // A SecretUnavailableException from the same store is backed off (1 s doubling): a handful
    // of fetches at most. An unchecked one: 100 fetches in the same instant.
    assertThat(source.fetches.get() - 1).as("store calls during one instant").isLessThanOrEqualTo(2);
    assertThat(p.metrics().failures()).as("failures metric").isGreaterThan(0);
    assertThat(events).extracting(TokenEvent::type).contains(TokenEvent.Type.REFRESH_FAILED);
  }

  /**
   * Regression: a SecretProvider whose fetch hangs (custom provider, store SDK without a timeout,
   * blackholed TCP) must not wedge the cache: once the fetch is older than fetchTimeout it is
   * abandoned (recorded as a failure), and the next caller starts a new fetch.
   */
  @Test
  void hungFetch_doesNotWedgeTheCacheForever() throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    toRelease.add(never);
    AtomicInteger calls = new AtomicInteger();
    String token = TestTokens.apiAccessToken();
    SecretProvider source =
        new SecretProvider() {
          @Override
          public Secret fetch() {
            if (calls.incrementAndGet() == 1) {
              try {
                never.await(); // the first call hangs (until the test ends)
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
            return Secret.of(token, description()); // later calls: the store is healthy
          }

          @Override
          public String description() {
            return "test:hangs-once";
          }
        };
    RefreshingTokenProvider p =
        RefreshingTokenProvider.builder(source).fetchTimeout(Duration.ofMillis(300)).backgroundRefresh(false).build();

    pool.submit(p::currentToken);
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (calls.get() == 0 && System.nanoTime() < until) {
      Thread.onSpinWait();
    }
    // The store has recovered (any new fetch answers at once). Within a few fetch timeouts a
    // caller must get a token, and the first caller must have been released.
    CartoToken got = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    while (got == null && System.nanoTime() < deadline) {
      try {
        got = p.currentToken();
      } catch (SecretUnavailableException e) {
        // keeps failing with "did not answer within PT0.3S" while the dead fetch is in flight
      }
    }
    assertThat(calls.get()).as("store calls after the first hung").isGreaterThan(1);
    assertThat(got).as("token after the store recovered").isNotNull();
    assertThat(p.metrics().failures()).as("the abandoned fetch counts as a failure").isGreaterThanOrEqualTo(1);
    // The thread that ran the hung call stays inside the provider's code: a provider must bound its
    // own calls (every provider of this SDK does). Everyone else was released after fetchTimeout.
    p.close();
  }

  /**
   * Regression: intervals use the wall clock. After the wall clock steps back (NTP correction, VM
   * resume), {@code now - last.at} is negative, always below rejectionInterval, so a 401 for the
   * current token never reloads until the clock catches up: a rotated token is not picked up and
   * the request fails.
   */
  @Test
  void clockStepBack_doesNotSuppress401Reload() {
    FakeClock clock = new FakeClock(Instant.parse("2026-03-01T12:00:00Z"));
    TestSource source = new TestSource();
    RefreshingTokenProvider p =
        RefreshingTokenProvider.builder(source).clock(clock).executor(Runnable::run).backgroundRefresh(false).build();
    CartoToken a = p.currentToken();
    // CARTO rejects a; the store has nothing newer yet.
    assertThat(p.tokenRejected(a)).isEqualTo(a);
    clock.advance(Duration.ofSeconds(30)); // well past rejectionInterval (5 s)
    clock.set(Instant.parse("2026-03-01T11:00:00Z")); // NTP steps the clock back an hour
    String b = source.rotate();
    CartoToken next = p.tokenRejected(a);
    // fingerprints only, so that a failure report does not print a token
    assertThat(next.fingerprint()).as("token after the 401 once the store rotated").isEqualTo(CartoToken.of(b, "x").fingerprint());
  }

  /**
   * Regression: tokenRejected dereferences {@code state} without a null check after waiting; when
   * close() runs meanwhile (shutdown during a 401 storm) the caller gets a bare
   * NullPointerException out of the OkHttp interceptor.
   */
  @Test
  void tokenRejected_concurrentWithClose_neverThrowsBareNpe() throws Exception {
    TestSource source = new TestSource();
    RefreshingTokenProvider p =
        RefreshingTokenProvider.builder(source).fetchTimeout(Duration.ofMillis(500)).backgroundRefresh(false).build();
    CartoToken a = p.currentToken();
    source.gate = new java.util.concurrent.Semaphore(0);
    source.atGate = new CountDownLatch(1);
    // Thread 1 reports the 401 and reloads (held at the store).
    Future<CartoToken> reloader = pool.submit(() -> p.tokenRejected(a));
    assertThat(source.atGate.await(5, TimeUnit.SECONDS)).isTrue();
    // Thread 2 reports the same 401 and waits for thread 1's reload.
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread waiter = new Thread(() -> {
      try {
        p.tokenRejected(a);
      } catch (Throwable e) {
        thrown.set(e);
      }
    });
    waiter.start();
    RefreshingTokenProviderTest.awaitAllBlocked(List.of(waiter));
    p.close();
    source.gate.release(10);
    waiter.join(5_000);
    try {
      reloader.get(5, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }
    assertThat(thrown.get()).as("what a 401 during close() throws")
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  /**
   * Regression: close() while a refresh is under way does not stick: the refreshing thread writes the
   * new state after close() nulled it, and the hot path has no closed check, so the closed
   * provider keeps serving a token (and never refreshes it).
   */
  @Test
  void closeDuringRefresh_staysClosed() throws Exception {
    TestSource source = new TestSource();
    source.gate = new java.util.concurrent.Semaphore(0);
    RefreshingTokenProvider p = RefreshingTokenProvider.builder(source).backgroundRefresh(false).build();
    Future<CartoToken> loading = pool.submit(p::currentToken);
    assertThat(source.atGate.await(5, TimeUnit.SECONDS)).isTrue();
    p.close();
    source.gate.release(10);
    try {
      loading.get(5, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException ignored) {
      // either outcome is fine for the caller that raced close()
    }
    CartoToken served = null;
    try {
      served = p.currentToken();
    } catch (IllegalStateException expected) {
      // what the javadoc promises after close()
    }
    assertThat(served == null ? null : served.fingerprint()).as("token served by a closed provider").isNull();
  }

  /**
   * Regression: an Error thrown by a provider (NoClassDefFoundError for a missing optional store SDK
   * class, StackOverflowError, AssertionError) leaves the in-flight future uncompleted: every other
   * thread that joined that refresh waits the whole fetchTimeout (30 s by default) instead of
   * failing at once.
   */
  @Test
  void errorFromProvider_releasesWaitersAtOnce() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    toRelease.add(release);
    SecretProvider source =
        new SecretProvider() {
          @Override
          public Secret fetch() {
            entered.countDown();
            try {
              release.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            throw new NoClassDefFoundError("software/amazon/awssdk/Whatever");
          }

          @Override
          public String description() {
            return "test:error";
          }
        };
    RefreshingTokenProvider p =
        RefreshingTokenProvider.builder(source).fetchTimeout(Duration.ofSeconds(3)).backgroundRefresh(false).build();
    Future<?> runner = pool.submit(p::currentToken);
    assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<Long> waiterMillis = new CompletableFuture<>();
    Thread waiter = new Thread(
        () -> {
          long t0 = System.nanoTime();
          try {
            p.currentToken();
          } catch (RuntimeException expected) {
            // fails either way; the question is how fast
          }
          waiterMillis.complete(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        });
    waiter.start();
    RefreshingTokenProviderTest.awaitAllBlocked(List.of(waiter));
    release.countDown();
    try {
      runner.get(5, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException expected) {
      // the Error reaches the thread that ran the fetch
    }
    assertThat(waiterMillis.get(10, TimeUnit.SECONDS)).as("ms the joined waiter was held").isLessThan(1500);
    p.close();
  }

  /**
   * Regression: an expiry past what epoch millis can hold (a JWT exp or an OAuth expires_in in the
   * 10^16 s range: "never expires") makes State.loaded throw ArithmeticException. It is reported
   * as "the provider failed with java.lang.ArithmeticException", unrecorded (no backoff, no
   * event), and the token can never be loaded.
   */
  @Test
  void hugeExpiry_isLoadedOrRejectedAsFormatError() {
    TestSource source = new TestSource();
    source.expiresAt.set(Instant.ofEpochSecond(10_000_000_000_000_000L)); // valid Instant, > Long.MAX millis
    RefreshingTokenProvider p = RefreshingTokenProvider.builder(source).backgroundRefresh(false).build();
    try {
      io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy(p::currentToken)
          .isInstanceOf(SecretFormatException.class)
          .hasMessageContaining("out of range");
      assertThat(p.metrics().failures()).isEqualTo(1);
    } finally {
      p.close();
    }
  }

  /**
   * Regression (same root as hugeExpiry): a JWT whose exp is beyond Instant.MAX makes the public
   * CartoToken.of throw a bare java.time.DateTimeException (Jwt.expiresAt uses
   * Instant.ofEpochSecond unguarded); through the cache it becomes "the provider failed with
   * java.time.DateTimeException", unrecorded.
   */
  @Test
  void jwtWithOutOfRangeExp_isTyped() {
    java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
    String jwt =
        b64.encodeToString("{\"alg\":\"HS256\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8))
            + "."
            + b64.encodeToString("{\"a\":\"ac_test0000\",\"exp\":100000000000000000}".getBytes(java.nio.charset.StandardCharsets.UTF_8))
            + "."
            + io.cartosecrets.testkit.TestTokens.secret();
    io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy(() -> CartoToken.of(jwt, "test:jwt"))
        .as("what CartoToken.of throws for exp=1e17")
        .isInstanceOfSatisfying(SecretFormatException.class, e -> assertThat(e.field()).contains("exp"));
  }
}
