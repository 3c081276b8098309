package io.cartosecrets;

/**
 * How much of each HTTP exchange {@link CartoClient.Builder#httpLogging(HttpLogLevel)} logs, to the
 * SLF4J logger {@code io.cartosecrets.http} at INFO. Whatever the level, {@code Authorization} and
 * other credential headers are replaced by {@code [redacted]} (with the token's fingerprint), and
 * the token, anything token-shaped, and the fields {@code token}, {@code access_token} and {@code
 * client_secret} are masked in URLs and bodies. Use it instead of OkHttp's {@code
 * HttpLoggingInterceptor}, which prints what it is given.
 */
public enum HttpLogLevel {
  /** Nothing (the default). */
  NONE,
  /** Request line, response status and timing. */
  BASIC,
  /** BASIC plus request and response headers. */
  HEADERS,
  /** HEADERS plus text bodies up to 8 KiB. */
  BODY
}
