package io.cartosecrets.testkit;

import static io.cartosecrets.testkit.Replies.MAPPER;
import static io.cartosecrets.testkit.Replies.refuse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import mockwebserver3.MockResponse;

/**
 * The Tokens API: {@code POST|GET /v3/tokens} and {@code GET|PATCH|DELETE /v3/tokens/{token}}.
 * Managed tokens are the API Access Tokens in the {@link TokenRegistry}, so a token created here
 * works on the SQL API at once and stops working the moment it is deleted.
 */
final class TokensApi {
  private final TokenRegistry tokens;
  private final Set<String> connections;
  private final String accountId;
  private final Clock clock;

  TokensApi(TokenRegistry tokens, Set<String> connections, String accountId, Clock clock) {
    this.tokens = tokens;
    this.connections = connections;
    this.accountId = accountId;
    this.clock = clock;
  }

  MockResponse collection(FakeCartoServer.Call call) {
    requireOAuth(call);
    switch (call.method()) {
      case "GET": {
        ArrayNode list = MAPPER.createArrayNode();
        tokens.all().stream()
            .filter(t -> t.kind() == TokenRecord.Kind.API_ACCESS)
            .sorted(Comparator.comparing(TokenRecord::createdAt).thenComparing(TokenRecord::id))
            .forEach(t -> list.add(json(t)));
        return Replies.json(200, list).build();
      }
      case "POST":
        return create(call);
      default:
        return Replies.cartoError(405, "Method not allowed");
    }
  }

  MockResponse item(FakeCartoServer.Call call, String key) {
    requireOAuth(call);
    TokenRecord target = find(key).orElseThrow(() -> refuse(404, "Token not found"));
    switch (call.method()) {
      case "GET":
        return Replies.json(200, json(target)).build();
      case "PATCH":
        return update(call, target);
      case "DELETE":
        if (!tokens.remove(target.value())) {
          throw refuse(404, "Token not found");
        }
        return new MockResponse.Builder().code(204).build();
      default:
        return Replies.cartoError(405, "Method not allowed");
    }
  }

  private void requireOAuth(FakeCartoServer.Call call) {
    TokenRecord caller = tokens.authenticate(call);
    if (caller.kind() != TokenRecord.Kind.OAUTH) {
      ObjectNode body =
          MAPPER.createObjectNode().put("error", "Forbidden").put("description", "API Access Tokens cannot manage tokens");
      throw new Replies.Refusal(Replies.json(403, body).build());
    }
  }

  private MockResponse create(FakeCartoServer.Call call) {
    JsonNode body = objectBody(call);
    List<TokenRecord.Grant> grants = grants(body.get("grants"));
    List<String> referers = strings(body.get("referers"), "referers", List.of());
    List<String> apis = apis(body.get("allowed_apis"), List.of("sql", "maps"));
    Instant now = clock.instant();
    Optional<Instant> expires = Optional.empty();
    JsonNode exp = body.get("expiration_date");
    if (exp != null && !exp.isNull()) {
      Instant at = exp.isTextual() ? instant(exp.textValue()) : null;
      if (at == null) {
        throw refuse(400, "expiration_date must be an ISO-8601 date or date-time");
      }
      if (!at.isAfter(now)) {
        throw refuse(400, "expiration_date must be in the future");
      }
      expires = Optional.of(at);
    }
    String id = tokens.uniqueId();
    String value = TestTokens.apiAccessToken(accountId, id);
    TokenRecord record = new TokenRecord(value, id, TokenRecord.Kind.API_ACCESS, grants, referers, apis, expires, now);
    tokens.put(record);
    return Replies.json(201, json(record)).build();
  }

