package io.cartosecrets;

/**
 * The secret store could not be reached or did not answer usefully for now: connection refused,
 * timeout, throttling, a 5xx, a sealed Vault. Transient: {@link #retryable()} is {@code true}, and
 * the refreshing cache keeps serving the last good token while it retries with backoff.
 */
public final class SecretUnavailableException extends SecretException {
  private static final long serialVersionUID = 1L;

  public SecretUnavailableException(String source, String message) {
    this(source, message, null);
  }

  public SecretUnavailableException(String source, String message, Throwable cause) {
    super(source, message, true, cause);
  }

  /** With the store's own error code, e.g. {@code AccessDeniedException} or {@code invalid_client}. */
  public SecretUnavailableException(String source, String message, String errorCode, Throwable cause) {
    super(source, message, errorCode, true, cause);
  }
}
