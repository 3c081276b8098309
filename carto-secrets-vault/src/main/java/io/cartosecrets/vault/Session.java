package io.cartosecrets.vault;

import io.cartosecrets.Secret;
import io.github.jopenlibs.vault.Vault;
import java.time.Duration;
import java.time.Instant;

/**
 * A Vault token in use, with the driver instance configured for it and what is known of its
 * lifetime. Immutable: renewal and re-login replace the session.
 */
final class Session {
  final Secret token;
  final Vault vault;
  /** The layout {@link #vault} was configured for; null until the layout is known. */
  final KvLayout layout;
  /** When the token expires; null if it does not or nobody knows. */
  final Instant expiresAt;
  /** The TTL the token was issued with: the increment asked for at renewal. */
  final Duration loginTtl;
  /** Whether Vault may still extend it: renewable and not yet capped by its maximum TTL. */
  final boolean renewable;
  /** From when a read should renew or replace the token first; null: never ahead of a failure. */
  final Instant attentionAt;
  private final Duration renewBefore;

  private Session(
      Secret token,
      Vault vault,
      KvLayout layout,
      Instant expiresAt,
      Duration loginTtl,
      boolean renewable,
      Instant attentionAt,
      Duration renewBefore) {
    this.token = token;
    this.vault = vault;
    this.layout = layout;
    this.expiresAt = expiresAt;
    this.loginTtl = loginTtl;
    this.renewable = renewable;
    this.attentionAt = attentionAt;
    this.renewBefore = renewBefore;
  }

  static Session of(
      Secret token,
      Vault vault,
      KvLayout layout,
      Instant now,
      Instant expiresAt,
      Duration ttl,
      boolean renewable,
      Duration renewBefore) {
    Instant attention = expiresAt == null ? null : expiresAt.minus(margin(ttl, renewBefore));
    return new Session(token, vault, layout, expiresAt, ttl, renewable, attention, renewBefore);
  }

  /** The renewal window: {@code renewBefore} capped at half the TTL, or a third of the TTL. */
  static Duration margin(Duration ttl, Duration renewBefore) {
    Duration half = ttl.dividedBy(2);
    if (renewBefore != null) {
      return renewBefore.compareTo(half) < 0 ? renewBefore : half;
    }
    return ttl.dividedBy(3);
  }

  boolean needsAttention(Instant now) {
    return attentionAt != null && !now.isBefore(attentionAt);
  }

  Session with(KvLayout l, Vault v) {
    return new Session(token, v, l, expiresAt, loginTtl, renewable, attentionAt, renewBefore);
  }

  Session attentionAt(Instant at) {
    return new Session(token, vault, layout, expiresAt, loginTtl, renewable, at, renewBefore);
  }

  /**
   * After a renewal that granted {@code granted} from {@code now}. The window stays measured on the
   * login TTL, so a renewal the maximum TTL cut short lands inside it, and the next read logs in.
   */
  Session renewed(Instant now, Duration granted, boolean stillRenewable) {
    Instant exp = now.plus(granted);
    return new Session(token, vault, layout, exp, loginTtl, stillRenewable,
        exp.minus(margin(loginTtl, renewBefore)), renewBefore);
  }

  @Override
  public String toString() {
    return "Session[token=" + token.fingerprint() + ", expiresAt=" + expiresAt + ", renewable="
        + renewable + ", attentionAt=" + attentionAt + "]";
  }
}