  private MockResponse update(FakeCartoServer.Call call, TokenRecord target) {
    JsonNode body = objectBody(call);
    if (body.has("expiration_date")) {
      throw refuse(400, "expiration_date cannot be changed after the token is created");
    }
    List<TokenRecord.Grant> grants = body.has("grants") ? grants(body.get("grants")) : null;
    List<String> referers = body.has("referers") ? strings(body.get("referers"), "referers", List.of()) : null;
    List<String> apis = body.has("allowed_apis") ? apis(body.get("allowed_apis"), List.of()) : null;
    TokenRecord updated =
        tokens
            .update(
                target.value(),
                old ->
                    old.with(
                        grants != null ? grants : old.grants(),
                        referers != null ? referers : old.referers(),
                        apis != null ? apis : old.allowedApis()))
            .orElseThrow(() -> refuse(404, "Token not found"));
    return Replies.json(200, json(updated)).build();
  }

  /** By value (as CARTO's {@code {token}} path parameter is named) or by id. */
  private Optional<TokenRecord> find(String key) {
    Optional<TokenRecord> byValue = tokens.get(key);
    if (byValue.isPresent()) {
      return byValue.filter(t -> t.kind() == TokenRecord.Kind.API_ACCESS);
    }
    return tokens.all().stream().filter(t -> t.kind() == TokenRecord.Kind.API_ACCESS && t.id().equals(key)).findFirst();
  }

  private static ObjectNode json(TokenRecord t) {
    ObjectNode node = MAPPER.createObjectNode().put("id", t.id()).put("token", t.value());
    ArrayNode grants = node.putArray("grants");
    t.grants().forEach(g -> grants.addObject().put("connection_name", g.connectionName()).put("source", g.source()));
    t.referers().forEach(node.putArray("referers")::add);
    t.allowedApis().forEach(node.putArray("allowed_apis")::add);
    t.expiresAt().ifPresent(e -> node.put("expiration_date", e.toString()));
    return node;
  }

  private static JsonNode objectBody(FakeCartoServer.Call call) {
    JsonNode body = Replies.parseJson(call.body(), "request body");
    if (!body.isObject()) {
      throw refuse(400, "The request body must be a JSON object");
    }
    return body;
  }

  private List<TokenRecord.Grant> grants(JsonNode node) {
    if (node == null || !node.isArray() || node.isEmpty()) {
      throw refuse(400, "grants must be a non-empty array of {connection_name, source}");
    }
    List<TokenRecord.Grant> grants = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      JsonNode g = node.get(i);
      String connection = text(g.get("connection_name"));
      String source = text(g.get("source"));
      if (connection == null) {
        throw refuse(400, "grants[" + i + "].connection_name must be a non-empty string");
      }
      if (source == null) {
        throw refuse(400, "grants[" + i + "].source must be a non-empty string");
      }
      if (!connections.contains(connection)) {
        throw refuse(400, "grants[" + i + "].connection_name: Connection not found");
      }
      grants.add(new TokenRecord.Grant(connection, source));
    }
    return grants;
  }

  private static String text(JsonNode node) {
    return node != null && node.isTextual() && !node.textValue().isBlank() ? node.textValue() : null;
  }

  private static List<String> strings(JsonNode node, String field, List<String> absent) {
    if (node == null || node.isNull()) {
      return absent;
    }
    if (!node.isArray()) {
      throw refuse(400, field + " must be an array of strings");
    }
    List<String> values = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      if (!node.get(i).isTextual()) {
        throw refuse(400, field + "[" + i + "] must be a string");
      }
      values.add(node.get(i).textValue());
    }
    return values;
  }

  private static List<String> apis(JsonNode node, List<String> absent) {
    List<String> apis = strings(node, "allowed_apis", absent);
    for (int i = 0; i < apis.size(); i++) {
      if (!TokenRecord.ALL_APIS.contains(apis.get(i))) {
        throw refuse(400, "allowed_apis[" + i + "] must be one of " + TokenRecord.ALL_APIS);
      }
    }
    if (apis.isEmpty()) {
      throw refuse(400, "allowed_apis must not be empty");
    }
    return List.copyOf(new LinkedHashSet<>(apis));
  }

  /** An ISO-8601 date-time with offset, or a date (midnight UTC); null if neither. */
  private static Instant instant(String text) {
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      try {
        return LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
      } catch (DateTimeParseException e2) {
        return null;
      }
    }
  }
}
