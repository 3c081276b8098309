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
  private static final Pattern JWT_ANYWHERE = Pattern.compile("eyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]{5,}\\.");
  private static final Pattern SEPARATORS = Pattern.compile("[/:.#?&=@ ,;]+");
  private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]+");
  private static final Pattern REFERENCE = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:");

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
    refuseSecretShapedParts(uri);
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

  /**
   * A token pasted after a scheme ({@code vault:eyJ...}) must not become part of a description that
   * goes into every log line and exception, so the parts of a reference are checked for the shapes
   * of secrets: a JWT anywhere, a long run of hex, or a long run that mixes upper and lower case
   * letters and digits (random keys do; names and paths do not).
   */
  private static void refuseSecretShapedParts(SecretUri uri) {
    String where = null;
    if (looksLikeSecret(uri.path()) || ("env".equals(uri.scheme()) && looksLikeKeyNotName(uri.path()))) {
      where = "its path";
    } else if (uri.field().isPresent() && looksLikeSecret(uri.field().get())) {
      where = "its field";
    } else {
      for (Map.Entry<String, String> p : uri.params().entrySet()) {
        String v = p.getValue();
        // A value that is itself a reference is checked when its own provider is created.
        if (!REFERENCE.matcher(v).find() && looksLikeSecret(v)) {
          where = "parameter '" + p.getKey() + "'";
          break;
        }
      }
    }
    if (where != null) {
      throw new ConfigurationException(
          "the secret reference " + uri.scheme() + ": has what looks like a secret value in " + where
              + "; the value is not shown. A reference names where a secret is kept (a variable,"
              + " a file, a secret id), never the secret itself. Treat that value as leaked if this"
              + " configuration was committed or logged.");
    }
  }

  /**
   * Environment variable names are UPPER_SNAKE (sometimes lower_snake); a long name that mixes
   * cases is far more likely a pasted key (CARTO 2 keys are 22 random URL-safe characters).
   */
  private static boolean looksLikeKeyNotName(String name) {
    return name.length() >= 16 && !name.equals(name.toUpperCase(java.util.Locale.ROOT))
        && !name.equals(name.toLowerCase(java.util.Locale.ROOT));
  }

  static boolean looksLikeSecret(String text) {
    if (JWT_ANYWHERE.matcher(text).find()) {
      return true;
    }
    for (String part : SEPARATORS.split(text)) {
      if (part.length() >= 32 && HEX.matcher(part).matches()) {
        return true;
      }
      if (part.length() >= 20) {
        boolean upper = false;
        boolean lower = false;
        boolean digit = false;
        for (int i = 0; i < part.length(); i++) {
          char c = part.charAt(i);
          upper |= c >= 'A' && c <= 'Z';
          lower |= c >= 'a' && c <= 'z';
          digit |= c >= '0' && c <= '9';
        }
        if (upper && lower && digit) {
          return true;
        }
      }
    }
    return false;
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
