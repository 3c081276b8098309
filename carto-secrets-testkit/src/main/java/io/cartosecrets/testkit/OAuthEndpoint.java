package io.cartosecrets.testkit;

import static io.cartosecrets.testkit.Replies.MAPPER;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockResponse;

/**
 * {@code POST /oauth/token}: OAuth 2.0 client credentials as CARTO's Auth0 tenant answers it, with
 * a client registry, RS256-shaped tokens that expire by the server's clock, and a sliding-window
 * rate limit.
 */
final class OAuthEndpoint {
  record RateLimit(int max, Duration window) {
    RateLimit {
      if (max < 1) {
        throw new IllegalArgumentException("maxRequests must be at least 1, was " + max);
      }
      FakeCartoServer.requirePositive(window, "window");
    }
  }

  private final TokenRegistry tokens;
  private final String accountId;
  private final Clock clock;
  // Client id -> its current secret. Rotation replaces the value atomically.
  private final ConcurrentHashMap<String, String> clients = new ConcurrentHashMap<>();
  private final AtomicInteger requests = new AtomicInteger();
  // Volatile: set by the test thread, read by request threads; each value is immutable.
  private volatile Duration lifetime;
  private volatile RateLimit rateLimit;
  // Arrival times of the requests inside the current window. Guarded by itself: the
  // evict-check-add of a sliding window must be atomic across concurrent requests.
  private final ArrayDeque<Instant> window = new ArrayDeque<>();

  OAuthEndpoint(TokenRegistry tokens, String accountId, Clock clock, Duration lifetime, RateLimit rateLimit) {
    this.tokens = tokens;
    this.accountId = accountId;
    this.clock = clock;
    this.lifetime = lifetime;
    this.rateLimit = rateLimit;
  }

  FakeCartoServer.OAuthClient register() {
    // Auth0 client ids are 32 characters; secrets 64 characters of base64url (48 bytes).
    String clientId = TestTokens.identifier("") + TestTokens.identifier("");
    String secret = TestTokens.secret(48);
    clients.put(clientId, secret);
    return new FakeCartoServer.OAuthClient(clientId, secret);
  }

  FakeCartoServer.OAuthClient rotate(String clientId) {
    String secret = TestTokens.secret(48);
    if (clients.replace(clientId, secret) == null) {
      throw new IllegalArgumentException("No OAuth client is registered with id " + clientId);
    }
    return new FakeCartoServer.OAuthClient(clientId, secret);
  }

  Duration lifetime() {
    return lifetime;
  }

  void lifetime(Duration lifetime) {
    this.lifetime = lifetime;
  }

  void rateLimit(RateLimit limit) {
    this.rateLimit = limit;
  }

  int requests() {
    return requests.get();
  }

  /** Mints and accepts an OAuth token for {@code clientId}, issued now, living {@code life}. */
  String issue(String clientId, Duration life) {
    Instant iat = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    Instant exp = iat.plus(life);
    String token = TestTokens.oauthAccessToken(accountId, clientId, iat, exp);
    String jti =
        TokenRecord.decodeJwt(token)
            .map(p -> p[1].path("jti").asText())
            .filter(s -> !s.isEmpty())
            .orElseGet(TestTokens::tokenId);
    tokens.put(
        new TokenRecord(token, jti, TokenRecord.Kind.OAUTH, List.of(), List.of(), TokenRecord.ALL_APIS, Optional.of(exp), iat));
    return token;
  }

