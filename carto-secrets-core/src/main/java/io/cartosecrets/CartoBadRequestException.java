package io.cartosecrets;

/** CARTO answered 400 Bad Request: the request or its SQL is invalid. */
public final class CartoBadRequestException extends CartoApiException {
  private static final long serialVersionUID = 1L;

  CartoBadRequestException(ApiError e) {
    super(e, null);
  }
}
