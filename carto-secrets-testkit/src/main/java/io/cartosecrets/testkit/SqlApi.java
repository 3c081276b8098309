package io.cartosecrets.testkit;

import static io.cartosecrets.testkit.Replies.MAPPER;
import static io.cartosecrets.testkit.Replies.refuse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import mockwebserver3.MockResponse;

/** {@code GET|POST /v3/sql/{connection}/query} over the {@link DemoTable demo tables}. */
final class SqlApi {
  static final String NO_PERMISSION = "You don't have permissions to read this resource";

  private final TokenRegistry tokens;
  private final Set<String> connections;
  private final Map<String, DemoTable> tables;

  SqlApi(TokenRegistry tokens, Set<String> connections) {
    this.tokens = tokens;
    this.connections = connections;
    Map<String, DemoTable> byName = new HashMap<>();
    for (DemoTable t : DemoTable.demoTables()) {
      for (String name : t.names()) {
        byName.put(name.toLowerCase(Locale.ROOT), t);
      }
    }
    this.tables = Map.copyOf(byName);
  }

  MockResponse query(FakeCartoServer.Call call, String connection) {
    boolean get = call.method().equals("GET");
    if (!get && !call.method().equals("POST")) {
      return Replies.cartoError(405, "Method not allowed");
    }
    TokenRecord token = tokens.authenticate(call);
    if (!token.allowsApi("sql")) {
      throw refuse(403, NO_PERMISSION);
    }
    checkReferer(token, call);
    if (!connections.contains(connection)) {
      throw refuse(404, "Connection not found");
    }

    String q;
    Optional<JsonNode> parameters;
    if (get) {
      q = call.queryParameter("q").orElse(null);
      parameters = call.queryParameter("queryParameters").map(p -> Replies.parseJson(p, "queryParameters"));
    } else {
      JsonNode body = Replies.parseJson(call.body(), "request body");
      if (!body.isObject()) {
        throw refuse(400, "The request body must be a JSON object");
      }
      q = body.path("q").isTextual() ? body.get("q").textValue() : null;
      parameters = Optional.ofNullable(body.get("queryParameters")).filter(p -> !p.isNull());
    }
    if (q == null) {
      throw refuse(400, "Missing required parameter: q");
    }
    if (parameters.isPresent() && !parameters.get().isObject() && !parameters.get().isArray()) {
      throw refuse(400, "queryParameters must be a JSON object or array");
    }

    MiniSql.Result result;
    try {
      MiniSql.Query query = MiniSql.parse(q);
      DemoTable table = tables.get(query.table().toLowerCase(Locale.ROOT));
      if (table == null) {
        throw refuse(400, "Not found: Table " + Replies.abbreviate(query.table()) + " was not found in location US");
      }
      if (!token.grants(connection, table.names(), q)) {
        throw refuse(403, NO_PERMISSION);
      }
      result = MiniSql.execute(query, table, parameters);
    } catch (MiniSql.SqlException e) {
      throw refuse(400, e.getMessage());
    }

    ObjectNode body = MAPPER.createObjectNode();
    ArrayNode rows = body.putArray("rows");
    result.rows().forEach(row -> rows.add(MAPPER.valueToTree(row)));
    ArrayNode schema = body.putArray("schema");
    result.schema().forEach(c -> schema.addObject().put("name", c.name()).put("type", c.type()));
    body.putObject("meta")
        .put("cacheHit", false)
        .put("location", "US")
        .put("totalBytesProcessed", String.valueOf(result.bytesProcessed()));
    return Replies.json(200, body).build();
  }

  private static void checkReferer(TokenRecord token, FakeCartoServer.Call call) {
    if (token.referers().isEmpty()) {
      return;
    }
    // Exact match of the origin, as CARTO does: a configured "https://app.example.com/" (with the
    // trailing slash) never matches, which reproduces the silent 403 users run into.
    Optional<String> origin = call.header("Origin").or(() -> call.header("Referer").flatMap(SqlApi::originOf));
    if (origin.isEmpty() || !token.referers().contains(origin.get())) {
      throw refuse(403, "Unauthorized referer");
    }
  }

  private static Optional<String> originOf(String referer) {
    try {
      URI uri = new URI(referer);
      if (uri.getScheme() == null || uri.getHost() == null) {
        return Optional.empty();
      }
      return Optional.of(uri.getScheme() + "://" + uri.getHost() + (uri.getPort() >= 0 ? ":" + uri.getPort() : ""));
    } catch (URISyntaxException e) {
      return Optional.empty();
    }
  }
}
