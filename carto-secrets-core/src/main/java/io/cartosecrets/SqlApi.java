package io.cartosecrets;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;

/**
 * The SQL API v3 for one connection: {@code client.sql("carto_dw").query("SELECT 1")}. Thread-safe.
 */
public final class SqlApi {
  /** Past this URL length CARTO's CDN may refuse the request, so AUTO switches to POST. */
  static final int MAX_GET_URL_LENGTH = 7000;

  private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");

  private final ApiCaller caller;
  private final HttpUrl baseUrl;
  private final String connection;

  // Cheap to make: `carto.sql(name)` is typically called for every query, so the URL is built once
  // per query, in execute(), not here as well.
  SqlApi(ApiCaller caller, HttpUrl baseUrl, String connection) {
    this.caller = caller;
    this.baseUrl = baseUrl;
    this.connection = connection;
  }

  private HttpUrl.Builder queryUrl() {
    return baseUrl.newBuilder().addPathSegments("v3/sql").addPathSegment(connection).addPathSegment("query");
  }

  /** Runs {@code sql}; see {@link #execute(SqlQuery)}. */
  public SqlResult query(String sql) {
    return execute(SqlQuery.of(sql));
  }

  /** Runs {@code sql} with named parameters referenced as {@code @name}. */
  public SqlResult query(String sql, Map<String, ?> params) {
    return execute(SqlQuery.builder(sql).params(params).build());
  }

  /**
   * Runs a query and returns its rows.
   *
   * @throws CartoApiException (a subclass by status) if CARTO answers with an error
   * @throws CartoTransportException if CARTO cannot be reached or a timeout fires
   * @throws SecretException if no token can be had from the provider
   */
  public SqlResult execute(SqlQuery query) {
    Objects.requireNonNull(query, "query");
    String params = query.params().isEmpty() ? null : json(query.params());
    Request request = null;
    if (query.method() != SqlQuery.Method.POST) {
      HttpUrl.Builder url = queryUrl().addQueryParameter("q", query.sql());
      if (params != null) {
        url.addQueryParameter("queryParameters", params);
      }
      url.addQueryParameter("client", "carto-secrets");
      HttpUrl get = url.build();
      if (query.method() == SqlQuery.Method.GET || get.toString().length() <= MAX_GET_URL_LENGTH) {
        request = new Request.Builder().url(get).get().build();
      }
    }
    if (request == null) {
      ObjectNode body = ApiCaller.MAPPER.createObjectNode().put("q", query.sql());
      if (!query.params().isEmpty()) {
        body.set("queryParameters", ApiCaller.MAPPER.valueToTree(query.params()));
      }
      request =
          new Request.Builder()
              .url(queryUrl().addQueryParameter("client", "carto-secrets").build())
              .post(RequestBody.create(body.toString(), JSON))
              .build();
    }
    JsonNode json = caller.call(request, "GET".equals(request.method()));
    return toResult(json, request);
  }

  private SqlResult toResult(JsonNode json, Request request) {
    JsonNode rows = json.get("rows");
    if (rows == null || !rows.isArray()) {
      throw new CartoResponseException(200, request.method(), request.url().encodedPath(), "no 'rows' array");
    }
    List<Map<String, Object>> out = new ArrayList<>(rows.size());
    for (JsonNode row : rows) {
      out.add(toMap(row));
    }
    List<SqlResult.Column> schema = new ArrayList<>();
    JsonNode s = json.get("schema");
    if (s != null && s.isArray()) {
      for (JsonNode c : s) {
        schema.add(new SqlResult.Column(c.path("name").asText(""), c.path("type").asText("")));
      }
    }
    Map<String, Object> meta = new LinkedHashMap<>(toMap(json.path("meta")));
    meta.values().removeIf(Objects::isNull);
    return new SqlResult(out, schema, meta);
  }

  private static Map<String, Object> toMap(JsonNode node) {
    if (node == null || !node.isObject()) {
      return Collections.emptyMap();
    }
    Map<String, Object> m = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      m.put(e.getKey(), plain(e.getValue()));
    }
    return Collections.unmodifiableMap(m);
  }

  /**
   * A JSON value as plain Java, as {@code convertValue(node, Object.class)} gives it (String,
   * Integer/Long/BigInteger, Double, Boolean, null, LinkedHashMap, ArrayList) without that call's
   * serialization round trip, which cost more than the rest of a row's handling.
   */
  static Object plain(JsonNode node) {
    switch (node.getNodeType()) {
      case STRING:
        return node.textValue();
      case NUMBER:
        return node.numberValue();
      case BOOLEAN:
        return node.booleanValue();
      case NULL:
      case MISSING:
        return null;
      case ARRAY:
        List<Object> list = new ArrayList<>(node.size());
        for (JsonNode element : node) {
          list.add(plain(element));
        }
        return list;
      case OBJECT:
        Map<String, Object> map = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          map.put(e.getKey(), plain(e.getValue()));
        }
        return map;
      default:
        // Binary and POJO nodes do not come out of a parser; keep Jackson's own answer for them.
        return ApiCaller.MAPPER.convertValue(node, Object.class);
    }
  }

  private static String json(Map<String, Object> params) {
    try {
      return ApiCaller.MAPPER.writeValueAsString(params);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("query parameters cannot be written as JSON: " + e.getOriginalMessage());
    }
  }

  @Override
  public String toString() {
    return "SqlApi[connection=" + connection + "]";
  }
}
