package io.cartosecrets;

/** CARTO answered 5xx: CARTO or the data warehouse failed. Retryable. */
public final class CartoServerException extends CartoApiException {
  private static final long serialVersionUID = 1L;

  CartoServerException(ApiError e) {
    super(e, null);
  }
}
