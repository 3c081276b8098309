package io.cartosecrets;

import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.testkit.FakeClock;
import io.cartosecrets.testkit.ManualScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A 401 report, a change notice or {@code refreshNow()} that arrives while a refresh is under way
 * which already read the store: that refresh's answer predates the event, so it must not be taken
 * as the answer to it. Each test holds such a refresh at a gate after it read the old value,
 * rotates the store, raises the event, then opens the gate.
 */
class RefreshRaceTest {
  private final FakeClock clock = new FakeClock();
  private final ManualScheduler scheduler = new ManualScheduler(clock);
  private final ReadsThenStalls source = new ReadsThenStalls();
  private final List<Thread> threads = new ArrayList<>();
  /** The gate the stalled refresh waits at; the source drops its own reference when it takes it. */
  private final Semaphore stalled = new Semaphore(0);
  private RefreshingTokenProvider provider;
  private CartoToken old;

  /**
   * A store whose fetch reads the value first and then, when a gate is set, waits there: a refresh
   * that has the old value in hand while the store rotates. Only the one fetch that finds the gate
   * set is held.
   */
  static final class ReadsThenStalls extends TestSource {
    final AtomicReference<Runnable> onChange = new AtomicReference<>();

    @Override
    public Secret fetch() {
      fetches.incrementAndGet();
      Secret read = Secret.of(value.get(), description());
      Semaphore g = gate;
      if (g != null) {
        gate = null;
        waitAt(g);
      }
      return read;
    }

    @Override
    public Watch watch(Runnable callback) {
      onChange.set(callback);
      return () -> onChange.set(null);
    }
  }

  @BeforeEach
  void loadThenStallARefreshThatReadTheOldValue() throws Exception {
    provider =
        RefreshingTokenProvider.builder(source)
            .clock(clock)
            .scheduler(scheduler)
            // Follow-up refreshes run in the thread that finishes the stalled one: deterministic.
            .executor(Runnable::run)
            .backgroundRefresh(false)
            .refreshInterval(Duration.ofMinutes(5))
            .rejectionInterval(Duration.ofSeconds(5))
            .random(() -> 1.0)
            .build();
    old = provider.currentToken();
    assertThat(source.fetches).hasValue(1);

    // Past the stale point a caller refreshes in its own thread; its fetch reads the old value and
    // is held at the gate.
    source.gate = stalled;
    source.atGate = new CountDownLatch(1);
    clock.advance(Duration.ofMinutes(10));
    call(provider::currentToken);
    assertThat(source.atGate.await(10, TimeUnit.SECONDS)).as("stalled refresh reached the gate").isTrue();
    assertThat(source.fetches).hasValue(2);
  }

  @AfterEach
  void close() throws Exception {
    stalled.release(100);
    provider.close();
    for (Thread t : threads) {
      t.join(10_000);
    }
  }

  @Test
  void aRejectionDuringARefreshThatReadTheOldValue_getsTheRotatedToken_fromOneMoreFetch() throws Exception {
    CartoToken rotated = rotated();
    CompletableFuture<CartoToken> afterRejection = call(() -> provider.tokenRejected(old));
    RefreshingTokenProviderTest.awaitAllBlocked(threads);

    stalled.release();
    assertThat(afterRejection.get(10, TimeUnit.SECONDS)).isEqualTo(rotated);
    assertThat(source.fetches).as("first load, the stalled refresh, one more after it").hasValue(3);

    // A second 401 for the old token within the rejection interval: the new one, no fetch.
    clock.advance(Duration.ofSeconds(1));
    assertThat(provider.tokenRejected(old)).isEqualTo(rotated);
    assertThat(source.fetches).hasValue(3);
  }

  @Test
  void manyRejectionsDuringARefreshThatReadTheOldValue_causeExactlyOneMoreFetch() throws Exception {
    CartoToken rotated = rotated();
    List<CompletableFuture<CartoToken>> answers = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      answers.add(call(() -> provider.tokenRejected(old)));
    }
    RefreshingTokenProviderTest.awaitAllBlocked(threads);

    stalled.release();
    for (CompletableFuture<CartoToken> a : answers) {
      assertThat(a.get(10, TimeUnit.SECONDS)).isEqualTo(rotated);
    }
    assertThat(source.fetches).hasValue(3);
    assertThat(provider.metrics().rejections()).isEqualTo(1);
  }

  @Test
  void aChangeNoticeDuringARefreshThatReadTheOldValue_causesOneMoreFetchAfterIt() throws Exception {
    CartoToken rotated = rotated();
    // The watch thread is never held: the notice only asks for one more fetch.
    source.onChange.get().run();
    source.onChange.get().run();
    assertThat(source.fetches).as("no second fetch while one is under way").hasValue(2);

    stalled.release();
    for (Thread t : threads) {
      t.join(10_000);
    }
    assertThat(provider.currentToken()).isEqualTo(rotated);
    assertThat(source.fetches).as("two notices during one refresh: one more fetch").hasValue(3);
  }

  @Test
  void refreshNowDuringARefreshThatReadTheOldValue_returnsTheRotatedToken() throws Exception {
    CartoToken rotated = rotated();
    CompletableFuture<CartoToken> refreshed = call(provider::refreshNow);
    RefreshingTokenProviderTest.awaitAllBlocked(threads);

    stalled.release();
    assertThat(refreshed.get(10, TimeUnit.SECONDS)).isEqualTo(rotated);
    assertThat(source.fetches).hasValue(3);
  }

  @Test
  void aCallerJoiningTheStalledRefreshWithoutANewEvent_causesNoExtraFetch() throws Exception {
    CompletableFuture<CartoToken> joined = call(provider::currentToken);
    RefreshingTokenProviderTest.awaitAllBlocked(threads);

    stalled.release();
    assertThat(joined.get(10, TimeUnit.SECONDS)).isEqualTo(old);
    assertThat(source.fetches).hasValue(2);
  }

  /** Rotates the store; compared as a CartoToken so that a failure report shows fingerprints only. */
  private CartoToken rotated() {
    return CartoToken.of(source.rotate(), source.description());
  }

  private <T> CompletableFuture<T> call(Supplier<T> call) {
    CompletableFuture<T> result = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              try {
                result.complete(call.get());
              } catch (Throwable e) {
                result.completeExceptionally(e);
              }
            });
    threads.add(t);
    t.start();
    return result;
  }
}
