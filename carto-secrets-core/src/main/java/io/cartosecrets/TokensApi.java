package io.cartosecrets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import io.cartosecrets.internal.DisplayPath;
import io.cartosecrets.internal.Redactor;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;

/**
 * The Tokens API: create, list, get, update and delete API Access Tokens. CARTO accepts only an
 * OAuth access token here, so every call first checks that the client's token is one (build the
 * client on a {@link CartoOAuthProvider}) and refuses otherwise, saying why. Tokens come back as
 * {@link CartoToken}s. Paths that carry a token value are masked in exceptions and logs.
 * Thread-safe.
 */
public final class TokensApi {
  private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");
  private static final String SOURCE = "carto:tokens-api";

  private final ApiCaller caller;
  private final TokenProvider tokens;
  private final HttpUrl collection;

  TokensApi(ApiCaller caller, TokenProvider tokens, HttpUrl baseUrl) {
    this.caller = caller;
    this.tokens = tokens;
    this.collection = baseUrl.newBuilder().addPathSegments("v3/tokens").build();
  }

  /** Creates an API Access Token. */
  public ApiAccessToken create(TokenSpec spec) {
    Objects.requireNonNull(spec, "spec");
    requireOAuth();
    JsonNode json = caller.call(new Request.Builder().url(collection).post(body(spec, true)).build(), false);
    return parse(json, "create");
  }

  /** The tokens the OAuth identity owns. */
  public List<ApiAccessToken> list() {
    requireOAuth();
    JsonNode json = caller.call(new Request.Builder().url(collection).get().build(), true);
    JsonNode items = json;
    if (json != null && json.isObject()) {
      for (String field : new String[] {"tokens", "results", "data", "items"}) {
        if (json.path(field).isArray()) {
          items = json.get(field);
          break;
        }
      }
    }
    if (items == null || !items.isArray()) {
      throw new CartoResponseException(200, "GET", collection.encodedPath(), "no list of tokens");
    }
    List<ApiAccessToken> out = new ArrayList<>();
    for (JsonNode item : items) {
      out.add(parse(item, "list"));
    }
    return out;
  }

  public ApiAccessToken get(CartoToken token) {
    requireOAuth();
    return parse(caller.call(itemRequest(token).get().build(), true), "get");
  }

  /** Changes grants, APIs or referers (CARTO does not allow changing the expiration). */
  public ApiAccessToken update(CartoToken token, TokenSpec spec) {
    Objects.requireNonNull(spec, "spec");
    requireOAuth();
    return parse(caller.call(itemRequest(token).patch(body(spec, false)).build(), false), "update");
  }

  /** Deletes (revokes) a token: it stops working at once. */
  public void delete(CartoToken token) {
    requireOAuth();
    caller.call(itemRequest(token).delete().build(), true);
  }

  private Request.Builder itemRequest(CartoToken token) {
    Objects.requireNonNull(token, "token");
    // CARTO names this path parameter {token}: the value goes in the path, so exceptions and logs
    // show this masked path instead, whatever the token looks like.
    return new Request.Builder()
        .url(collection.newBuilder().addPathSegment(token.reveal()).build())
        .tag(DisplayPath.class, new DisplayPath(collection.encodedPath() + "/" + Redactor.MASK));
  }

  private void requireOAuth() {
    CartoToken current = tokens.currentToken();
    if (current.kind() != CartoToken.Kind.OAUTH_ACCESS_TOKEN) {
      throw new ConfigurationException(
          "the Tokens API accepts only OAuth access tokens, and this client's token "
              + current.fingerprint() + " from " + current.source() + " is "
              + (current.kind() == CartoToken.Kind.API_ACCESS_TOKEN ? "an API Access Token" : "not a CARTO OAuth token")
              + " (CARTO would answer 401/403). Build the client on CartoOAuthProvider with M2M"
              + " client credentials to manage tokens");
    }
  }

  private static RequestBody body(TokenSpec spec, boolean creating) {
    ObjectNode body = ApiCaller.MAPPER.createObjectNode();
    ArrayNode grants = body.putArray("grants");
    for (TokenSpec.Grant g : spec.grants()) {
      grants.addObject().put("connection_name", g.connectionName()).put("source", g.source());
    }
    // Empty lists are left out: CARTO then applies (or, on update, keeps) its own defaults.
    if (!spec.allowedApis().isEmpty()) {
      ArrayNode apis = body.putArray("allowed_apis");
      spec.allowedApis().forEach(apis::add);
    }
    if (!spec.referers().isEmpty()) {
      ArrayNode referers = body.putArray("referers");
      spec.referers().forEach(referers::add);
    }
    if (creating) {
      spec.expiresAt().ifPresent(e -> body.put("expiration_date", e.toString()));
    }
    return RequestBody.create(body.toString(), JSON);
  }

  private ApiAccessToken parse(JsonNode json, String what) {
    if (json == null || !json.isObject() || !json.path("token").isTextual()) {
      throw new CartoResponseException(200, what, collection.encodedPath(), "no 'token' in the answer");
    }
    CartoToken token = CartoToken.of(json.get("token").asText(), SOURCE);
    List<TokenSpec.Grant> grants = new ArrayList<>();
    for (JsonNode g : json.path("grants")) {
      grants.add(new TokenSpec.Grant(g.path("connection_name").asText(""), g.path("source").asText("")));
    }
    Instant expires = null;
    JsonNode exp = json.get("expiration_date");
    if (exp != null && exp.isTextual()) {
      try {
        expires = Instant.parse(exp.asText());
      } catch (DateTimeParseException e) {
        expires = null;
      }
    }
    return new ApiAccessToken(
        token,
        json.path("id").isTextual() ? json.get("id").asText() : null,
        grants,
        strings(json.path("allowed_apis")),
        strings(json.path("referers")),
        expires != null ? expires : token.expiresAt().orElse(null));
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    for (JsonNode n : array) {
      if (n.isTextual()) {
        out.add(n.asText());
      }
    }
    return out;
  }

  @Override
  public String toString() {
    return "TokensApi[" + collection + "]";
  }
}
