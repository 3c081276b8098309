package io.cartosecrets;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What an API Access Token may do, for {@link TokensApi#create(TokenSpec)} and {@link
 * TokensApi#update(CartoToken, TokenSpec)}: grants of a source through a connection, the APIs it may
 * call, the referers it may be used from, and an optional expiration (which CARTO lets you set only
 * at creation). Immutable.
 */
public final class TokenSpec {
  /** A source (table, {@code project.dataset.*}, tileset or SQL text) through a connection. */
  public record Grant(String connectionName, String source) {
    public Grant {
      Objects.requireNonNull(connectionName, "connectionName");
      Objects.requireNonNull(source, "source");
    }
  }

  private final List<Grant> grants;
  private final List<String> allowedApis;
  private final List<String> referers;
  private final Instant expiresAt;

  private TokenSpec(Builder b) {
    this.grants = List.copyOf(b.grants);
    this.allowedApis = List.copyOf(b.allowedApis);
    this.referers = List.copyOf(b.referers);
    this.expiresAt = b.expiresAt;
  }

  public static Builder builder() {
    return new Builder();
  }

  public List<Grant> grants() {
    return grants;
  }

  /** e.g. {@code sql}, {@code maps}. */
  public List<String> allowedApis() {
    return allowedApis;
  }

  /** Allowed referers; empty allows any. */
  public List<String> referers() {
    return referers;
  }

  public Optional<Instant> expiresAt() {
    return Optional.ofNullable(expiresAt);
  }

  @Override
  public String toString() {
    return "TokenSpec[grants=" + grants + ", apis=" + allowedApis + ", referers=" + referers
        + (expiresAt == null ? "" : ", expiresAt=" + expiresAt) + "]";
  }

  /** Builds a {@link TokenSpec}; at least one grant is required. */
  public static final class Builder {
    private final List<Grant> grants = new ArrayList<>();
    private final List<String> allowedApis = new ArrayList<>();
    private final List<String> referers = new ArrayList<>();
    private Instant expiresAt;

    private Builder() {}

    public Builder grant(String connectionName, String source) {
      grants.add(new Grant(connectionName, source));
      return this;
    }

    public Builder allowedApis(String... apis) {
      for (String a : apis) {
        allowedApis.add(Objects.requireNonNull(a, "api"));
      }
      return this;
    }

    public Builder referers(String... values) {
      for (String r : values) {
        referers.add(Objects.requireNonNull(r, "referer"));
      }
      return this;
    }

    public Builder expiresAt(Instant expiresAt) {
      this.expiresAt = Objects.requireNonNull(expiresAt, "expiresAt");
      return this;
    }

    public TokenSpec build() {
      if (grants.isEmpty()) {
        throw new IllegalArgumentException("a token needs at least one grant(connection, source)");
      }
      return new TokenSpec(this);
    }
  }
}
