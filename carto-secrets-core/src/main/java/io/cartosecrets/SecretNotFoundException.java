package io.cartosecrets;

/** The secret, its version or its account does not exist at the source. Permanent. */
public final class SecretNotFoundException extends SecretException {
  private static final long serialVersionUID = 1L;

  public SecretNotFoundException(String source, String message) {
    this(source, message, null);
  }

  public SecretNotFoundException(String source, String message, Throwable cause) {
    super(source, message, false, cause);
  }

  /** With the store's own error code, e.g. {@code AccessDeniedException} or {@code invalid_client}. */
  public SecretNotFoundException(String source, String message, String errorCode, Throwable cause) {
    super(source, message, errorCode, false, cause);
  }
}
