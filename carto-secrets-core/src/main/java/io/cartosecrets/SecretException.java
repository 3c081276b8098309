package io.cartosecrets;

import java.util.Optional;

/**
 * A secret could not be loaded from its source. {@link #source()} is the provider's safe
 * description of where the secret is kept (for example {@code env:CARTO_API_TOKEN} or
 * {@code aws-sm:prod/carto#api_token}), never its value.
 */
public abstract class SecretException extends CartoSecretsException {
  private static final long serialVersionUID = 1L;
  private final String source;
  private final String errorCode;

  protected SecretException(String source, String message, boolean retryable, Throwable cause) {
    this(source, message, null, retryable, cause);
  }

  protected SecretException(String source, String message, String errorCode, boolean retryable, Throwable cause) {
    super(source + ": " + message + (errorCode == null ? "" : " [" + errorCode + "]"), retryable, cause);
    this.source = source;
    this.errorCode = errorCode;
  }

  /**
   * The store's own error code, when it gave one: an AWS error type ({@code
   * ResourceNotFoundException}), an OAuth error ({@code invalid_client}), an HTTP status.
   */
  public Optional<String> errorCode() {
    return Optional.ofNullable(errorCode);
  }

  /** Where the secret is kept, as the provider describes it; never the value. */
  public String source() {
    return source;
  }
}
