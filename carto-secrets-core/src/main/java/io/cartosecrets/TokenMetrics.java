package io.cartosecrets;

/**
 * A snapshot of a {@link RefreshingTokenProvider}'s counters since it was built, for an
 * application to read or export (Micrometer gauges, logs). Immutable.
 */
public final class TokenMetrics {
  private final long fetches;
  private final long unchangedChecks;
  private final long rotations;
  private final long failures;
  private final long rejections;

  TokenMetrics(long fetches, long unchangedChecks, long rotations, long failures, long rejections) {
    this.fetches = fetches;
    this.unchangedChecks = unchangedChecks;
    this.rotations = rotations;
    this.failures = failures;
    this.rejections = rejections;
  }

  /** Calls to the source ({@code fetch} or {@code refresh}), successful or not. */
  public long fetches() {
    return fetches;
  }

  /** Successful calls that returned the token already held: no rotation. */
  public long unchangedChecks() {
    return unchangedChecks;
  }

  /** Successful calls that returned a different token. */
  public long rotations() {
    return rotations;
  }

  /** Calls to the source that failed. */
  public long failures() {
    return failures;
  }

  /** 401 reports that led to a check of the source (at most one per rejected token and interval). */
  public long rejections() {
    return rejections;
  }

  @Override
  public String toString() {
    return "TokenMetrics[fetches=" + fetches + ", unchanged=" + unchangedChecks + ", rotations="
        + rotations + ", failures=" + failures + ", rejections=" + rejections + "]";
  }
}
