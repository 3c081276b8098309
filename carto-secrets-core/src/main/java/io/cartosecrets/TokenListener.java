package io.cartosecrets;

/**
 * Receives {@link TokenEvent}s from a {@link RefreshingTokenProvider}. Called on the thread that
 * did the refresh, outside any lock; keep it short. An exception thrown here is logged and does not
 * affect the provider or other listeners.
 */
@FunctionalInterface
public interface TokenListener {
  void onEvent(TokenEvent event);
}
