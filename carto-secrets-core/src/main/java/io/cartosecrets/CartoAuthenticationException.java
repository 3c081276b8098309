package io.cartosecrets;

/**
 * CARTO answered 401: the token was missing, invalid, expired or revoked. The client has already
 * asked its token provider for a newer token and retried once where there was one. The message
 * names the token's fingerprint and source, and what to check.
 */
public final class CartoAuthenticationException extends CartoApiException {
  private static final long serialVersionUID = 1L;
  private final String tokenFingerprint;
  private final String tokenSource;

  CartoAuthenticationException(ApiError e, String tokenFingerprint, String tokenSource, String baseUrl) {
    super(
        e,
        "The token fp="
            + tokenFingerprint
            + " from "
            + tokenSource
            + " was rejected and the source has no other one. Check that it was not revoked or"
            + " rotated without updating the store, that it is an OAuth token if this API needs one,"
            + " and that "
            + baseUrl
            + " is the API base URL of the token's region or tenant");
    this.tokenFingerprint = tokenFingerprint;
    this.tokenSource = tokenSource;
  }

  /** The fingerprint of the token CARTO rejected. */
  public String tokenFingerprint() {
    return tokenFingerprint;
  }

  /** Where that token came from. */
  public String tokenSource() {
    return tokenSource;
  }
}
