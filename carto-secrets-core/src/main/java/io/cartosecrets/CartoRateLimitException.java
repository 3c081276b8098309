package io.cartosecrets;

import java.time.Duration;
import java.util.Optional;

/**
 * CARTO answered 429 Too Many Requests (its WAF blocks an IP for a while once a per-minute limit is
 * passed). Retryable: wait at least {@link #retryAfter()} when CARTO said how long.
 */
public final class CartoRateLimitException extends CartoApiException {
  private static final long serialVersionUID = 1L;
  private final Duration retryAfter;

  CartoRateLimitException(ApiError e) {
    super(e, e.retryAfter == null ? "Back off before retrying" : "Retry after " + e.retryAfter.toSeconds() + " s");
    this.retryAfter = e.retryAfter;
  }

  /** The {@code Retry-After} the server sent, if any. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }
}
