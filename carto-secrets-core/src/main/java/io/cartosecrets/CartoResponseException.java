package io.cartosecrets;

/**
 * CARTO answered with a success status but a body this client cannot read: not JSON, truncated,
 * or missing the fields the API promises. Not retryable as such; usually a proxy or a wrong base URL.
 */
public final class CartoResponseException extends CartoSecretsException {
  private static final long serialVersionUID = 1L;
  private final int statusCode;
  private final String method;
  private final String path;

  CartoResponseException(int statusCode, String method, String path, String message) {
    super(method + " " + path + " answered " + statusCode + " with a body that cannot be read: " + message, false, null);
    this.statusCode = statusCode;
    this.method = method;
    this.path = path;
  }

  public int statusCode() {
    return statusCode;
  }

  public String method() {
    return method;
  }

  public String path() {
    return path;
  }
}
