package io.cartosecrets.internal;

import io.cartosecrets.CartoOAuthProvider;
import io.cartosecrets.ConfigurationException;
import io.cartosecrets.SecretProvider;
import io.cartosecrets.SecretProviders;
import io.cartosecrets.spi.SecretProviderFactory;
import io.cartosecrets.spi.SecretUri;
import java.util.Set;

/**
 * {@code carto-oauth:?client_id=REF&client_secret=REF[&token_url=URL][&audience=A]}, where each REF
 * is itself a secret reference such as {@code env:CARTO_CLIENT_ID} or {@code vault:kv/carto#client_secret}.
 */
public final class CartoOAuthProviderFactory implements SecretProviderFactory {
  @Override
  public Set<String> schemes() {
    return Set.of("carto-oauth");
  }

  @Override
  public SecretProvider create(SecretUri uri) {
    uri.requireOnlyParams("client_id", "client_secret", "token_url", "audience");
    String id = uri.param("client_id").orElseThrow(() -> missing("client_id"));
    String secret = uri.param("client_secret").orElseThrow(() -> missing("client_secret"));
    CartoOAuthProvider.Builder b =
        CartoOAuthProvider.builder().clientId(SecretProviders.fromUri(id)).clientSecret(SecretProviders.fromUri(secret));
    uri.param("token_url").ifPresent(b::tokenUrl);
    uri.param("audience").ifPresent(b::audience);
    return b.build();
  }

  private static ConfigurationException missing(String name) {
    return new ConfigurationException(
        "carto-oauth: needs parameter " + name + "=<reference>, e.g."
            + " carto-oauth:?client_id=env:CARTO_CLIENT_ID&client_secret=env:CARTO_CLIENT_SECRET");
  }
}
