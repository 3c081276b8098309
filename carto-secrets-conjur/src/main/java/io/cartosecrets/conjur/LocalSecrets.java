package io.cartosecrets.conjur;

import io.cartosecrets.spi.SecretFiles;
import io.cartosecrets.ConfigurationException;
import io.cartosecrets.Secret;
import io.cartosecrets.SecretFormatException;
import io.cartosecrets.SecretNotFoundException;
import io.cartosecrets.SecretProvider;
import java.nio.file.Path;

/**
 * The Conjur API key when it is not behind another provider: in a file, or in {@code
 * CONJUR_AUTHN_API_KEY}. Kept here so the Conjur module works without {@code carto-secrets-env}.
 */
final class LocalSecrets {
  private LocalSecrets() {}

  /** A file holding the API key, re-read on each fetch; one trailing line break is dropped. */
  static SecretProvider file(Path file) {
    return SecretFiles.provider(file);
  }

  /**
   * A value read from the environment when the provider was built.
   *
   * @throws ConfigurationException if it is empty, blank or has a control character
   */
  static SecretProvider environment(String name, String value) {
    Secret secret;
    try {
      secret = Secret.of(value, "env:" + name);
    } catch (SecretFormatException e) {
      throw new ConfigurationException(e.getMessage());
    }
    return new SecretProvider() {
      @Override
      public Secret fetch() {
        return secret;
      }

      @Override
      public String description() {
        return secret.source();
      }

      @Override
      public String toString() {
        return "EnvironmentVariable[" + secret.source() + "]";
      }
    };
  }
}
