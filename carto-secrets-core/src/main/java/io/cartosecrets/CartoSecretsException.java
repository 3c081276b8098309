package io.cartosecrets;

/**
 * Root of every exception this SDK throws. Unchecked, because tokens are read inside OkHttp
 * interceptors and {@code Supplier}-style call paths where a checked exception would only be wrapped.
 *
 * <p>No message, {@code toString} or cause chain built by this SDK contains a secret value: secrets
 * are named by their source description and fingerprint only.
 */
public class CartoSecretsException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final boolean retryable;

  protected CartoSecretsException(String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.retryable = retryable;
  }

  /**
   * Whether the same call may succeed if tried again later without any change on the caller's side
   * (a store that is briefly down, a throttled request, a 5xx). Permanent failures (access denied,
   * not found, a malformed secret, bad configuration) return {@code false}.
   */
  public boolean retryable() {
    return retryable;
  }
}
