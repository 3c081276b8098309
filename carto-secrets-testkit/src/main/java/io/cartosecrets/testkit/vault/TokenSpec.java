package io.cartosecrets.testkit.vault;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What a token issued by {@link FakeVault} may do and for how long: its policies, its TTL, the
 * maximum TTL that renewals cannot pass, and whether it can be renewed at all. Immutable; each
 * {@code with} method returns a copy. Used for tokens created directly and for the tokens that
 * AppRole and Kubernetes logins issue.
 */
public final class TokenSpec {
  /** Vault's own default for {@code max_lease_ttl}: 768 hours. */
  public static final Duration SYSTEM_MAX_TTL = Duration.ofHours(768);

  private final List<String> policies;
  private final Duration ttl;
  private final Duration maxTtl;
  private final boolean renewable;

  private TokenSpec(List<String> policies, Duration ttl, Duration maxTtl, boolean renewable) {
    this.policies = List.copyOf(policies);
    this.ttl = ttl;
    this.maxTtl = maxTtl;
    this.renewable = renewable;
  }

  /** A renewable token with these policies, a 1 hour TTL and the system maximum TTL. */
  public static TokenSpec withPolicies(String... policies) {
    return new TokenSpec(List.of(policies), Duration.ofHours(1), SYSTEM_MAX_TTL, true);
  }

  /** The TTL given at issue and, when a renewal asks for no increment, at each renewal. */
  public TokenSpec ttl(Duration ttl) {
    requirePositive(ttl, "ttl");
    return new TokenSpec(policies, ttl, maxTtl, renewable);
  }

  /** No renewal extends the token past its issue time plus this. */
  public TokenSpec maxTtl(Duration maxTtl) {
    requirePositive(maxTtl, "maxTtl");
    return new TokenSpec(policies, ttl, maxTtl, renewable);
  }

  public TokenSpec renewable(boolean renewable) {
    return new TokenSpec(policies, ttl, maxTtl, renewable);
  }

  public List<String> policies() {
    return policies;
  }

  public Duration ttl() {
    return ttl;
  }

  public Duration maxTtl() {
    return maxTtl;
  }

  public boolean renewable() {
    return renewable;
  }

  @Override
  public String toString() {
    return "TokenSpec[policies=" + policies + ", ttl=" + ttl + ", maxTtl=" + maxTtl
        + ", renewable=" + renewable + "]";
  }

  private static void requirePositive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero() || d.toSeconds() == 0) {
      throw new IllegalArgumentException(name + " must be at least one second, was " + d);
    }
  }
}
