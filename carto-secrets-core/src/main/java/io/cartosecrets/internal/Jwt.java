package io.cartosecrets.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/**
 * Reads the header and claims of a compact JWS without verifying it. CARTO signs API Access Tokens
 * with a key only CARTO holds, so a client can only decode them: for a safe label (account, token
 * id) and for the expiry, never to decide whether a token is valid.
 */
public final class Jwt {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final JsonNode header;
  private final JsonNode claims;

  private Jwt(JsonNode header, JsonNode claims) {
    this.header = header;
    this.claims = claims;
  }

  /** Decodes {@code value} when it is shaped like a compact JWS with JSON header and claims. */
  public static Optional<Jwt> decode(String value) {
    int first = value.indexOf('.');
    int second = first < 0 ? -1 : value.indexOf('.', first + 1);
    if (first <= 0 || second < 0 || value.indexOf('.', second + 1) >= 0) {
      return Optional.empty();
    }
    try {
      Base64.Decoder decoder = Base64.getUrlDecoder();
      JsonNode header = MAPPER.readTree(decoder.decode(value.substring(0, first)));
      JsonNode claims = MAPPER.readTree(decoder.decode(value.substring(first + 1, second)));
      if (header == null || !header.isObject() || claims == null || !claims.isObject()) {
        return Optional.empty();
      }
      return Optional.of(new Jwt(header, claims));
    } catch (IllegalArgumentException | java.io.IOException e) {
      return Optional.empty();
    }
  }

  public Optional<String> algorithm() {
    return text(header, "alg");
  }

  public Optional<String> claim(String name) {
    return text(claims, name);
  }

  public boolean hasClaim(String name) {
    return claims.has(name);
  }

  /** Latest expiry accepted: the end of year 9999, far inside what epoch millis can hold. */
  public static final long MAX_EPOCH_SECOND = 253_402_300_799L;

  /**
   * The {@code exp} claim.
   *
   * @throws IllegalArgumentException if it is negative or past year 9999
   */
  public Optional<Instant> expiresAt() {
    JsonNode exp = claims.get("exp");
    if (exp == null || !exp.isNumber()) {
      return Optional.empty();
    }
    if (!exp.canConvertToLong() || exp.asLong() < 0 || exp.asLong() > MAX_EPOCH_SECOND) {
      throw new IllegalArgumentException("exp out of range");
    }
    return Optional.of(Instant.ofEpochSecond(exp.asLong()));
  }

  private static Optional<String> text(JsonNode node, String name) {
    JsonNode value = node.get(name);
    return value != null && value.isTextual() ? Optional.of(value.asText()) : Optional.empty();
  }
}
