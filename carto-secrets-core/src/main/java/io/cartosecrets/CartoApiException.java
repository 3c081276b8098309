package io.cartosecrets;

import java.util.Optional;

/**
 * CARTO answered with an error status. Carries what a caller needs to act: the status, CARTO's
 * {@code error} message, the request id when CARTO sent one (quote it to CARTO support), the
 * method, and the path without query values. Subclasses name the common cases; other statuses
 * come as this type. Anything the server echoed that looks like a token is masked.
 */
public class CartoApiException extends CartoSecretsException {
  private static final long serialVersionUID = 1L;
  private final int statusCode;
  private final String error;
  private final String requestId;
  private final String method;
  private final String path;

  CartoApiException(ApiError e, String hint) {
    super(message(e, hint), e.statusCode == 429 || e.statusCode >= 500, null);
    this.statusCode = e.statusCode;
    this.error = e.error;
    this.requestId = e.requestId;
    this.method = e.method;
    this.path = e.path;
  }

  private static String message(ApiError e, String hint) {
    StringBuilder sb =
        new StringBuilder("CARTO answered ").append(e.statusCode).append(" to ").append(e.method)
            .append(' ').append(e.path);
    if (e.error != null && !e.error.isEmpty()) {
      sb.append(": ").append(e.error);
    }
    if (hint != null) {
      sb.append(". ").append(hint);
    }
    if (e.requestId != null) {
      sb.append(" (request-id: ").append(e.requestId).append(')');
    }
    return sb.toString();
  }

  /** The HTTP status. */
  public int statusCode() {
    return statusCode;
  }

  /** CARTO's {@code error} message, masked of anything token-shaped; empty if there was none. */
  public String error() {
    return error == null ? "" : error;
  }

  /** The request id response header, if CARTO sent one. */
  public Optional<String> requestId() {
    return Optional.ofNullable(requestId);
  }

  /** The HTTP method. */
  public String method() {
    return method;
  }

  /** The request path, without query values and with any token-shaped segment masked. */
  public String path() {
    return path;
  }

  /** What the client read from an error response; the fields of every {@link CartoApiException}. */
  static final class ApiError {
    final int statusCode;
    final String error;
    final String requestId;
    final String method;
    final String path;
    final java.time.Duration retryAfter;

    ApiError(int statusCode, String error, String requestId, String method, String path, java.time.Duration retryAfter) {
      this.statusCode = statusCode;
      this.error = error;
      this.requestId = requestId;
      this.method = method;
      this.path = path;
      this.retryAfter = retryAfter;
    }
  }
}
