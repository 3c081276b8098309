package io.cartosecrets;

/**
 * CARTO tokens by reference: the {@link TokenProvider} counterpart of {@link SecretProviders}.
 *
 * <pre>{@code
 * TokenProvider tokens = TokenProviders.fromUri("file:/run/secrets/carto_token");
 * CartoClient carto = CartoClient.fromProvider(tokens);
 * }</pre>
 */
public final class TokenProviders {
  private TokenProviders() {}

  /**
   * The token kept at {@code reference} ({@code env:CARTO_API_TOKEN}, {@code
   * file:/run/secrets/carto_token}, {@code aws-sm:…}, {@code vault:…}, {@code conjur:…}, {@code
   * carto-oauth:…}), held in a {@link RefreshingTokenProvider} with default settings, which
   * loads it on first use and picks up rotations. Close it to stop its background refresh.
   *
   * @throws ConfigurationException if the reference is malformed, holds a token value instead of
   *     a reference (the value is not repeated), or names a scheme whose module is not on the
   *     class path
   */
  public static RefreshingTokenProvider fromUri(String reference) {
    return RefreshingTokenProvider.create(SecretProviders.fromUri(reference));
  }
}
