package io.cartosecrets;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Something that happened to a cached token, for monitoring. Carries fingerprints only, never a
 * token value. Immutable.
 */
public final class TokenEvent {
  /** What happened. */
  public enum Type {
    /** The first token was loaded from the source. */
    LOADED,
    /** The source returned a different token: {@link #previousFingerprint()} to {@link #fingerprint()}. */
    ROTATED,
    /** A load or refresh from the source failed; {@link #failure()} says why. */
    REFRESH_FAILED,
    /** The token is past its stale point and the source is failing: the last good token is served. */
    SERVING_STALE,
    /** The last good token passed its staleness bound or expiry with no fresh one: calls now fail. */
    EXPIRED
  }

  private final Type type;
  private final String source;
  private final String fingerprint;
  private final String previousFingerprint;
  private final SecretException failure;
  private final Instant time;

  TokenEvent(
      Type type,
      String source,
      String fingerprint,
      String previousFingerprint,
      SecretException failure,
      Instant time) {
    this.type = Objects.requireNonNull(type);
    this.source = Objects.requireNonNull(source);
    this.fingerprint = fingerprint;
    this.previousFingerprint = previousFingerprint;
    this.failure = failure;
    this.time = Objects.requireNonNull(time);
  }

  public Type type() {
    return type;
  }

  /** The source description, e.g. {@code file:/run/secrets/carto_token}. */
  public String source() {
    return source;
  }

  /** The fingerprint of the token concerned (the new one for {@link Type#ROTATED}). */
  public Optional<String> fingerprint() {
    return Optional.ofNullable(fingerprint);
  }

  /** For {@link Type#ROTATED}, the fingerprint of the token that was replaced. */
  public Optional<String> previousFingerprint() {
    return Optional.ofNullable(previousFingerprint);
  }

  /** For {@link Type#REFRESH_FAILED}, {@link Type#SERVING_STALE} and {@link Type#EXPIRED}, the cause. */
  public Optional<SecretException> failure() {
    return Optional.ofNullable(failure);
  }

  /** When it happened, by the provider's clock. */
  public Instant time() {
    return time;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("TokenEvent[").append(type).append(", source=").append(source);
    if (previousFingerprint != null) {
      sb.append(", from=").append(previousFingerprint);
    }
    if (fingerprint != null) {
      sb.append(previousFingerprint != null ? ", to=" : ", fp=").append(fingerprint);
    }
    if (failure != null) {
      sb.append(", failure=").append(failure.getClass().getSimpleName());
    }
    return sb.append(", at=").append(time).append(']').toString();
  }
}
