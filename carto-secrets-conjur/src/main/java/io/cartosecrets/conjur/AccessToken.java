package io.cartosecrets.conjur;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cartosecrets.internal.Fingerprints;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/**
 * A Conjur access token: a JSON object {@code {protected, payload, signature}} that goes, base64
 * encoded, into {@code Authorization: Token token="..."}. Immutable. {@link #toString()} shows the
 * fingerprint and times only (the SDK's own {@code AccessToken.toString()} prints the signature).
 */
final class AccessToken {
  /** What Conjur issues, and what to assume when a token does not say. */
  static final Duration DEFAULT_LIFETIME = Duration.ofMinutes(8);

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration MAX_LIFETIME = Duration.ofHours(24);

  private final String encoded;
  private final String fingerprint;
  private final Instant refreshAt;
  private final Instant usableUntil;

  private AccessToken(String encoded, Instant refreshAt, Instant usableUntil) {
    this.encoded = encoded;
    this.fingerprint = Fingerprints.of(encoded);
    this.refreshAt = refreshAt;
    this.usableUntil = usableUntil;
  }

  /**
   * A token from an authentication response (JSON, or its base64 when asked with {@code
   * Accept-Encoding: base64}). Its lifetime comes from its claims ({@code exp - iat}, else 8
   * minutes) but is counted from {@code receivedAt} on this host's clock, so that a Conjur clock
   * that is off does not matter: it is renewed at half its life and not used in its last tenth.
   *
   * @return empty if the body is not an access token
   */
  static Optional<AccessToken> fromResponse(byte[] body, Instant receivedAt) {
    Optional<String> json = json(new String(body, StandardCharsets.UTF_8));
    if (json.isEmpty()) {
      return Optional.empty();
    }
    Claims claims = claims(json.get());
    Duration life = claims.lifetime().orElse(DEFAULT_LIFETIME);
    return Optional.of(
        new AccessToken(encode(json.get()), receivedAt.plus(life.dividedBy(2)), receivedAt.plus(life.minus(life.dividedBy(10)))));
  }

  /**
   * A token read from a file that a sidecar (authn-k8s) keeps fresh. It is used by its own {@code
   * iat}/{@code exp}, since it may have been written minutes ago; without {@code iat} it is re-read
   * before every use.
   *
   * @return empty if the text is not an access token
   */
  static Optional<AccessToken> fromFile(String text, Instant now) {
    Optional<String> json = json(text);
    if (json.isEmpty()) {
      return Optional.empty();
    }
    Claims claims = claims(json.get());
    if (claims.iat == null) {
      Instant until = claims.exp == null ? now : claims.exp;
      return Optional.of(new AccessToken(encode(json.get()), now, until));
    }
    Duration life = claims.lifetime().orElse(DEFAULT_LIFETIME);
    Instant expiry = claims.iat.plus(life);
    return Optional.of(new AccessToken(encode(json.get()), claims.iat.plus(life.dividedBy(2)), expiry.minus(life.dividedBy(10))));
  }

  /** The value of the {@code Authorization} header. */
  String authorizationHeader() {
    return "Token token=\"" + encoded + "\"";
  }

  /** When to obtain a new token before using this one again. */
  Instant refreshAt() {
    return refreshAt;
  }

  /** Past this the token is not used, even when a new one cannot be had. */
  Instant usableUntil() {
    return usableUntil;
  }

  String fingerprint() {
    return fingerprint;
  }

  /** Whether {@code other} is the same token, compared in constant time. */
  boolean sameAs(AccessToken other) {
    return MessageDigest.isEqual(
        encoded.getBytes(StandardCharsets.US_ASCII), other.encoded.getBytes(StandardCharsets.US_ASCII));
  }

  @Override
  public String toString() {
    return "AccessToken[fp=" + fingerprint + ", refreshAt=" + refreshAt + ", usableUntil=" + usableUntil + "]";
  }

  // The token's JSON, from the JSON itself or its base64; empty if it is neither.
  private static Optional<String> json(String text) {
    String t = text.trim();
    if (t.isEmpty()) {
      return Optional.empty();
    }
    String candidate = t;
    if (t.charAt(0) != '{') {
      try {
        candidate = new String(Base64.getMimeDecoder().decode(t), StandardCharsets.UTF_8).trim();
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
    }
    try {
      JsonNode node = JSON.readTree(candidate);
      if (node != null && node.isObject() && node.path("protected").isTextual()
          && node.path("payload").isTextual() && node.path("signature").isTextual()) {
        return Optional.of(candidate);
      }
      return Optional.empty();
    } catch (IOException e) {
      // Deliberately dropped: a parser message would quote the token.
      return Optional.empty();
    }
  }

  private static String encode(String json) {
    return Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  // iat and exp from the payload; both absent when it does not decode (the token is still used:
  // Conjur, not this client, decides whether it is valid).
  private static Claims claims(String json) {
    try {
      String payload = JSON.readTree(json).path("payload").asText();
      String b64url = payload.replace('+', '-').replace('/', '_').replace("=", "");
      JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(b64url));
      return new Claims(epoch(claims, "iat"), epoch(claims, "exp"));
    } catch (IOException | IllegalArgumentException e) {
      return new Claims(null, null);
    }
  }

  // Latest time a claim may name (end of year 9999): anything later, or before the epoch, is
  // treated as absent, so that arithmetic on it can never overflow an Instant.
  private static final long MAX_EPOCH_SECOND = 253_402_300_799L;

  private static Instant epoch(JsonNode claims, String name) {
    JsonNode n = claims == null ? null : claims.get(name);
    if (n == null || !n.canConvertToLong()) {
      return null;
    }
    long seconds = n.asLong();
    return seconds < 0 || seconds > MAX_EPOCH_SECOND ? null : Instant.ofEpochSecond(seconds);
  }

  private static final class Claims {
    final Instant iat;
    final Instant exp;

    Claims(Instant iat, Instant exp) {
      this.iat = iat;
      this.exp = exp;
    }

    Optional<Duration> lifetime() {
      if (iat == null || exp == null) {
        return Optional.empty();
      }
      Duration d = Duration.between(iat, exp);
      return d.isNegative() || d.isZero() || d.compareTo(MAX_LIFETIME) > 0 ? Optional.empty() : Optional.of(d);
    }
  }
}
