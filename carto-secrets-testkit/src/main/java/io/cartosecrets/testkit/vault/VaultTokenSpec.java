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
public final class VaultTokenSpec {
  /** Vault's own default for {@code max_lease_ttl}: 768 hours. */
  public static final Duration SYSTEM_MAX_TTL = Duration.ofHours(768);

  private final List<String> policies;
  private final Duration ttl;
  private final Duration maxTtl;
  private final boolean renewable;

  private VaultTokenSpec(List<String> policies, Duration ttl, Duration maxTtl, boolean renewable) {
    this.policies = List.copyOf(policies);
    this.ttl = ttl;
    this.maxTtl = maxTtl;
    this.renewable = renewable;
  }

  /** A renewable token with these policies, a 1 hour TTL and the system maximum TTL. */
  public static VaultTokenSpec withPolicies(String... policies) {
    return new VaultTokenSpec(List.of(policies), Duration.ofHours(1), SYSTEM_MAX_TTL, true);
  }

  /** The TTL given at issue and, when a renewal asks for no increment, at each renewal. */
  public VaultTokenSpec ttl(Duration ttl) {
    requirePositive(ttl, "ttl");
    return new VaultTokenSpec(policies, ttl, maxTtl, renewable);
  }

  /** No renewal extends the token past its issue time plus this. */
  public VaultTokenSpec maxTtl(Duration maxTtl) {
    requirePositive(maxTtl, "maxTtl");
    return new VaultTokenSpec(policies, ttl, maxTtl, renewable);
  }

  public VaultTokenSpec renewable(boolean renewable) {
    return new VaultTokenSpec(policies, ttl, maxTtl, renewable);
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
    return "VaultTokenSpec[policies=" + policies + ", ttl=" + ttl + ", maxTtl=" + maxTtl
        + ", renewable=" + renewable + "]";
  }

  private static void requirePositive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero() || d.toSeconds() == 0) {
      throw new IllegalArgumentException(name + " must be at least one second, was " + d);
    }
  }
}
