package io.cartosecrets.spi;

import io.cartosecrets.SecretProvider;
import java.util.Set;

/**
 * Creates providers for the URI schemes a module supports. Each provider module registers its
 * factory in {@code META-INF/services/io.cartosecrets.spi.SecretProviderFactory}, so that
 * {@link io.cartosecrets.SecretProviders#fromUri(String)} finds it with {@link java.util.ServiceLoader}.
 */
public interface SecretProviderFactory {

  /** The schemes this factory handles, lower case, without the colon (e.g. {@code aws-sm}). */
  Set<String> schemes();

  /**
   * Creates a provider for {@code uri}, whose scheme is one of {@link #schemes()}.
   *
   * @throws io.cartosecrets.ConfigurationException if the reference is incomplete or invalid
   */
  SecretProvider create(SecretUri uri);
}
