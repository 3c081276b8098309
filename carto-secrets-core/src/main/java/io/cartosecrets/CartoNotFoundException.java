package io.cartosecrets;

/** CARTO answered 404 Not Found: the connection, map, job or token does not exist. */
public final class CartoNotFoundException extends CartoApiException {
  private static final long serialVersionUID = 1L;

  CartoNotFoundException(ApiError e) {
    super(e, null);
  }
}
