package io.cartosecrets;

import io.cartosecrets.spi.SecretProviderFactory;
import io.cartosecrets.spi.SecretUri;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Registers {@code test:NAME} and, standing in for the env module that core cannot depend on,
 * {@code env:NAME}: both read {@link #VALUES}.
 */
public final class TestSchemeFactory implements SecretProviderFactory {
  static final Map<String, String> VALUES = new ConcurrentHashMap<>();

  @Override
  public Set<String> schemes() {
    return Set.of("test", "env");
  }

  @Override
  public SecretProvider create(SecretUri uri) {
    String name = uri.path();
    String scheme = uri.scheme();
    return new SecretProvider() {
      @Override
      public Secret fetch() {
        String v = VALUES.get(name);
        if (v == null) {
          throw new SecretNotFoundException(description(), "no such test secret");
        }
        return Secret.of(v, description());
      }

      @Override
      public String description() {
        return scheme + ":" + name;
      }
    };
  }
}
