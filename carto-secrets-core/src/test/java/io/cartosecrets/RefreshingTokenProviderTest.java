package io.cartosecrets;

import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy;

import io.cartosecrets.testkit.Canaries;
import io.cartosecrets.testkit.FakeClock;
import io.cartosecrets.testkit.ManualScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RefreshingTokenProviderTest {
  private final FakeClock clock = new FakeClock();
  private final ManualScheduler scheduler = new ManualScheduler(clock);
  private final TestSource source = new TestSource();
  private final List<TokenEvent> events = new CopyOnWriteArrayList<>();
  private RefreshingTokenProvider provider;

  @AfterEach
  void close() {
    if (provider != null) {
      provider.close();
    }
  }

  private RefreshingTokenProvider.Builder builder() {
    return RefreshingTokenProvider.builder(source)
        .clock(clock)
        .scheduler(scheduler)
        .listener(events::add)
        .random(() -> 1.0);
  }

  private List<TokenEvent.Type> eventTypes() {
    List<TokenEvent.Type> types = new ArrayList<>();
    events.forEach(e -> types.add(e.type()));
    return types;
  }

  @Test
  void firstCallLoads_laterCallsAnswerFromMemory() {
    provider = builder().build();
    CartoToken first = provider.currentToken();
    for (int i = 0; i < 100; i++) {
      assertThat(provider.currentToken()).isSameAs(first);
    }
    assertThat(first.reveal()).isEqualTo(source.value.get());
    assertThat(source.fetches).hasValue(1);
    assertThat(eventTypes()).containsExactly(TokenEvent.Type.LOADED);
  }

  @Test
  void tokenWithoutExpiry_isRefreshedInTheBackgroundAtTheJitteredInterval() {
    provider = builder().refreshInterval(Duration.ofMinutes(5)).build();
    provider.currentToken();
    // random() = 1.0 takes the full 20% jitter off: the refresh point is at 4 minutes.
    assertThat(scheduler.pendingDelays()).containsExactly(Duration.ofMinutes(4));
    String rotated = source.rotate();
    scheduler.advanceAndRun(Duration.ofMinutes(4).minusMillis(1));
    assertThat(source.fetches).hasValue(1);
    scheduler.advanceAndRun(Duration.ofMillis(1));
    assertThat(source.fetches).hasValue(2);
    assertThat(provider.currentToken().reveal()).isEqualTo(rotated);
  }

  @Test
  void betweenRefreshAndStalePoint_callersKeepTheCurrentTokenWhileOneTaskRefreshes() {
    provider = builder().backgroundRefresh(false).refreshInterval(Duration.ofMinutes(5)).build();
    CartoToken old = provider.currentToken();
    String rotated = source.rotate();
    clock.advance(Duration.ofMinutes(4));
    for (int i = 0; i < 10; i++) {
      assertThat(provider.currentToken()).isEqualTo(old);
    }
    assertThat(scheduler.pendingCount()).as("one async refresh queued").isEqualTo(1);
    scheduler.runDueTasks();
    assertThat(provider.currentToken().reveal()).isEqualTo(rotated);
    assertThat(source.fetches).hasValue(2);
  }

  @Test
  void expiringToken_refreshPointDerivesFromExpiryLessSkewAndMargin() {
    Instant expiry = clock.instant().plus(Duration.ofHours(1));
    source.expiresAt.set(expiry);
    provider = builder().clockSkew(Duration.ofSeconds(10)).backgroundRefresh(false).build();
    CartoToken first = provider.currentToken();
    assertThat(first.expiresAt()).contains(expiry);
    // Refresh point: expiry - 10 s skew - 5 min margin. Just before it, nothing happens.
    clock.set(expiry.minusSeconds(10).minus(Duration.ofMinutes(5)).minusMillis(1));
    assertThat(provider.currentToken()).isSameAs(first);
    assertThat(scheduler.pendingCount()).isZero();
    clock.advance(Duration.ofMillis(1));
    assertThat(provider.currentToken()).isSameAs(first);
    assertThat(scheduler.pendingCount()).as("async refresh started at the refresh point").isEqualTo(1);
    String rotated = source.rotate();
    scheduler.runDueTasks();
    assertThat(provider.currentToken().reveal()).isEqualTo(rotated);
  }

  @Test
  void expiringToken_atTheStalePointCallersWaitForAFreshToken() {
    Instant expiry = clock.instant().plus(Duration.ofHours(1));
    source.expiresAt.set(expiry);
    provider = builder().clockSkew(Duration.ofSeconds(10)).backgroundRefresh(false).build();
    CartoToken first = provider.currentToken();
    source.expiresAt.set(expiry.plus(Duration.ofHours(1)));
    String rotated = source.rotate();
    // Stale point: expiry - 10 s skew - 1 min margin. The caller fetches; nothing is queued.
    clock.set(expiry.minusSeconds(10).minus(Duration.ofMinutes(1)));
    CartoToken fresh = provider.currentToken();
    assertThat(fresh).isNotEqualTo(first);
    assertThat(fresh.reveal()).isEqualTo(rotated);
    assertThat(fresh.expiresAt()).contains(expiry.plus(Duration.ofHours(1)));
    assertThat(scheduler.pendingCount()).isZero();
  }

  @Test
  void shortLivedToken_isRefreshedAtHalfItsLife() {
    // Conjur-like: 8 minutes of life, less than twice the 5 minute margin.
    source.expiresAt.set(clock.instant().plus(Duration.ofMinutes(8)));
    provider = builder().clockSkew(Duration.ZERO).build();
    provider.currentToken();
    assertThat(scheduler.pendingDelays()).containsExactly(Duration.ofMinutes(4));
  }

  @Test
  void sixtyFourThreadsAtTheStalePoint_causeOneFetch() throws Exception {
    provider = builder().backgroundRefresh(false).refreshInterval(Duration.ofMinutes(5)).build();
    provider.currentToken();
    String rotated = source.rotate();
    clock.advance(Duration.ofMinutes(10));

    Set<String> seen = throughTheGate(64, () -> provider.currentToken().reveal());
    assertThat(source.fetches).as("initial load + one refresh").hasValue(2);
    assertThat(seen).containsExactly(rotated);
  }

  @Test
  void failureOfASharedFetchReachesEveryWaiter_andTheNextCallAfterTheBackoffTriesAgain() throws Exception {
    provider = builder().build();
    source.failPermanently();
    source.gate = new Semaphore(0);
    Set<String> errors = throughTheGate(8, () -> provider.currentToken().reveal());
    assertThat(source.fetches).hasValue(1);
    assertThat(errors).containsExactly("failed: SecretAccessDeniedException");
    source.gate = null;
    source.recover();
    clock.advance(Duration.ofSeconds(1)); // the first backoff, unjittered
    assertThat(provider.currentToken().reveal()).isEqualTo(source.value.get());
    assertThat(source.fetches).hasValue(2);
  }

  @Test
  void outage_isBridgedByTheStaleTokenUntilTheBound_thenFailsNamingSourceAndCause() {
    provider =
        builder()
            .backgroundRefresh(false)
            .refreshInterval(Duration.ofMinutes(5))
            .maxStaleness(Duration.ofMinutes(30))
            .backoff(Duration.ofSeconds(1), Duration.ofSeconds(30))
            .build();
    CartoToken good = provider.currentToken();
    source.failTransiently();
    // Stale point = refresh point (4 min) + interval (5 min); bound = stale + 30 min.
    clock.advance(Duration.ofMinutes(9));
    assertThat(provider.currentToken()).isEqualTo(good);
    for (int minute = 0; minute < 29; minute++) {
      clock.advance(Duration.ofMinutes(1));
      assertThat(provider.currentToken()).isEqualTo(good);
    }
    assertThat(eventTypes()).contains(TokenEvent.Type.REFRESH_FAILED, TokenEvent.Type.SERVING_STALE);
    assertThat(eventTypes().stream().filter(TokenEvent.Type.SERVING_STALE::equals)).hasSize(1);
    long fetchesWhileStale = source.fetches.get();
    assertThat(fetchesWhileStale).as("backoff keeps the store from being hammered").isLessThan(40);

    clock.advance(Duration.ofMinutes(1));
    assertThatThrownBy(provider::currentToken)
        .isInstanceOf(SecretUnavailableException.class)
        .hasMessageContaining("test:store")
        .hasMessageContaining("staleness bound")
        .hasMessageContaining("store unreachable (test)");
    assertThat(eventTypes()).contains(TokenEvent.Type.EXPIRED);

    source.recover();
    String rotated = source.rotate();
    clock.advance(Duration.ofMinutes(1));
    assertThat(provider.currentToken().reveal()).isEqualTo(rotated);
  }

  @Test
  void permanentFailure_isReportedAtOnce_butTheGoodTokenIsServedUntilTheBound() {
    provider =
        builder().backgroundRefresh(false).refreshInterval(Duration.ofMinutes(5)).maxStaleness(Duration.ofMinutes(10)).build();
    CartoToken good = provider.currentToken();
    source.failPermanently();
    clock.advance(Duration.ofMinutes(9));
    assertThat(provider.currentToken()).isEqualTo(good);
    TokenEvent failed =
        events.stream().filter(e -> e.type() == TokenEvent.Type.REFRESH_FAILED).findFirst().orElseThrow();
    assertThat(failed.failure()).get().isInstanceOf(SecretAccessDeniedException.class);
    clock.advance(Duration.ofMinutes(9));
    assertThat(provider.currentToken()).isEqualTo(good);
    clock.advance(Duration.ofMinutes(2));
    assertThatThrownBy(provider::currentToken).isInstanceOf(SecretUnavailableException.class)
        .hasCauseInstanceOf(SecretAccessDeniedException.class);
  }

  @Test
  void staleServingNeverPassesTheTokensOwnExpiry() {
    Instant expiry = clock.instant().plus(Duration.ofMinutes(30));
    source.expiresAt.set(expiry);
    provider = builder().backgroundRefresh(false).clockSkew(Duration.ZERO).maxStaleness(Duration.ofHours(5)).build();
    CartoToken good = provider.currentToken();
    source.failTransiently();
    clock.set(expiry.minusSeconds(1));
    assertThat(provider.currentToken()).isEqualTo(good);
    clock.set(expiry);
    assertThatThrownBy(provider::currentToken).isInstanceOf(SecretUnavailableException.class);
  }

  @Test
  void backoffDelays_doubleFromTheBaseAndCapAtTheMaximum() {
    provider = builder().refreshInterval(Duration.ofMinutes(5)).backoff(Duration.ofSeconds(1), Duration.ofSeconds(8)).build();
    provider.currentToken();
    source.failTransiently();
    List<Duration> delays = new ArrayList<>();
    scheduler.advanceAndRun(Duration.ofMinutes(4));
    for (int i = 0; i < 6; i++) {
      Duration next = scheduler.pendingDelays().get(0);
      delays.add(next);
      scheduler.advanceAndRun(next);
    }
    assertThat(delays)
        .containsExactly(
            Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4),
            Duration.ofSeconds(8), Duration.ofSeconds(8), Duration.ofSeconds(8));
    // With jitter, each delay lies between half and all of the nominal one.
    for (int attempt = 1; attempt < 10; attempt++) {
      long nominal = Math.min(8000, 1000L << (attempt - 1));
      RefreshingTokenProvider jittered =
          RefreshingTokenProvider.builder(new TestSource())
              .backoff(Duration.ofSeconds(1), Duration.ofSeconds(8))
              .scheduler(scheduler)
              .build();
      assertThat(jittered.backoffMillis(attempt)).isBetween(nominal / 2, nominal);
    }
    source.recover();
    String rotated = source.rotate();
    scheduler.advanceAndRun(scheduler.pendingDelays().get(0));
    assertThat(provider.currentToken().reveal()).isEqualTo(rotated);
  }

  @Test
  void refreshReturningTheSameToken_firesNoEventAndCountsAnUnchangedCheck() {
    provider = builder().refreshInterval(Duration.ofMinutes(5)).build();
    CartoToken first = provider.currentToken();
    for (int i = 0; i < 3; i++) {
      scheduler.advanceAndRun(Duration.ofMinutes(5));
    }
    assertThat(provider.currentToken()).isEqualTo(first);
    assertThat(eventTypes()).containsExactly(TokenEvent.Type.LOADED);
    TokenMetrics m = provider.metrics();
    assertThat(m.fetches()).isEqualTo(4);
    assertThat(m.unchangedChecks()).isEqualTo(3);
    assertThat(m.rotations()).isZero();
  }

  @Test
  void rotation_firesOneEventFromOldToNewFingerprint() {
    provider = builder().refreshInterval(Duration.ofMinutes(5)).build();
    CartoToken first = provider.currentToken();
    source.rotate();
    scheduler.advanceAndRun(Duration.ofMinutes(5));
    CartoToken second = provider.currentToken();
    TokenEvent rotated = events.get(events.size() - 1);
    assertThat(rotated.type()).isEqualTo(TokenEvent.Type.ROTATED);
    assertThat(rotated.previousFingerprint()).contains(first.fingerprint());
    assertThat(rotated.fingerprint()).contains(second.fingerprint());
    assertThat(provider.metrics().rotations()).isEqualTo(1);
    assertThat(Canaries.findIn(events.toString())).isEmpty();
  }

  @Test
  void aThousandConcurrentRejectionsOfOneToken_causeOneFetch() throws Exception {
    provider = builder().backgroundRefresh(false).build();
    CartoToken old = provider.currentToken();
    String rotated = source.rotate();
    Set<String> next = throughTheGate(1000, () -> provider.tokenRejected(old).reveal());
    assertThat(source.fetches).hasValue(2);
    assertThat(next).containsExactly(rotated);
    assertThat(provider.metrics().rejections()).isEqualTo(1);
  }

  @Test
  void rejectionOfATokenThatIsNoLongerCurrent_returnsTheCurrentOneWithoutFetching() {
    provider = builder().refreshInterval(Duration.ofMinutes(5)).build();
    CartoToken old = provider.currentToken();
    source.rotate();
    scheduler.advanceAndRun(Duration.ofMinutes(5));
    int fetches = source.fetches.get();
    CartoToken current = provider.tokenRejected(old);
    assertThat(current).isNotEqualTo(old);
    assertThat(source.fetches).hasValue(fetches);
  }

  @Test
  void rejectionsAreRateLimited_andSameTokenFromTheStoreMeansNoRetry() {
    provider = builder().backgroundRefresh(false).rejectionInterval(Duration.ofSeconds(5)).build();
    CartoToken token = provider.currentToken();
    assertThat(provider.tokenRejected(token)).as("store still has the same token").isEqualTo(token);
    assertThat(source.fetches).hasValue(2);
    clock.advance(Duration.ofSeconds(4));
    assertThat(provider.tokenRejected(token)).isEqualTo(token);
    assertThat(source.fetches).as("within the rejection interval").hasValue(2);
    clock.advance(Duration.ofSeconds(1));
    String rotated = source.rotate();
    assertThat(provider.tokenRejected(token).reveal()).isEqualTo(rotated);
    assertThat(source.fetches).hasValue(3);
  }

  @Test
  void aRotatedTokenRejectedSoonAfter_mayReloadAtOnce() {
    provider = builder().backgroundRefresh(false).rejectionInterval(Duration.ofSeconds(5)).build();
    CartoToken first = provider.currentToken();
    String second = source.rotate();
    assertThat(provider.tokenRejected(first).reveal()).isEqualTo(second);
    clock.advance(Duration.ofMillis(100));
    String third = source.rotate();
    assertThat(provider.tokenRejected(provider.currentToken()).reveal()).isEqualTo(third);
    assertThat(provider.metrics().rejections()).isEqualTo(2);
  }

  @Test
  void aSourceChangeNotice_triggersAnImmediateCheck() {
    AtomicReference<Runnable> notify = new AtomicReference<>();
    TestSource watched =
        new TestSource() {
          @Override
          public Watch watch(Runnable onChange) {
            notify.set(onChange);
            return () -> notify.set(null);
          }
        };
    provider = RefreshingTokenProvider.builder(watched).clock(clock).scheduler(scheduler).build();
    provider.currentToken();
    String rotated = watched.rotate();
    notify.get().run();
    scheduler.runDueTasks();
    assertThat(provider.currentToken().reveal()).isEqualTo(rotated);
    provider.close();
    assertThat(notify.get()).as("watch closed with the provider").isNull();
  }

  @Test
  void aChangeNoticeDuringAFetchThatReadTheOldValue_isFollowedByAFetchThatSeesTheNewOne() throws Exception {
    AtomicReference<Runnable> notify = new AtomicReference<>();
    TestSource watched =
        new TestSource() {
          @Override
          public Watch watch(Runnable onChange) {
            notify.set(onChange);
            return () -> notify.set(null);
          }
        };
    watched.readBeforeGate = true;
    CountDownLatch rotatedEvent = new CountDownLatch(1);
    ExecutorService refresher = Executors.newSingleThreadExecutor();
    try {
      provider = RefreshingTokenProvider.builder(watched).clock(clock).scheduler(scheduler).executor(refresher)
          .listener(e -> {
            if (e.type() == TokenEvent.Type.ROTATED) {
              rotatedEvent.countDown();
            }
          })
          .build();
      provider.currentToken();
      watched.gate = new Semaphore(0);
      // A first notice (say, a temporary file created next to the secret): its fetch reads the old value.
      notify.get().run();
      assertThat(watched.atGate.await(10, TimeUnit.SECONDS)).isTrue();
      // The rotation itself, noticed while that fetch is still under way.
      String rotated = watched.rotate();
      notify.get().run();
      watched.gate.release(Integer.MAX_VALUE / 2);

      assertThat(rotatedEvent.await(10, TimeUnit.SECONDS)).as("the change was fetched").isTrue();
      assertThat(provider.currentToken().reveal()).isEqualTo(rotated);
      assertThat(watched.fetches).hasValue(3);
    } finally {
      refresher.shutdownNow();
    }
  }

  @Test
  void aRejectionWhileAFetchOfTheOldTokenIsUnderWay_waitsForAFetchThatSeesTheNewOne() throws Exception {
    provider = builder().backgroundRefresh(false).build();
    CartoToken old = provider.currentToken();
    source.readBeforeGate = true;
    source.gate = new Semaphore(0);
    AtomicReference<CartoToken> refreshed = new AtomicReference<>();
    AtomicReference<CartoToken> retry = new AtomicReference<>();
    Thread refresher = new Thread(() -> refreshed.set(provider.refreshNow()));
    refresher.start();
    assertThat(source.atGate.await(10, TimeUnit.SECONDS)).isTrue();
    // Rotated in the store, then revoked by CARTO: the 401 comes while the fetch above still holds the old value.
    String rotated = source.rotate();
    Thread rejected = new Thread(() -> retry.set(provider.tokenRejected(old)));
    rejected.start();
    awaitAllBlocked(List.of(rejected));
    source.gate.release(Integer.MAX_VALUE / 2);
    refresher.join(10_000);
    rejected.join(10_000);

    assertThat(refreshed.get()).as("refreshNow started before the rotation").isEqualTo(old);
    assertThat(retry.get().reveal()).as("the token to retry with").isEqualTo(rotated);
    assertThat(source.fetches).hasValue(3);
  }

  @Test
  void sourceReturningAnExpiredToken_isAFormatErrorNotAToken() {
    source.expiresAt.set(clock.instant().minus(Duration.ofMinutes(5)));
    provider = builder().build();
    assertThatThrownBy(provider::currentToken)
        .isInstanceOf(SecretFormatException.class)
        .hasMessageContaining("expired at");
  }

  @Test
  void aThrowingListener_doesNotBreakRefreshOrOtherListeners() {
    List<TokenEvent> seen = new ArrayList<>();
    provider =
        RefreshingTokenProvider.builder(source)
            .clock(clock)
            .scheduler(scheduler)
            .listener(e -> { throw new IllegalStateException("listener bug"); })
            .listener(seen::add)
            .build();
    assertThat(provider.currentToken()).isNotNull();
    assertThat(seen).hasSize(1);
  }

  @Test
  void close_stopsTheOwnBackgroundThreadAndClosesTheSource() throws Exception {
    RefreshingTokenProvider own = RefreshingTokenProvider.builder(source).build();
    own.currentToken();
    assertThat(refreshThreads()).isNotEmpty();
    own.close();
    own.close();
    for (Thread t : refreshThreads()) {
      t.join(5_000);
    }
    assertThat(refreshThreads()).isEmpty();
    assertThat(source.closes).hasValue(1);
    assertThatThrownBy(own::currentToken).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void toStringAndEventsShowFingerprintsOnly() {
    provider = builder().build();
    CartoToken token = provider.currentToken();
    assertThat(provider.toString()).contains(token.fingerprint()).contains("test:store");
    assertThat(Canaries.findIn(provider.toString() + token + events + provider.metrics())).isEmpty();
  }

  @Test
  void builderRejectsInconsistentSettings() {
    assertThatThrownBy(() -> RefreshingTokenProvider.builder(source).refreshMargin(Duration.ofSeconds(30)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("staleMargin");
    assertThatThrownBy(() -> RefreshingTokenProvider.builder(source).refreshInterval(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("refreshInterval");
  }

  /**
   * Starts {@code n} threads together, each calling {@code call} once; waits until the first one is
   * held at the source's gate and every other is blocked behind it, then opens the gate. Returns the
   * distinct results ("failed: Type" for exceptions).
   */
  private Set<String> throughTheGate(int n, java.util.concurrent.Callable<String> call) throws Exception {
    if (source.gate == null) {
      source.gate = new Semaphore(0);
    }
    source.atGate = new java.util.concurrent.CountDownLatch(1);
    Semaphore gate = source.gate;
    return GatedCallers.throughTheGate(n, source.atGate, () -> gate.release(Integer.MAX_VALUE / 2), call);
  }

  private static List<Thread> refreshThreads() {
    List<Thread> out = new ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("carto-secrets-refresh-") && t.isAlive()) {
        out.add(t);
      }
    }
    return out;
  }

  /** Waits until every thread is parked (on the gate or on the shared refresh), or has ended. */
  static void awaitAllBlocked(List<Thread> threads) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      boolean all = true;
      for (Thread t : threads) {
        Thread.State st = t.getState();
        if (st != Thread.State.WAITING && st != Thread.State.TIMED_WAITING && st != Thread.State.TERMINATED) {
          all = false;
          break;
        }
      }
      if (all) {
        return;
      }
      Thread.onSpinWait();
      Thread.yield();
    }
    throw new AssertionError("threads did not all block within 20 s");
  }
}
