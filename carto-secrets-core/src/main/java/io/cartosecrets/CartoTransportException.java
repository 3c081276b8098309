package io.cartosecrets;

/**
 * No usable HTTP answer came from CARTO: the connection failed, a timeout fired (the message says
 * which), or the response could not be read. Retryable.
 */
public final class CartoTransportException extends CartoSecretsException {
  private static final long serialVersionUID = 1L;
  private final String method;
  private final String path;

  CartoTransportException(String method, String path, String message, Throwable cause) {
    super(method + " " + path + ": " + message, true, cause);
    this.method = method;
    this.path = path;
  }

  public String method() {
    return method;
  }

  /** The request path, without query values. */
  public String path() {
    return path;
  }
}
