package io.cartosecrets;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Puts many callers inside one call at the same time: the first is held at a gate in the source,
 * every other one is parked behind it, and only then is the gate opened. A test that passes this
 * way cannot be passing because the callers were served one after another.
 */
final class GatedCallers {
  private GatedCallers() {}

  /**
   * Starts {@code n} threads together, each calling {@code call} once; waits until a fetch has
   * counted down {@code atGate} and every thread is parked inside the call, then runs {@code open}.
   * Returns the distinct results ("failed: Type" for exceptions).
   */
  static Set<String> throughTheGate(int n, CountDownLatch atGate, Runnable open, Callable<String> call)
      throws Exception {
    Set<String> results = ConcurrentHashMap.newKeySet();
    List<Thread> threads = new ArrayList<>();
    CyclicBarrier start = new CyclicBarrier(n);
    // Threads leaving the barrier also show as WAITING while they retake its lock, so only threads
    // counted past it are known to be parked inside the call.
    AtomicInteger entered = new AtomicInteger();
    for (int i = 0; i < n; i++) {
      Thread t =
          new Thread(
              () -> {
                try {
                  start.await();
                  entered.incrementAndGet();
                  results.add(call.call());
                } catch (Exception e) {
                  results.add("failed: " + e.getClass().getSimpleName());
                }
              });
      threads.add(t);
      t.start();
    }
    assertThat(atGate.await(10, TimeUnit.SECONDS)).as("a fetch reached the gate").isTrue();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (entered.get() < n && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    RefreshingTokenProviderTest.awaitAllBlocked(threads);
    open.run();
    for (Thread t : threads) {
      t.join(10_000);
    }
    return results;
  }

  /** Counts down {@code reached}, then waits for a permit of {@code gate} (30 s at most). */
  static void waitAt(CountDownLatch reached, Semaphore gate, String source) {
    reached.countDown();
    try {
      if (!gate.tryAcquire(30, TimeUnit.SECONDS)) {
        throw new SecretUnavailableException(source, "test gate never opened");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SecretUnavailableException(source, "interrupted");
    }
  }

  /** {@code inner}, whose every fetch first waits at {@code gate}. */
  static SecretProvider gated(SecretProvider inner, CountDownLatch reached, Semaphore gate) {
    return new SecretProvider() {
      @Override
      public Secret fetch() {
        waitAt(reached, gate, inner.description());
        return inner.fetch();
      }

      @Override
      public String description() {
        return inner.description();
      }

      @Override
      public void close() {
        inner.close();
      }
    };
  }
}
