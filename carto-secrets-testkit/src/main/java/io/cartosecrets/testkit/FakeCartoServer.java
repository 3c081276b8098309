package io.cartosecrets.testkit;

import io.cartosecrets.testkit.canary.StandInTraffic;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Pattern;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import okio.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local stand-in for CARTO 3 that speaks enough of its HTTP API for tests and examples: the SQL
 * API over a small in-memory warehouse, Bearer checks against tokens a test adds and revokes while
 * it runs, CARTO-shaped errors, the Tokens API with state, and an Auth0-style OAuth
 * client-credentials token endpoint. It records every request it sees.
 *
 * <pre>{@code
 * try (FakeCartoServer carto = FakeCartoServer.start()) {
 *   String token = carto.mintToken();                 // a valid API Access Token, minted now
 *   // GET carto.baseUrl() + "/v3/sql/carto_dw/query?q=SELECT * FROM cities"
 *   //   with "Authorization: Bearer " + token   ->  200 {"rows": [...], "schema": [...], "meta": {...}}
 *   carto.revokeToken(token);                         // the next request with it gets 401
 *   assertThat(carto.requests()).allSatisfy(c -> assertThat(c.requestLine()).doesNotContain(token));
 * }
 * }</pre>
 *
 * <h2>Endpoints</h2>
 *
 * All paths are below {@link #baseUrl()} (which carries the {@link Builder#pathPrefix path prefix},
 * if any); any other path answers 404 {@code {"error":"Not found"}}.
 *
 * <ul>
 *   <li>{@code GET /v3/sql/{connection}/query?q=...&queryParameters=<json>} and {@code POST} with
 *       the JSON body {@code {"q": "...", "queryParameters": {...}}}. Answers
 *       {@code {"rows", "schema", "meta"}}. Checks, in order: Bearer token valid (else 401
 *       {@code {"error":"Unauthorized"}}), token allows the {@code sql} API (else 403), the
 *       request's {@code Origin}/{@code Referer} matches the token's referers when it has any (else
 *       403 {@code {"error":"Unauthorized referer"}}), connection known (else 404
 *       {@code {"error":"Connection not found"}}), SQL within the supported subset (else 400 with a
 *       warehouse-like message), a grant covers the table (else 403 {@code {"error":"You don't have
 *       permissions to read this resource"}}). The SQL subset is {@code SELECT * | cols | COUNT(*)
 *       FROM table [WHERE col op (@param | ? | 'text' | number) [AND ...]] [ORDER BY col [DESC]]
 *       [LIMIT n]} over the tables {@code cities} (name, country, population) and {@code countries}
 *       (name, code, continent), also reachable as {@code `carto-demo-data.demo_tables.<table>`}.
 *   <li>{@code POST /v3/tokens}, {@code GET /v3/tokens}, {@code GET|PATCH|DELETE /v3/tokens/{token}}
 *       — the Tokens API. It needs an OAuth token (an API Access Token gets 403
 *       {@code {"error":"Forbidden","description":"API Access Tokens cannot manage tokens"}}). The
 *       path parameter may be the token value (as CARTO names it) or its id. A created token works
 *       on the SQL API within its grants at once, and stops working the moment it is deleted. Like
 *       CARTO, which shows tokens to their owner, the list and get answers include token values.
 *       The list is a plain JSON array (CARTO's pagination shape is not documented).
 *   <li>{@code POST /oauth/token} (see {@link #oauthTokenUrl()}) — OAuth client credentials, form
 *       or JSON body, client authentication in the body or by HTTP Basic. Answers {@code
 *       {"access_token", "token_type":"Bearer", "expires_in"}} with an RS256-shaped JWT whose
 *       {@code exp} is computed from the server's clock. Errors have the OAuth shape {@code
 *       {"error", "error_description"}}: 401 {@code invalid_client} ("Client authentication
 *       failed") for an unknown client or a wrong secret, 400 {@code
 *       unsupported_grant_type}/{@code invalid_request}, 403 {@code
 *       access_denied} for a missing or wrong audience, and 429 {@code too_many_requests} with
 *       {@code X-RateLimit-*} headers once more than the configured number of requests arrive in
 *       the rate-limit window (by the server's clock).
 * </ul>
 *
 * <h2>Threads</h2>
 *
 * MockWebServer dispatches each connection on its own thread, so every piece of state is held in
 * concurrent collections and every public method may be called from any thread while requests are
 * in flight. Changes made by a test (add, revoke, failNext, rotate) apply to requests that arrive
 * after the call returns.
 *
 * <p>No token value appears in {@link #toString()}, in {@link Call#toString()} or in this server's
 * log lines (SLF4J, debug level, paths only).
 */
public final class FakeCartoServer implements AutoCloseable {
  /** The connection every server knows unless {@link Builder#connections} says otherwise. */
  public static final String DEFAULT_CONNECTION = "carto_dw";

  /** The audience the OAuth endpoint requires, as CARTO's Auth0 tenant does. */
  public static final String OAUTH_AUDIENCE = "carto-cloud-native-api";

  private static final Logger LOG = LoggerFactory.getLogger(FakeCartoServer.class);
  private static final Pattern TOKEN_IN_PATH = Pattern.compile("(/v3/tokens/)[^/?# ]+");

  private final Options options;
  private final MockWebServer server;
  private final String baseUrl;
  private final int prefixSegments;
  private final TokenRegistry tokens;
  private final SqlApi sqlApi;
  private final TokensApi tokensApi;
  private final OAuthEndpoint oauth;

  // Responses queued by failNext*, each consumed by exactly one request (poll is atomic).
  private final ConcurrentLinkedQueue<MockResponse> forced = new ConcurrentLinkedQueue<>();
  // Every request seen, in arrival order; lock-free appends from the dispatcher threads.
  private final ConcurrentLinkedQueue<Call> calls = new ConcurrentLinkedQueue<>();
  private final AtomicInteger sequence = new AtomicInteger();
  private final AtomicBoolean closed = new AtomicBoolean();

  private FakeCartoServer(Options options) {
    this.options = options;
    this.prefixSegments = options.pathPrefix().isEmpty() ? 0 : options.pathPrefix().substring(1).split("/").length;
    this.tokens = new TokenRegistry(options.clock());
    this.sqlApi = new SqlApi(tokens, options.connections());
    this.tokensApi = new TokensApi(tokens, options.connections(), options.accountId(), options.clock());
    this.oauth =
        new OAuthEndpoint(
            tokens,
            options.accountId(),
            options.clock(),
            options.oauthTokenLifetime(),
            new OAuthEndpoint.RateLimit(options.oauthRateLimitMax(), options.oauthRateLimitWindow()));
    this.server = new MockWebServer();
    server.setServerSocketFactory(NoDelayServerSockets.factory());
    // CARTO's Tokens API addresses a token by its value: GET, PATCH and DELETE /v3/tokens/{token}.
    server.setDispatcher(StandInTraffic.recording(
        "FakeCartoServer",
        line -> TOKEN_IN_PATH.matcher(line).replaceAll("$1{token}"),
        // Only the OAuth exchange carries a secret (the client secret) in its body.
        request -> !request.getUrl().encodedPath().endsWith("/oauth/token"),
        this::handle));
    try {
      server.start(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0);
    } catch (IOException e) {
      throw new UncheckedIOException("FakeCartoServer could not listen on 127.0.0.1", e);
    }
    this.baseUrl = "http://127.0.0.1:" + server.getPort() + options.pathPrefix();
  }

  /** Starts a server with default {@link Options} on 127.0.0.1 and a free port. */
  public static FakeCartoServer start() {
    return new FakeCartoServer(builder().build());
  }

  /** Starts a server with {@code options} on 127.0.0.1 and a free port. */
  public static FakeCartoServer start(Options options) {
    return new FakeCartoServer(Objects.requireNonNull(options, "options"));
  }

  /** A builder for {@link Options}: {@code FakeCartoServer.builder().pathPrefix("/api").start()}. */
  public static Builder builder() {
    return new Builder();
  }

  /** The options this server was started with. */
  public Options options() {
    return options;
  }

  /** {@code http://127.0.0.1:PORT}, followed by the path prefix when one is set (e.g. {@code /api}). */
  public String baseUrl() {
    return baseUrl;
  }

  /** The CARTO account id ({@code ac_...}) of every token this server mints. */
  public String accountId() {
    return options.accountId();
  }

  // ------------------------------------------------------------------ tokens

  /**
   * Mints a new API Access Token for {@link #accountId()} (via {@link TestTokens}, so it is a
   * registered canary) and accepts it from now on, with access to every connection and API.
   */
  public String mintToken() {
    String value = TestTokens.apiAccessToken(accountId(), tokens.uniqueId());
    tokens.put(TokenRecord.unrestricted(value, options.connections(), options.clock().instant()));
    return value;
  }

  /**
   * Mints an OAuth access token for {@link #accountId()} as the token endpoint would, valid for
   * {@link #oauthTokenLifetime()} from the server's clock, without going through the endpoint (it
   * is counted neither by {@link #oauthTokenRequests()} nor by the rate limit). Handy for the
   * Tokens API, which accepts only OAuth tokens.
   */
  public String mintOAuthToken() {
    return oauth.issue(TestTokens.identifier("testkit-"), oauth.lifetime());
  }

  /**
   * Accepts {@code token} from now on, with access to every connection and API. An RS256 JWT is
   * taken as an OAuth token and honours its {@code exp}; anything else as an API Access Token.
   * Adding a token that is already accepted resets it to full access.
   */
  public void addToken(String token) {
    requireText(token, "token");
    tokens.put(TokenRecord.unrestricted(token, options.connections(), options.clock().instant()));
  }

  /** Stops accepting {@code token}: the next request that carries it gets 401. Idempotent. */
  public void revokeToken(String token) {
    tokens.remove(Objects.requireNonNull(token, "token"));
  }

  /** Whether a request carrying {@code token} would pass authentication right now. */
  public boolean isValid(String token) {
    return tokens.isValid(Objects.requireNonNull(token, "token"));
  }

  // ------------------------------------------------------------------ failures

  /**
   * The next request, whichever endpoint it is for, gets {@code status} with CARTO's error body
   * {@code {"error": errorMessage}} instead of its normal answer. Calls queue up: each one
   * applies to one later request. The request is still recorded.
   */
  public void failNext(int status, String errorMessage) {
    failNext(status, errorMessage, Map.of());
  }

  /**
   * Like {@link #failNext(int, String)}, with extra response headers such as {@code Retry-After}
   * or {@code X-Request-Id}.
   */
  public void failNext(int status, String errorMessage, Map<String, String> headers) {
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("status must be an HTTP status code (100-599), was " + status);
    }
    Objects.requireNonNull(errorMessage, "errorMessage");
    Objects.requireNonNull(headers, "headers");
    MockResponse.Builder b = Replies.json(status, Replies.MAPPER.createObjectNode().put("error", errorMessage));
    headers.forEach(b::setHeader);
    forced.add(b.build());
  }

  /** The next request gets exactly {@code response} (any status, body, headers or socket effect). */
  public void failNextRaw(MockResponse response) {
    forced.add(Objects.requireNonNull(response, "response"));
  }

  // ------------------------------------------------------------------ records

  /** Every request this server has seen since it started (or since {@link #clearRequests()}), in arrival order. */
  public List<Call> requests() {
    return List.copyOf(calls);
  }

  /** How many requests {@link #requests()} holds. */
  public int requestCount() {
    return calls.size();
  }

  /** Forgets the recorded requests (tokens, clients and queued failures stay). */
  public void clearRequests() {
    calls.clear();
  }

  // ------------------------------------------------------------------ OAuth

  /**
   * Registers a new OAuth client whose credentials the token endpoint accepts. The id is a random
   * identifier; the secret is minted with {@link TestTokens#secret(int)} (a registered canary).
   */
  public OAuthClient registerOAuthClient() {
    return oauth.register();
  }

  /**
   * Gives {@code clientId} a new secret; the old one is refused (401) from now on. Tokens already
   * issued stay valid until they expire, as with Auth0.
   *
   * @throws IllegalArgumentException if no such client is registered
   */
  public OAuthClient rotateClientSecret(String clientId) {
    return oauth.rotate(Objects.requireNonNull(clientId, "clientId"));
  }

  /** {@code baseUrl() + "/oauth/token"}: the client-credentials token endpoint. */
  public String oauthTokenUrl() {
    return baseUrl + "/oauth/token";
  }

  /** How long tokens from the OAuth endpoint live (CARTO: 24 hours). */
  public Duration oauthTokenLifetime() {
    return oauth.lifetime();
  }

  /** Sets how long tokens issued from now on live; {@code exp} and {@code expires_in} follow it. */
  public void oauthTokenLifetime(Duration lifetime) {
    oauth.lifetime(requirePositive(lifetime, "lifetime"));
  }

  /**
   * From now on, the token endpoint answers 429 once more than {@code maxRequests} requests arrive
   * within {@code window}, measured on the server's clock.
   */
  public void oauthRateLimit(int maxRequests, Duration window) {
    oauth.rateLimit(new OAuthEndpoint.RateLimit(maxRequests, window));
  }

  /** Every request the token endpoint has received, whatever its outcome (including 401 and 429). */
  public int oauthTokenRequests() {
    return oauth.requests();
  }

  /** Stops the server. Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      server.close();
    }
  }

  @Override
  public String toString() {
    return "FakeCartoServer[" + baseUrl + ", account " + accountId() + (closed.get() ? ", closed]" : "]");
  }

  // ================================================================== dispatch

  private MockResponse handle(RecordedRequest request) {
    Call call = Call.of(request, sequence.incrementAndGet(), options.clock().instant());
    calls.add(call);
    MockResponse response = forced.poll();
    if (response == null) {
      try {
        response = route(request.getUrl(), call);
      } catch (Replies.Refusal r) {
        response = r.response();
      } catch (RuntimeException e) {
        LOG.warn("FakeCartoServer failed on {} {}", call.method(), call.safePath(), e);
        response = Replies.cartoError(500, "FakeCartoServer internal error: " + e.getClass().getSimpleName());
      }
    }
    LOG.debug("{} {} -> {}", call.method(), call.safePath(), response.getCode());
    return response;
  }

  private MockResponse route(HttpUrl url, Call call) {
    String prefix = options.pathPrefix();
    if (!prefix.isEmpty() && !url.encodedPath().startsWith(prefix + "/")) {
      return Replies.cartoError(404, "Not found");
    }
    List<String> segments = new ArrayList<>(url.pathSegments().subList(prefixSegments, url.pathSize()));
    if (!segments.isEmpty() && segments.get(segments.size() - 1).isEmpty()) {
      segments.remove(segments.size() - 1); // a trailing slash
    }
    int n = segments.size();
    if (n == 2 && segments.get(0).equals("oauth") && segments.get(1).equals("token")) {
      return oauth.handle(call);
    }
    if (n == 4 && segments.get(0).equals("v3") && segments.get(1).equals("sql") && segments.get(3).equals("query")) {
      return sqlApi.query(call, segments.get(2));
    }
    if (n >= 2 && n <= 3 && segments.get(0).equals("v3") && segments.get(1).equals("tokens")) {
      return n == 2 ? tokensApi.collection(call) : tokensApi.item(call, segments.get(2));
    }
    return Replies.cartoError(404, "Not found");
  }

  static void requireText(String value, String name) {
    Objects.requireNonNull(value, name);
    if (value.isBlank()) {
      throw new IllegalArgumentException(name + " must not be blank");
    }
  }

  static Duration requirePositive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + d);
    }
    return d;
  }

  // ================================================================== public value types

  /**
   * One request as the server received it. {@link #requestLine()} and {@link #target()} are exactly
   * what came over the wire, so a test can prove that no token travelled in a URL.
   * {@link #toString()} shows the method and a path with token-bearing segments masked, never a
   * header, body or query string.
   */
  public static final class Call {
    private final int sequence;
    private final Instant receivedAt;
    private final String method;
    private final String requestLine;
    private final String target;
    private final String path;
    private final HttpUrl url;
    private final Headers headers;
    private final String body;
    private final Optional<String> token;

    private Call(
        int sequence, Instant receivedAt, String method, String requestLine, String target, HttpUrl url, Headers headers, String body) {
      this.sequence = sequence;
      this.receivedAt = receivedAt;
      this.method = method;
      this.requestLine = requestLine;
      this.target = target;
      this.url = url;
      this.path = url.encodedPath();
      this.headers = headers;
      this.body = body;
      String auth = headers.get("Authorization");
      this.token =
          auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7) && !auth.substring(7).isBlank()
              ? Optional.of(auth.substring(7).trim())
              : Optional.empty();
    }

    static Call of(RecordedRequest r, int sequence, Instant receivedAt) {
      ByteString body = r.getBody();
      return new Call(
          sequence,
          receivedAt,
          r.getMethod(),
          r.getRequestLine(),
          r.getTarget(),
          r.getUrl(),
          r.getHeaders(),
          body == null ? "" : body.utf8());
    }

    /** 1 for the first request the server received, 2 for the next, and so on. */
    public int sequence() {
      return sequence;
    }

    /** When the request arrived, by the server's clock. */
    public Instant receivedAt() {
      return receivedAt;
    }

    /** {@code GET}, {@code POST}, ... */
    public String method() {
      return method;
    }

    /** The request line exactly as received, e.g. {@code GET /v3/sql/carto_dw/query?q=... HTTP/1.1}. */
    public String requestLine() {
      return requestLine;
    }

    /** The request target exactly as received: path and query string, still percent-encoded. */
    public String target() {
      return target;
    }

    /** The percent-encoded path, prefix included, without the query string. */
    public String path() {
      return path;
    }

    /** The decoded value of query parameter {@code name}, if the target has it. */
    public Optional<String> queryParameter(String name) {
      return Optional.ofNullable(url.queryParameter(name));
    }

    /** All headers, names in lower case, values in the order received. */
    public Map<String, List<String>> headers() {
      return headers.toMultimap();
    }

    /** The last value of header {@code name} (case-insensitive), if present. */
    public Optional<String> header(String name) {
      return Optional.ofNullable(headers.get(name));
    }

    /** The request body as UTF-8 text; empty if there was none. */
    public String body() {
      return body;
    }

    /** The Bearer token the request carried in its {@code Authorization} header, if any. */
    public Optional<String> token() {
      return token;
    }

    /** The path with the {@code {token}} segment of Tokens API paths masked: safe to log. */
    String safePath() {
      return maskTokenSegment(path);
    }

    @Override
    public String toString() {
      return "Call[#" + sequence + " " + method + " " + safePath() + (token.isPresent() ? ", bearer" : "") + "]";
    }
  }

  static String maskTokenSegment(String path) {
    int at = path.indexOf("/v3/tokens/");
    if (at < 0) {
      return path;
    }
    return path.substring(0, at) + "/v3/tokens/{token}";
  }

  /**
   * Credentials of an OAuth client registered with {@link #registerOAuthClient()}. The secret is
   * test material minted at run time; {@link #toString()} shows the client id only.
   */
  public static final class OAuthClient {
    private final String clientId;
    private final String clientSecret;

    OAuthClient(String clientId, String clientSecret) {
      this.clientId = clientId;
      this.clientSecret = clientSecret;
    }

    public String clientId() {
      return clientId;
    }

    public String clientSecret() {
      return clientSecret;
    }

    @Override
    public String toString() {
      return "OAuthClient[" + clientId + "]";
    }
  }

  /**
   * Immutable start-up options. Build with {@link FakeCartoServer#builder()}; {@link #start()}
   * starts a server with them, so one {@code Options} value can start a server per test.
   */
  public static final class Options {
    private final String pathPrefix;
    private final Clock clock;
    private final String accountId;
    private final Set<String> connections;
    private final Duration oauthTokenLifetime;
    private final int oauthRateLimitMax;
    private final Duration oauthRateLimitWindow;

    private Options(Builder b) {
      this.pathPrefix = b.pathPrefix;
      this.clock = b.clock;
      this.accountId = b.accountId != null ? b.accountId : TestTokens.accountId();
      this.connections = Set.copyOf(b.connections);
      this.oauthTokenLifetime = b.oauthTokenLifetime;
      this.oauthRateLimitMax = b.oauthRateLimitMax;
      this.oauthRateLimitWindow = b.oauthRateLimitWindow;
    }

    /** Starts a server with these options. */
    public FakeCartoServer start() {
      return FakeCartoServer.start(this);
    }

    /** {@code ""} or a path such as {@code /api} that every endpoint sits under. */
    public String pathPrefix() {
      return pathPrefix;
    }

    public Clock clock() {
      return clock;
    }

    public String accountId() {
      return accountId;
    }

    public Set<String> connections() {
      return connections;
    }

    public Duration oauthTokenLifetime() {
      return oauthTokenLifetime;
    }

    public int oauthRateLimitMax() {
      return oauthRateLimitMax;
    }

    public Duration oauthRateLimitWindow() {
      return oauthRateLimitWindow;
    }

    /** A builder holding these options (the account id included). */
    public Builder toBuilder() {
      Builder b = new Builder();
      b.pathPrefix = pathPrefix;
      b.clock = clock;
      b.accountId = accountId;
      b.connections = new LinkedHashSet<>(connections);
      b.oauthTokenLifetime = oauthTokenLifetime;
      b.oauthRateLimitMax = oauthRateLimitMax;
      b.oauthRateLimitWindow = oauthRateLimitWindow;
      return b;
    }

    @Override
    public String toString() {
      return "FakeCartoServer.Options[prefix=" + pathPrefix + ", account=" + accountId + ", connections=" + connections
          + ", oauthTokenLifetime=" + oauthTokenLifetime + ", oauthRateLimit=" + oauthRateLimitMax + "/"
          + oauthRateLimitWindow + "]";
    }
  }

  /** Builds {@link Options}. Defaults: no prefix, system UTC clock, a random account id,
   * connection {@value FakeCartoServer#DEFAULT_CONNECTION}, 24 h OAuth tokens, 30 token requests per minute. */
  public static final class Builder {
    private String pathPrefix = "";
    private Clock clock = Clock.systemUTC();
    private String accountId;
    private Set<String> connections = new LinkedHashSet<>(Set.of(DEFAULT_CONNECTION));
    private Duration oauthTokenLifetime = Duration.ofHours(24);
    private int oauthRateLimitMax = 30;
    private Duration oauthRateLimitWindow = Duration.ofMinutes(1);

    private Builder() {}

    /**
     * A path every endpoint sits under, as self-hosted tenants have ({@code /api}). Leading and
     * trailing slashes are normalised; {@code ""} or {@code "/"} means none.
     */
    public Builder pathPrefix(String prefix) {
      Objects.requireNonNull(prefix, "prefix");
      String p = prefix.trim();
      while (p.endsWith("/")) {
        p = p.substring(0, p.length() - 1);
      }
      if (!p.isEmpty() && !p.startsWith("/")) {
        p = "/" + p;
      }
      if (p.contains("?") || p.contains("#") || p.contains("//") || p.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException("pathPrefix must be a plain path such as /api, was " + prefix);
      }
      this.pathPrefix = p;
      return this;
    }

    /** The clock for token expiry, OAuth {@code iat}/{@code exp} and the rate-limit window. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The account id put in minted tokens; default a random {@code ac_xxxxxxxx}. */
    public Builder accountId(String accountId) {
      requireText(accountId, "accountId");
      this.accountId = accountId;
      return this;
    }

    /** The connections the SQL API knows (replacing the default {@value FakeCartoServer#DEFAULT_CONNECTION}). */
    public Builder connections(String... names) {
      Objects.requireNonNull(names, "names");
      if (names.length == 0) {
        throw new IllegalArgumentException("connections must name at least one connection");
      }
      Set<String> set = new LinkedHashSet<>();
      for (String n : names) {
        requireText(n, "connection name");
        set.add(n);
      }
      this.connections = set;
      return this;
    }

    /** How long OAuth tokens live (default 24 hours, as CARTO's). */
    public Builder oauthTokenLifetime(Duration lifetime) {
      this.oauthTokenLifetime = requirePositive(lifetime, "lifetime");
      return this;
    }

    /** At most {@code maxRequests} token-endpoint requests per {@code window}; more get 429. */
    public Builder oauthRateLimit(int maxRequests, Duration window) {
      OAuthEndpoint.RateLimit checked = new OAuthEndpoint.RateLimit(maxRequests, window);
      this.oauthRateLimitMax = checked.max();
      this.oauthRateLimitWindow = checked.window();
      return this;
    }

    public Options build() {
      return new Options(this);
    }

    /** Shorthand for {@code build().start()}. */
    public FakeCartoServer start() {
      return build().start();
    }
  }
}
