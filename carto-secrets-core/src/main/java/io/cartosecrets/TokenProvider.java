package io.cartosecrets;

import java.util.Objects;

/**
 * Yields the current CARTO token to a client, on every request. Implementations are thread-safe and
 * cheap to call: RefreshingTokenProvider, the default, answers from memory and reloads from
 * its {@link SecretProvider} in the background when the token is due for a check, rotated or
 * rejected.
 */
public interface TokenProvider extends AutoCloseable {

  /**
   * The token to use now.
   *
   * @throws SecretException if no usable token can be had from the source
   */
  CartoToken currentToken();

  /**
   * Tells the provider that CARTO answered 401 to {@code rejected}, and returns the token to try
   * next. Returns a different token only when one is available: the current one if it already
   * differs, or one reloaded from the source. When it returns a token equal to {@code rejected},
   * retrying will not help.
   */
  default CartoToken tokenRejected(CartoToken rejected) {
    return currentToken();
  }

  /** Where the token comes from, e.g. {@code file:/run/secrets/carto_token}; never the value. */
  String description();

  @Override
  default void close() {}

  /**
   * A provider that asks {@code source} on every call, with no cache: for sources that cache
   * themselves, or for tests. Most applications want RefreshingTokenProvider instead.
   */
  static TokenProvider uncached(SecretProvider source) {
    Objects.requireNonNull(source, "source");
    return new TokenProvider() {
      @Override
      public CartoToken currentToken() {
        return CartoToken.of(source.fetch());
      }

      @Override
      public String description() {
        return source.description();
      }

      @Override
      public void close() {
        source.close();
      }

      @Override
      public String toString() {
        return "TokenProvider.uncached(" + source.description() + ")";
      }
    };
  }
}
