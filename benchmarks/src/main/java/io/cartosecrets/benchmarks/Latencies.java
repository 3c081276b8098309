package io.cartosecrets.benchmarks;

import java.util.Arrays;
import java.util.Locale;

/** A growable list of latencies in nanoseconds, and its percentiles. Not thread-safe. */
final class Latencies {
  private long[] nanos = new long[1024];
  private int size;

  void add(long latencyNanos) {
    if (size == nanos.length) {
      nanos = Arrays.copyOf(nanos, size * 2);
    }
    nanos[size++] = latencyNanos;
  }

  void addAll(Latencies other) {
    for (int i = 0; i < other.size; i++) {
      add(other.nanos[i]);
    }
  }

  int size() {
    return size;
  }

  /** The {@code p}-th percentile (0-100, nearest rank) in milliseconds; NaN when empty. */
  double percentileMillis(double p) {
    if (size == 0) {
      return Double.NaN;
    }
    long[] sorted = Arrays.copyOf(nanos, size);
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * size);
    return sorted[Math.max(0, Math.min(size - 1, rank - 1))] / 1e6;
  }

  /** {@code "median X ms (min Y, max Z)"} of a few durations in nanoseconds, such as repeated runs. */
  static String medianRange(long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return String.format(Locale.ROOT, "%.1f ms (min %.1f, max %.1f)",
        sorted[sorted.length / 2] / 1e6, sorted[0] / 1e6, sorted[sorted.length - 1] / 1e6);
  }

  /** The mean in milliseconds; NaN when empty. */
  double meanMillis() {
    long sum = 0;
    for (int i = 0; i < size; i++) {
      sum += nanos[i];
    }
    return size == 0 ? Double.NaN : sum / 1e6 / size;
  }

  /** {@code n=..., mean=..., p50=..., p99=..., p99.9=..., max=...} in milliseconds. */
  String summary() {
    return String.format(Locale.ROOT, "n=%d mean=%.3f p50=%.3f p90=%.3f p99=%.3f p99.9=%.3f max=%.3f ms",
        size, meanMillis(), percentileMillis(50), percentileMillis(90), percentileMillis(99), percentileMillis(99.9),
        percentileMillis(100));
  }
}
