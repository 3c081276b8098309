package io.cartosecrets.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What {@link FakeCartoServer} knows about one token it accepts. Immutable: an update through the
 * Tokens API replaces the record in the registry.
 */
final class TokenRecord {
  enum Kind {
    API_ACCESS,
    OAUTH
  }

  /** One grant: a source (table, {@code *}, {@code prefix.*} or a SQL text) through a connection. */
  record Grant(String connectionName, String source) {}

  static final List<String> ALL_APIS = List.of("sql", "maps", "imports", "lds");

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final String value;
  private final String id;
  private final Kind kind;
  private final List<Grant> grants;
  private final List<String> referers;
  private final List<String> allowedApis;
  private final Optional<Instant> expiresAt;
  private final Instant createdAt;

  TokenRecord(
      String value,
      String id,
      Kind kind,
      List<Grant> grants,
      List<String> referers,
      List<String> allowedApis,
      Optional<Instant> expiresAt,
      Instant createdAt) {
    this.value = value;
    this.id = id;
    this.kind = kind;
    this.grants = List.copyOf(grants);
    this.referers = List.copyOf(referers);
    this.allowedApis = List.copyOf(allowedApis);
    this.expiresAt = expiresAt;
    this.createdAt = createdAt;
  }

  /**
   * A record for a token added by a test: full access to every connection. The kind and expiry
   * come from the token's own JWT header and claims when it has them (RS256 means OAuth, and its
   * {@code exp} is honoured); anything else is treated as an API Access Token.
   */
  static TokenRecord unrestricted(String value, Set<String> connections, Instant now) {
    Optional<JsonNode[]> jwt = decodeJwt(value);
    Kind kind = Kind.API_ACCESS;
    Optional<Instant> exp = Optional.empty();
    String id = null;
    if (jwt.isPresent()) {
      JsonNode header = jwt.get()[0];
      JsonNode claims = jwt.get()[1];
      if ("RS256".equals(header.path("alg").asText())) {
        kind = Kind.OAUTH;
      }
      if (claims.path("exp").isNumber()) {
        exp = Optional.of(Instant.ofEpochSecond(claims.get("exp").asLong()));
      }
      if (claims.path("jti").isTextual()) {
        id = claims.get("jti").asText();
      }
    }
    List<Grant> grants = connections.stream().sorted().map(c -> new Grant(c, "*")).toList();
    return new TokenRecord(
        value, id != null ? id : TestTokens.tokenId(), kind, grants, List.of(), ALL_APIS, exp, now);
  }

  /** The header and claims of a compact JWS, or empty if {@code token} is not one. */
  static Optional<JsonNode[]> decodeJwt(String token) {
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3) {
      return Optional.empty();
    }
    try {
      Base64.Decoder d = Base64.getUrlDecoder();
      JsonNode header = MAPPER.readTree(new String(d.decode(parts[0]), StandardCharsets.UTF_8));
      JsonNode claims = MAPPER.readTree(new String(d.decode(parts[1]), StandardCharsets.UTF_8));
      if (header == null || !header.isObject() || claims == null || !claims.isObject()) {
        return Optional.empty();
      }
      return Optional.of(new JsonNode[] {header, claims});
    } catch (IllegalArgumentException | java.io.IOException e) {
      return Optional.empty();
    }
  }

  String value() {
    return value;
  }

  String id() {
    return id;
  }

  Kind kind() {
    return kind;
  }

  List<Grant> grants() {
    return grants;
  }

  List<String> referers() {
    return referers;
  }

  List<String> allowedApis() {
    return allowedApis;
  }

  Optional<Instant> expiresAt() {
    return expiresAt;
  }

  Instant createdAt() {
    return createdAt;
  }

  boolean expiredAt(Instant now) {
    return expiresAt.isPresent() && !now.isBefore(expiresAt.get());
  }

  boolean allowsApi(String api) {
    return kind == Kind.OAUTH || allowedApis.contains(api);
  }

  /**
   * Whether a grant covers {@code table} (any of its names) or the query text itself through
   * {@code connection}. OAuth tokens stand for the user and may read everything.
   */
  boolean grants(String connection, Set<String> tableNames, String sql) {
    if (kind == Kind.OAUTH) {
      return true;
    }
    String normalizedSql = sql.trim().replaceAll("\\s+", " ");
    for (Grant g : grants) {
      if (!g.connectionName().equals(connection)) {
        continue;
      }
      String source = g.source().trim();
      if (source.equals("*") || source.trim().replaceAll("\\s+", " ").equalsIgnoreCase(normalizedSql)) {
        return true;
      }
      for (String name : tableNames) {
        String lower = name.toLowerCase(Locale.ROOT);
        String src = source.toLowerCase(Locale.ROOT);
        if (src.equals(lower) || (src.endsWith(".*") && lower.startsWith(src.substring(0, src.length() - 1)))) {
          return true;
        }
      }
    }
    return false;
  }

  TokenRecord with(List<Grant> newGrants, List<String> newReferers, List<String> newApis) {
    return new TokenRecord(value, id, kind, newGrants, newReferers, newApis, expiresAt, createdAt);
  }

  @Override
  public String toString() {
    // Never the value: records end up in debugger views and assertion messages.
    return "TokenRecord[" + kind + " id=" + id + "]";
  }
}
