package io.cartosecrets;

/**
 * The store refused to give the secret to this application: wrong credentials, a missing policy
 * or permission, an unusable encryption key. Permanent until an operator changes something.
 */
public final class SecretAccessDeniedException extends SecretException {
  private static final long serialVersionUID = 1L;

  public SecretAccessDeniedException(String source, String message) {
    this(source, message, null);
  }

  public SecretAccessDeniedException(String source, String message, Throwable cause) {
    super(source, message, false, cause);
  }

  /** With the store's own error code, e.g. {@code AccessDeniedException} or {@code invalid_client}. */
  public SecretAccessDeniedException(String source, String message, String errorCode, Throwable cause) {
    super(source, message, errorCode, false, cause);
  }
}
