package io.cartosecrets.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;
import okhttp3.FormBody;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/** Plain OkHttp calls for the tests: the testkit must not depend on carto-secrets-core. */
final class TestHttp {
  static final ObjectMapper MAPPER = new ObjectMapper();
  private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");

  // One client for every test: no retries, so each call is exactly one request on the server.
  static final OkHttpClient CLIENT =
      new OkHttpClient.Builder()
          .retryOnConnectionFailure(false)
          .callTimeout(Duration.ofSeconds(20))
          .build();

  private TestHttp() {}

  /** A response read fully: status, headers and body (parsed as JSON when it is JSON). */
  record Reply(int status, okhttp3.Headers headers, String text) {
    JsonNode json() {
      try {
        return MAPPER.readTree(text);
      } catch (IOException e) {
        throw new AssertionError("response body is not JSON (status " + status + ")", e);
      }
    }
  }

  static HttpUrl sqlUrl(FakeCartoServer server, String connection, String q) {
    return HttpUrl.get(server.baseUrl() + "/v3/sql/" + connection + "/query").newBuilder().addQueryParameter("q", q).build();
  }

  static Reply getSql(FakeCartoServer server, String token, String q) {
    return get(sqlUrl(server, FakeCartoServer.DEFAULT_CONNECTION, q), token);
  }

  static Reply get(HttpUrl url, String token) {
    Request.Builder b = new Request.Builder().url(url);
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return execute(b.build());
  }

  static Reply get(String url, String token) {
    return get(HttpUrl.get(url), token);
  }

  static Reply send(String method, String url, String token, Object jsonBody) {
    Request.Builder b = new Request.Builder().url(url);
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    RequestBody body = jsonBody == null ? null : RequestBody.create(toJson(jsonBody), JSON);
    if (body == null && (method.equals("POST") || method.equals("PATCH"))) {
      body = RequestBody.create("", JSON);
    }
    return execute(b.method(method, body).build());
  }

  static Reply postSql(FakeCartoServer server, String token, Object jsonBody) {
    return send("POST", server.baseUrl() + "/v3/sql/" + FakeCartoServer.DEFAULT_CONNECTION + "/query", token, jsonBody);
  }

  static Reply postForm(String url, Map<String, String> fields) {
    FormBody.Builder form = new FormBody.Builder();
    fields.forEach(form::add);
    return execute(new Request.Builder().url(url).post(form.build()).build());
  }

  static Reply execute(Request request) {
    try (Response r = CLIENT.newCall(request).execute()) {
      return new Reply(r.code(), r.headers(), r.body().string());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String toJson(Object o) {
    try {
      return o instanceof String ? (String) o : MAPPER.writeValueAsString(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