  MockResponse handle(FakeCartoServer.Call call) {
    requests.incrementAndGet();
    if (!call.method().equals("POST")) {
      return error(405, "invalid_request", "The token endpoint only accepts POST");
    }
    Optional<MockResponse> limited = admit(clock.instant());
    if (limited.isPresent()) {
      return limited.get();
    }

    Map<String, String> params = parameters(call);
    Optional<String[]> basic = basicCredentials(call);
    String clientId = basic.map(c -> c[0]).orElse(params.get("client_id"));
    String clientSecret = basic.map(c -> c[1]).orElse(params.get("client_secret"));

    String grantType = params.get("grant_type");
    if (grantType == null) {
      return error(400, "invalid_request", "Missing required parameter: grant_type");
    }
    if (!grantType.equals("client_credentials")) {
      return error(400, "unsupported_grant_type", "Unsupported grant type");
    }
    String expected = clientId == null ? null : clients.get(clientId);
    if (expected == null
        || clientSecret == null
        || !MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), clientSecret.getBytes(StandardCharsets.UTF_8))) {
      // RFC 6749 §5.2: failed client authentication (unknown client or wrong secret, not told
      // apart) is invalid_client with 401.
      return error(401, "invalid_client", "Client authentication failed");
    }
    String audience = params.get("audience");
    if (audience == null) {
      return error(403, "access_denied", "No audience parameter was provided, and no default audience has been configured");
    }
    if (!audience.equals(FakeCartoServer.OAUTH_AUDIENCE)) {
      return error(403, "access_denied", "Service not found");
    }
    Duration life = lifetime;
    ObjectNode body =
        MAPPER.createObjectNode()
            .put("access_token", issue(clientId, life))
            .put("token_type", "Bearer")
            .put("expires_in", life.getSeconds());
    return Replies.json(200, body).setHeader("Cache-Control", "no-store").setHeader("Pragma", "no-cache").build();
  }

  /**
   * Counts this request in the sliding window, or answers 429 if the window is full. Every
   * admitted request counts, whatever its outcome, as Auth0 counts failed attempts too.
   */
  private Optional<MockResponse> admit(Instant now) {
    RateLimit limit = rateLimit;
    synchronized (window) {
      Instant windowStart = now.minus(limit.window());
      while (!window.isEmpty() && !window.peekFirst().isAfter(windowStart)) {
        window.pollFirst();
      }
      if (window.size() < limit.max()) {
        window.addLast(now);
        return Optional.empty();
      }
      Instant reset = window.peekFirst().plus(limit.window());
      long resetSeconds = reset.getEpochSecond() + (reset.getNano() > 0 ? 1 : 0);
      return Optional.of(
          Replies.json(
                  429,
                  MAPPER.createObjectNode()
                      .put("error", "too_many_requests")
                      .put("error_description", "Global limit has been reached"))
              .setHeader("X-RateLimit-Limit", String.valueOf(limit.max()))
              .setHeader("X-RateLimit-Remaining", "0")
              .setHeader("X-RateLimit-Reset", String.valueOf(resetSeconds))
              .build());
    }
  }

  /** The request's parameters from a form or JSON body; a repeated form parameter is refused. */
  private static Map<String, String> parameters(FakeCartoServer.Call call) {
    String contentType = call.header("Content-Type").orElse("").toLowerCase(Locale.ROOT);
    Map<String, String> params = new LinkedHashMap<>();
    if (contentType.startsWith("application/json")) {
      JsonNode body;
      try {
        body = MAPPER.readTree(call.body());
      } catch (JsonProcessingException e) {
        throw new Replies.Refusal(error(400, "invalid_request", "The request body is not valid JSON"));
      }
      if (body == null || !body.isObject()) {
        throw new Replies.Refusal(error(400, "invalid_request", "The request body must be a JSON object"));
      }
      body.properties().forEach(e -> {
        if (e.getValue().isTextual()) {
          params.put(e.getKey(), e.getValue().textValue());
        }
      });
      return params;
    }
    for (String pair : call.body().split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name;
      String value;
      try {
        name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new Replies.Refusal(error(400, "invalid_request", "Malformed form body"));
      }
      if (params.put(name, value) != null) {
        throw new Replies.Refusal(error(400, "invalid_request", "Parameter " + Replies.abbreviate(name) + " is repeated"));
      }
    }
    return params;
  }

  /** Client credentials from {@code Authorization: Basic} (client_secret_basic), if sent. */
  private static Optional<String[]> basicCredentials(FakeCartoServer.Call call) {
    Optional<String> header = call.header("Authorization");
    if (header.isEmpty() || !header.get().regionMatches(true, 0, "Basic ", 0, 6)) {
      return Optional.empty();
    }
    try {
      String decoded = new String(Base64.getDecoder().decode(header.get().substring(6).trim()), StandardCharsets.UTF_8);
      int colon = decoded.indexOf(':');
      if (colon < 0) {
        return Optional.empty();
      }
      return Optional.of(
          new String[] {
            URLDecoder.decode(decoded.substring(0, colon), StandardCharsets.UTF_8),
            URLDecoder.decode(decoded.substring(colon + 1), StandardCharsets.UTF_8)
          });
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** Auth0's error shape: {@code {"error": code, "error_description": text}}. */
  private static MockResponse error(int status, String code, String description) {
    return Replies.json(status, MAPPER.createObjectNode().put("error", code).put("error_description", description)).build();
  }
}
