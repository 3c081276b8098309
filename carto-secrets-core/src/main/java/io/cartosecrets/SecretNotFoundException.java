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
}
