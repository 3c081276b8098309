package io.cartosecrets;

/**
 * The SPI: loads one secret from where it is kept (an environment variable, a file, AWS Secrets
 * Manager, Vault, Conjur, an OAuth token endpoint). Implementations are thread-safe and may block.
 *
 * <p>A provider describes its source safely ({@code env:CARTO_API_TOKEN},
 * {@code file:/run/secrets/carto_token}); the description never contains the value. Failures are
 * {@link SecretException}s: {@link SecretUnavailableException} for transient ones (the refreshing
 * cache retries them), the other subclasses for permanent ones.
 *
 * <p>Applications rarely call a provider directly: they hand it to
 * {@code CartoClient.fromProvider(...)}, which reads it through a refreshing cache.
 */
public interface SecretProvider extends AutoCloseable {

  /**
   * Loads the current value from the source.
   *
   * @throws SecretException if it cannot be loaded; never with the value in the message
   */
  Secret fetch();

  /**
   * Loads the value again, given the one loaded last. A provider that can tell cheaply that nothing
   * changed (same file, same version id in the store) returns {@code current} itself; others fetch.
   */
  default Secret refresh(Secret current) {
    return fetch();
  }

  /** Where the secret is kept, e.g. {@code vault:kv/team/carto#token}; never the value. */
  String description();

  /**
   * Asks to be told when the source changes, so a cache can reload at once instead of waiting for
   * its next scheduled check. Providers that cannot watch (most remote stores) return a no-op.
   *
   * @param onChange called, on any thread, each time the source may have changed
   * @return a handle that stops watching
   */
  default Watch watch(Runnable onChange) {
    return Watch.NONE;
  }

  /** Releases what the provider holds (HTTP clients, file watches). Idempotent. */
  @Override
  default void close() {}

  /** A subscription from {@link #watch(Runnable)}. */
  @FunctionalInterface
  interface Watch extends AutoCloseable {
    /** A watch that watches nothing. */
    Watch NONE = () -> {};

    @Override
    void close();
  }
}
