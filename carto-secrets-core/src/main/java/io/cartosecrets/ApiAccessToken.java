package io.cartosecrets;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * An API Access Token as the Tokens API describes it: the token itself (a {@link CartoToken},
 * never a plain string) and what it may do. Immutable; {@link #toString()} shows the fingerprint only.
 */
public final class ApiAccessToken {
  private final CartoToken token;
  private final String id;
  private final List<TokenSpec.Grant> grants;
  private final List<String> allowedApis;
  private final List<String> referers;
  private final Instant expiresAt;

  ApiAccessToken(CartoToken token, String id, List<TokenSpec.Grant> grants, List<String> allowedApis, List<String> referers, Instant expiresAt) {
    this.token = token;
    this.id = id;
    this.grants = List.copyOf(grants);
    this.allowedApis = List.copyOf(allowedApis);
    this.referers = List.copyOf(referers);
    this.expiresAt = expiresAt;
  }

  /** The token; store it in a secret store, never in code. */
  public CartoToken token() {
    return token;
  }

  /** CARTO's id for the token, when it sends one. */
  public Optional<String> id() {
    return Optional.ofNullable(id);
  }

  public List<TokenSpec.Grant> grants() {
    return grants;
  }

  public List<String> allowedApis() {
    return allowedApis;
  }

  public List<String> referers() {
    return referers;
  }

  public Optional<Instant> expiresAt() {
    return Optional.ofNullable(expiresAt);
  }

  @Override
  public String toString() {
    return "ApiAccessToken[" + token + ", grants=" + grants + ", apis=" + allowedApis + "]";
  }
}
