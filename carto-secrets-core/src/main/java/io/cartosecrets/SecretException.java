package io.cartosecrets;

/**
 * A secret could not be loaded from its source. {@link #source()} is the provider's safe
 * description of where the secret is kept (for example {@code env:CARTO_API_TOKEN} or
 * {@code aws-sm:prod/carto#api_token}), never its value.
 */
public abstract class SecretException extends CartoSecretsException {
  private static final long serialVersionUID = 1L;
  private final String source;

  protected SecretException(String source, String message, boolean retryable, Throwable cause) {
    super(source + ": " + message, retryable, cause);
    this.source = source;
  }

  /** Where the secret is kept, as the provider describes it; never the value. */
  public String source() {
    return source;
  }
}
