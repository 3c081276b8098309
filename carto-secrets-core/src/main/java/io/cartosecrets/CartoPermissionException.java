package io.cartosecrets;

/** CARTO answered 403 Forbidden: the token is valid but not allowed this connection, source, API or referer. Re-reading the token does not help; change its grants. */
public final class CartoPermissionException extends CartoApiException {
  private static final long serialVersionUID = 1L;

  CartoPermissionException(ApiError e) {
    super(e, "the token is valid but lacks a grant for this connection, source, API or referer");
  }
}
