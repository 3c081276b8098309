package io.cartosecrets;

import io.cartosecrets.internal.Jwt;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A CARTO credential: an API Access Token, an OAuth access token, or an opaque (legacy) key.
 * Immutable and thread-safe.
 *
 * <p>{@link #toString()} shows the {@linkplain #fingerprint() fingerprint} and, for CARTO JWTs, the
 * account id ({@code a} claim) and token id ({@code jti}) when they decode; never the value. Not
 * {@link CharSequence}, not serializable, constant-time {@link #equals(Object)}.
 *
 * <p>The JWT is decoded, not verified: CARTO alone holds the signing key. The claims only label the
 * token and give its expiry ({@code exp}); CARTO API Access Tokens usually carry no {@code exp}.
 */
public final class CartoToken {
  /** What kind of CARTO credential a token is, as far as its shape tells. */
  public enum Kind {
    /** An HS256 JWT with an account claim {@code a}: works for Maps, SQL, Imports and LDS. */
    API_ACCESS_TOKEN,
    /** An RS256 JWT issued by CARTO's OAuth server: works for every API, including Tokens. */
    OAUTH_ACCESS_TOKEN,
    /** Not a JWT CARTO issues (for example a legacy CARTO 2 API key). */
    OPAQUE
  }

  static final String OAUTH_ACCOUNT_CLAIM = "http://app.carto.com/account_id";
  private static final java.util.regex.Pattern REFERENCE =
      java.util.regex.Pattern.compile("^(env|file|aws-sm|vault|conjur|carto-oauth):");

  // transient: a reflective serializer skips it (see Secret).
  private final transient Secret secret;
  private final Kind kind;
  private final String accountId;
  private final String tokenId;
  private final Instant expiresAt;

  private CartoToken(Secret secret) {
    this.secret = secret;
    String value = secret.reveal();
    java.util.regex.Matcher ref = REFERENCE.matcher(value);
    if (ref.find()) {
      throw new SecretFormatException(
          secret.source(),
          "the value is a secret reference (" + ref.group(1) + ":…), not a token; give references"
              + " where a reference is read (CARTO_TOKEN_SOURCE, SecretProviders.fromUri), not as the token");
    }
    if (value.regionMatches(true, 0, "Bearer ", 0, 7) || value.regionMatches(true, 0, "Authorization:", 0, 14)) {
      throw new SecretFormatException(
          secret.source(),
          "the value starts with '" + value.substring(0, value.indexOf(' ') < 0 ? 7 : value.indexOf(' '))
              + "': store the token alone, without a header name or the Bearer prefix");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      // HTTP header values carry visible ASCII; anything else (a no-break or zero-width space
      // pasted with the token, a BOM) would fail every request inside OkHttp.
      if (c < 0x21 || c > 0x7e) {
        throw new SecretFormatException(
            secret.source(),
            "the token has a character that cannot be sent in an HTTP header (U+"
                + String.format("%04X", (int) c) + ") at position " + i + " of " + value.length()
                + "; CARTO tokens are printable ASCII without spaces");
      }
    }
    Optional<Jwt> jwt = Jwt.decode(value);
    Kind k = Kind.OPAQUE;
    String account = null;
    String jti = null;
    Instant exp = secret.expiresAt().orElse(null);
    if (jwt.isPresent()) {
      Jwt j = jwt.get();
      jti = j.claim("jti").orElse(null);
      if (j.claim("a").isPresent()) {
        k = Kind.API_ACCESS_TOKEN;
        account = j.claim("a").get();
      } else if (j.hasClaim(OAUTH_ACCOUNT_CLAIM) || j.algorithm().filter("RS256"::equals).isPresent()) {
        k = Kind.OAUTH_ACCESS_TOKEN;
        account = j.claim(OAUTH_ACCOUNT_CLAIM).orElse(null);
      }
      Instant jwtExp;
      try {
        jwtExp = j.expiresAt().orElse(null);
      } catch (IllegalArgumentException e) {
        throw new SecretFormatException(secret.source(), "exp", "the token's exp claim is out of range", null);
      }
      if (jwtExp != null && (exp == null || jwtExp.isBefore(exp))) {
        exp = jwtExp;
      }
    }
    if (exp != null && (exp.getEpochSecond() < 0 || exp.getEpochSecond() > Jwt.MAX_EPOCH_SECOND)) {
      throw new SecretFormatException(secret.source(), "the token's expiry is out of range (" + exp.getEpochSecond() + " s)");
    }
    this.kind = k;
    this.accountId = account != null && isSafeLabel(account) ? account : null;
    this.tokenId = jti != null && isSafeLabel(jti) ? jti : null;
    this.expiresAt = exp;
  }

  /**
   * The token held by {@code secret}; its expiry is the earlier of the secret's and the JWT's.
   *
   * @throws SecretFormatException if the value has a character other than printable ASCII (it could
   *     not be sent in a header), or an {@code exp} claim out of range
   */
  public static CartoToken of(Secret secret) {
    return new CartoToken(Objects.requireNonNull(secret, "secret"));
  }

  /**
   * A token from a value and a source description; see {@link Secret#of(String, String)}.
   *
   * @throws SecretFormatException if the value is empty, blank, has a character other than
   *     printable ASCII, or an {@code exp} claim out of range
   */
  public static CartoToken of(String value, String source) {
    return of(Secret.of(value, source));
  }

  /** The value, for the one place that builds the {@code Authorization} header. */
  public String reveal() {
    return secret.reveal();
  }

  /** The secret this token was read from, with its source and version. */
  public Secret secret() {
    return secret;
  }

  public String fingerprint() {
    return secret.fingerprint();
  }

  public String source() {
    return secret.source();
  }

  public Optional<String> version() {
    return secret.version();
  }

  public Kind kind() {
    return kind;
  }

  /** The CARTO account id ({@code a} claim, or the OAuth account claim), when it decodes. */
  public Optional<String> accountId() {
    return Optional.ofNullable(accountId);
  }

  /** The token id ({@code jti} claim), when it decodes. */
  public Optional<String> tokenId() {
    return Optional.ofNullable(tokenId);
  }

  /** When the token expires: the JWT {@code exp} claim or the store's expiry, if either is known. */
  public Optional<Instant> expiresAt() {
    return Optional.ofNullable(expiresAt);
  }

  /** Equal when the values are equal, compared in constant time. */
  @Override
  public boolean equals(Object o) {
    return o instanceof CartoToken && secret.sameValueAs(((CartoToken) o).secret);
  }

  @Override
  public int hashCode() {
    return secret.hashCode();
  }

  /** A label safe for logs: {@code CartoToken[fp=…, account=…, jti=…, source=…]}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("CartoToken[fp=").append(secret.fingerprint());
    if (accountId != null) {
      sb.append(", account=").append(accountId);
    }
    if (tokenId != null) {
      sb.append(", jti=").append(tokenId);
    }
    sb.append(", kind=").append(kind).append(", source=").append(secret.source());
    secret.version().ifPresent(v -> sb.append(", version=").append(v));
    if (expiresAt != null) {
      sb.append(", expiresAt=").append(expiresAt);
    }
    return sb.append(']').toString();
  }

  // A claim is printed only when it is short and plain; a forged token could carry anything there.
  private static boolean isSafeLabel(String s) {
    if (s.isEmpty() || s.length() > 64) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!(Character.isLetterOrDigit(c) || c == '_' || c == '-' || c == '|' || c == '@' || c == '.')) {
        return false;
      }
    }
    return true;
  }

  private void writeObject(ObjectOutputStream out) throws IOException {
    throw new NotSerializableException("CartoToken is never serialized: store a reference, not the value");
  }
}
