package io.cartosecrets.conjur.internal;

import io.cartosecrets.ConfigurationException;
import io.cartosecrets.SecretProvider;
import io.cartosecrets.SecretProviders;
import io.cartosecrets.conjur.ConjurSecretProvider;
import io.cartosecrets.spi.SecretProviderFactory;
import io.cartosecrets.spi.SecretUri;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * The {@code conjur:} scheme: {@code conjur:<variable-id>[#field][?name=value&...]}, for example
 * {@code conjur:prod/carto/api-token}. Parameters override the Conjur environment variables, which
 * supply everything not given: {@code url}, {@code account}, {@code cert_file}; {@code login} with
 * {@code api_key} (a reference to another provider, e.g. {@code api_key=file:/run/secrets/key}) or
 * {@code api_key_file}; {@code service_id}, {@code jwt_file}, {@code host_id}; {@code token_file}.
 * In the variable id, {@code #}, {@code ?} and {@code %} are written {@code %23}, {@code %3F} and
 * {@code %25}.
 */
public final class ConjurProviderFactory implements SecretProviderFactory {
  private static final String[] PARAMS = {
    "url", "account", "cert_file", "login", "api_key", "api_key_file", "service_id", "jwt_file",
    "host_id", "token_file"
  };

  private final Map<String, String> environment;

  /** The factory {@link java.util.ServiceLoader} creates: falls back to {@code System.getenv()}. */
  public ConjurProviderFactory() {
    this(System.getenv());
  }

  /** A factory that falls back to {@code environment} instead of the process environment. */
  public ConjurProviderFactory(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  @Override
  public Set<String> schemes() {
    return Set.of("conjur");
  }

  @Override
  public SecretProvider create(SecretUri uri) {
    uri.requireOnlyParams(PARAMS);
    if (uri.path().isEmpty()) {
      throw new ConfigurationException("a conjur: reference needs a variable id, e.g. conjur:prod/carto/api-token");
    }
    ConjurSecretProvider.Builder b = ConjurSecretProvider.builder().environment(environment).variable(uri.path());
    uri.field().ifPresent(b::field);
    uri.param("url").ifPresent(b::applianceUrl);
    uri.param("account").ifPresent(b::account);
    uri.param("cert_file").map(Path::of).ifPresent(b::certFile);
    uri.param("login").ifPresent(b::login);
    uri.param("api_key_file").map(Path::of).ifPresent(b::apiKeyFile);
    uri.param("service_id").ifPresent(b::jwtServiceId);
    uri.param("jwt_file").map(Path::of).ifPresent(b::jwtFile);
    uri.param("host_id").ifPresent(b::jwtHostId);
    uri.param("token_file").map(Path::of).ifPresent(b::accessTokenFile);
    SecretProvider apiKey = uri.param("api_key").map(SecretProviders::fromUri).orElse(null);
    if (apiKey != null) {
      b.apiKey(apiKey);
    }
    try {
      return b.build();
    } catch (RuntimeException e) {
      if (apiKey != null) {
        apiKey.close();
      }
      throw e;
    }
  }
}
