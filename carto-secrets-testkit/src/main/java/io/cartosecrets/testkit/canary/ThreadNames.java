package io.cartosecrets.testkit.canary;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The names threads had: those alive at each check, and those a daemon sampler saw every {@value
 * #PERIOD_MILLIS} ms in between, so that a thread that carried a secret in its name and ended
 * before the check is still seen. A thread that starts and ends between two samples, without
 * logging (log lines carry their thread's name), is not: the JVM offers no hook on thread start.
 */
final class ThreadNames {
  static final long PERIOD_MILLIS = 5;

  // Names seen since the last drain: added by the sampler, drained by the harness.
  private static final Set<String> SEEN = ConcurrentHashMap.newKeySet();
  // Completed samples, for tests that must know a sample was taken.
  private static final AtomicLong SAMPLES = new AtomicLong();
  private static volatile boolean started;

  private ThreadNames() {}

  static synchronized void startSampling() {
    if (started) {
      return;
    }
    Thread sampler = new Thread(() -> {
      while (true) {
        SEEN.addAll(live());
        SAMPLES.incrementAndGet();
        try {
          Thread.sleep(PERIOD_MILLIS);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "canary-thread-name-sampler");
    sampler.setDaemon(true);
    sampler.start();
    started = true;
  }

  /** The names seen since the last drain, and those of the threads alive now. */
  static List<String> drain() {
    List<String> names = new ArrayList<>(live());
    for (String n : List.copyOf(SEEN)) {
      SEEN.remove(n);
      names.add(n);
    }
    return names;
  }

  static long samples() {
    return SAMPLES.get();
  }

  private static List<String> live() {
    ThreadGroup root = Thread.currentThread().getThreadGroup();
    while (root.getParent() != null) {
      root = root.getParent();
    }
    Thread[] threads = new Thread[root.activeCount() + 16];
    int n = root.enumerate(threads, true);
    List<String> names = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      names.add(threads[i].getName());
    }
    return names;
  }
}
