package io.cartosecrets;

import io.cartosecrets.spi.SecretProviderFactory;
import io.cartosecrets.spi.SecretUri;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Creates {@link SecretProvider}s from references such as {@code env:CARTO_API_TOKEN} or
 * {@code file:/run/secrets/carto_token}. Schemes come from the provider modules on the class path,
 * found with {@link ServiceLoader}: {@code env:} and {@code file:} from {@code carto-secrets-env},
 * {@code aws-sm:}, {@code vault:} and {@code conjur:} from their modules.
 */
public final class SecretProviders {
  // A compact JWS, or one long run of token characters with no scheme: a value, not a reference.
  private static final Pattern LOOKS_LIKE_JWT =
      Pattern.compile("^\\s*eyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*\\s*$");
  private static final Pattern LOOKS_LIKE_KEY = Pattern.compile("^\\s*[A-Za-z0-9_\\-]{20,}\\s*$");

  private SecretProviders() {}

  /**
   * The provider for a reference.
   *
   * @throws ConfigurationException if the reference is malformed, looks like a token value rather
   *     than a reference (the value is never repeated), or names a scheme no module on the class
   *     path provides
   */
  public static SecretProvider fromUri(String reference) {
    return fromUri(reference, SecretProviders.class.getClassLoader());
  }

  static SecretProvider fromUri(String reference, ClassLoader loader) {
    if (reference == null || reference.isBlank()) {
      throw new ConfigurationException("a secret reference is required, e.g. env:CARTO_API_TOKEN");
    }
    if (LOOKS_LIKE_JWT.matcher(reference).matches() || LOOKS_LIKE_KEY.matcher(reference).matches()) {
      throw new ConfigurationException(
          "a token value was given where a reference to it was expected; the value is not shown."
              + " Keep the token in a secret store and give its reference, e.g."
              + " env:CARTO_API_TOKEN or file:/run/secrets/carto_token. Treat that token as leaked"
              + " if this configuration was committed or logged.");
    }
    SecretUri uri = SecretUri.parse(reference);
    Map<String, SecretProviderFactory> factories = factories(loader);
    SecretProviderFactory factory = factories.get(uri.scheme());
    if (factory == null) {
      throw new ConfigurationException(
          "no provider for scheme '" + uri.scheme() + ":' on the class path; available: "
              + (factories.isEmpty() ? "none" : String.join(", ", factories.keySet()))
              + ". Add the module that provides it (carto-secrets-env for env: and file:,"
              + " carto-secrets-aws for aws-sm:, carto-secrets-vault for vault:,"
              + " carto-secrets-conjur for conjur:).");
    }
    return factory.create(uri);
  }

  private static Map<String, SecretProviderFactory> factories(ClassLoader loader) {
    Map<String, SecretProviderFactory> byScheme = new TreeMap<>();
    for (SecretProviderFactory f : ServiceLoader.load(SecretProviderFactory.class, loader)) {
      for (String scheme : f.schemes()) {
        byScheme.putIfAbsent(scheme, f);
      }
    }
    return byScheme;
  }
}
