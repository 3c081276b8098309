package io.cartosecrets;

import io.cartosecrets.spi.SecretProviderFactory;
import io.cartosecrets.spi.SecretUri;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Registers the {@code test:} scheme for core's discovery tests: {@code test:NAME} reads {@link #VALUES}. */
public final class TestSchemeFactory implements SecretProviderFactory {
  static final Map<String, String> VALUES = new ConcurrentHashMap<>();

  @Override
  public Set<String> schemes() {
    return Set.of("test");
  }

  @Override
  public SecretProvider create(SecretUri uri) {
    String name = uri.path();
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
        return "test:" + name;
      }
    };
  }
}
