package io.cartosecrets;

import static io.cartosecrets.Leaks.assertNoCanary;
import static io.cartosecrets.Leaks.assertNoCanaryShownOrLogged;
import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.catchThrowable;

import io.cartosecrets.testkit.canary.CapturedLogs;
import io.cartosecrets.internal.BearerAuthInterceptor;
import io.cartosecrets.internal.Redactor;
import io.cartosecrets.testkit.TestTokens;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import mockwebserver3.MockResponse;
import mockwebserver3.MockResponseBody;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okhttp3.OkHttpClient;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import okio.BufferedSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * CartoClient against servers that try to take the token, echo it back, flood, stall or garble
 * their answers. Every token is minted at run time and registered as a canary; every test scans
 * what the far server recorded, the exception (message, toString, stack trace) and the logs (SLF4J
 * at TRACE, java.util.logging {@code okhttp3} at ALL, the client's own HTTP log at BODY).
 */
class HostileServerTest {
  private static final String ROWS = "{\"rows\":[{\"n\":1}],\"schema\":[{\"name\":\"n\",\"type\":\"number\"}],\"meta\":{}}";
  private static final int[] REDIRECTS = {301, 302, 303, 307, 308};
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  /** Short enough to keep the class fast, long enough for a loaded 2-core machine to connect and send. */
  private static final Duration SHORT = Duration.ofMillis(300);
  /** How long a call may take past its timeout before "promptly" is broken. */
  private static final Duration SLACK = Duration.ofSeconds(3);

  private static final HeldCertificate LOCALHOST = new HeldCertificate.Builder().addSubjectAlternativeName("localhost").build();
  private static final HandshakeCertificates SERVER_TLS = new HandshakeCertificates.Builder().heldCertificate(LOCALHOST).build();
  private static final HandshakeCertificates CLIENT_TLS = new HandshakeCertificates.Builder().addTrustedCertificate(LOCALHOST.certificate()).build();
  /** An application's own OkHttpClient that trusts the HTTPS stand-in; OkHttp's defaults otherwise. */
  private static final OkHttpClient TRUSTING =
      new OkHttpClient.Builder().sslSocketFactory(CLIENT_TLS.sslSocketFactory(), CLIENT_TLS.trustManager()).build();

  private final TestSource source = new TestSource();
  private final List<MockWebServer> servers = new ArrayList<>();
  private final List<AutoCloseable> sockets = new ArrayList<>();
  /** Released after each test: server bodies that stall wait on it, so no server thread outlives the test. */
  private final CountDownLatch teardown = new CountDownLatch(1);
  private CartoClient client;

  @BeforeEach
  void captureLogs() {
    CapturedLogs.clear();
  }

  @AfterEach
  void stop() {
    teardown.countDown();
    if (client != null) {
      client.close();
    }
    servers.forEach(MockWebServer::close);
    for (AutoCloseable s : sockets) {
      try {
        s.close();
      } catch (Exception ignored) {
        // a test socket
      }
    }
  }

  // ================================================================== fixtures

  private MockWebServer server(boolean https) throws IOException {
    MockWebServer s = new MockWebServer();
    if (https) {
      s.useHttps(SERVER_TLS.sslSocketFactory());
    }
    s.start(LOOPBACK, 0);
    servers.add(s);
    return s;
  }

  private static String base(MockWebServer s, String host, boolean https) {
    return (https ? "https://" : "http://") + host + ":" + s.getPort() + "/";
  }

  /** A client that logs every exchange at BODY, does not retry, and takes its token from {@link #source}. */
  private CartoClient.Builder builder(String baseUrl) {
    return CartoClient.builder()
        .baseUrl(baseUrl)
        .tokenProvider(TokenProvider.uncached(source))
        .maxRetries(0)
        .httpLogging(HttpLogLevel.BODY);
  }

  private static MockResponse json(int code, String body) {
    return new MockResponse.Builder().code(code).addHeader("Content-Type", "application/json").body(body).build();
  }

  private static MockResponse redirect(int code, String location) {
    return new MockResponse.Builder().code(code).addHeader("Location", location).build();
  }

  private static RecordedRequest take(MockWebServer s) throws InterruptedException {
    RecordedRequest r = s.takeRequest(5, TimeUnit.SECONDS);
    assertThat(r).as("a request the server should have received").isNotNull();
    return r;
  }

  private void query(String method) {
    SqlQuery.Method m = SqlQuery.Method.valueOf(method);
    client.sql("c").execute(SqlQuery.builder("SELECT n FROM t WHERE x = @x").param("x", 1).method(m).build());
  }

  /** The far side of a redirect must see no Authorization and no form of the token anywhere. */
  private static void assertCarriesNoToken(RecordedRequest r) {
    assertThat(r.getHeaders().get("Authorization")).as("Authorization after the hop").isNull();
    assertNoCanary("what the far server recorded", Leaks.recorded(r));
  }

  private String bearer() {
    return "Bearer " + source.value.get();
  }

  // ================================================================== redirects

  /** Where a redirect goes, relative to the API base URL (origin A). */
  enum Hop {
    /** 127.0.0.1 to localhost: the same server and port, another host name, so another origin. */
    OTHER_HOST,
    /** To a second server on another port. */
    OTHER_PORT,
    /** From an https base URL to plain http (another server, so another port too). */
    HTTPS_TO_HTTP,
    /** A to A (a same-origin hop, which keeps the token) to B on another port. */
    A_TO_A_TO_B
  }

  static Stream<Arguments> redirectMatrix() {
    Stream.Builder<Arguments> out = Stream.builder();
    for (int code : REDIRECTS) {
      for (Hop hop : Hop.values()) {
        for (String method : new String[] {"GET", "POST"}) {
          out.add(Arguments.of(code, hop, method));
        }
      }
    }
    return out.build();
  }

  /**
   * Each redirect code, to another host, another port, from https to http, and over two hops: the
   * far server never gets Authorization nor the token in any header, request line or body. OkHttp
   * drops Authorization when a hop leaves the origin, and the token is added by an application
   * interceptor, above OkHttp's redirect handling, so nothing adds it back. A downgrade from https is
   * not followed at all: the caller gets the 3xx as a CartoApiException, and the far server nothing.
   */
  @ParameterizedTest(name = "{0} {1} ({2})")
  @MethodSource("redirectMatrix")
  void redirectLeavingTheOrigin_neverCarriesTheTokenToTheFarServer(int code, Hop hop, String method) throws Exception {
    boolean https = hop == Hop.HTTPS_TO_HTTP;
    MockWebServer origin = server(https);
    MockWebServer far = hop == Hop.OTHER_HOST ? origin : server(false);
    String base = https ? base(origin, "localhost", true) : base(origin, "127.0.0.1", false);
    String farUrl = base(far, hop == Hop.OTHER_HOST ? "localhost" : "127.0.0.1", false) + "v3/sql/c/query?moved=1";
    int originHops = 1;
    if (hop == Hop.A_TO_A_TO_B) {
      origin.enqueue(redirect(code, base + "v3/sql/c/query?hop=1"));
      originHops = 2;
    }
    origin.enqueue(redirect(code, farUrl));
    far.enqueue(json(200, ROWS));
    CartoClient.Builder b = builder(base);
    client = (https ? b.okHttpClient(TRUSTING) : b).build();

    Throwable thrown = catchThrowable(() -> query(method));

    for (int i = 0; i < originHops; i++) {
      assertThat(take(origin).getHeaders().get("Authorization")).as("origin request " + i).isEqualTo(bearer());
    }
    if (https) {
      assertThat(thrown)
          .isInstanceOfSatisfying(CartoApiException.class, e -> {
            assertThat(e.statusCode()).isEqualTo(code);
            assertThat(e.getMessage()).contains("not followed").contains("http://127.0.0.1:" + far.getPort()).contains("leaves https");
          });
      assertThat(far.getRequestCount()).as("requests the plain-http server got").isZero();
    } else {
      assertThat(thrown).isNull();
      assertCarriesNoToken(take(far));
      assertThat(origin.getRequestCount() + (far == origin ? 0 : far.getRequestCount())).as("requests in all").isEqualTo(originHops + 1);
    }
    assertNoCanaryShownOrLogged(thrown);
  }

  /**
   * A redirect to the same scheme, host and port is followed, and OkHttp sends the token again on
   * the hop: it copies the request's headers and drops Authorization only when the origin changes.
   * That is the origin the token is for.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(ints = {301, 302, 303, 307, 308})
  void redirectWithinTheOrigin_isFollowed_andTheHopCarriesTheTokenAsOkHttpDoes(int code) throws Exception {
    MockWebServer origin = server(false);
    String base = base(origin, "127.0.0.1", false);
    origin.enqueue(redirect(code, base + "v3/sql/c/query?moved=1"));
    origin.enqueue(json(200, ROWS));
    client = builder(base).build();

    assertThat(client.sql("c").query("SELECT 1").rowCount()).isEqualTo(1);
    assertThat(take(origin).getHeaders().get("Authorization")).isEqualTo(bearer());
    RecordedRequest hop = take(origin);
    assertThat(hop.getTarget()).contains("moved=1");
    assertThat(hop.getHeaders().get("Authorization")).as("the same-origin hop").isEqualTo(bearer());
    assertNoCanary("the request line", hop.getRequestLine());
    assertNoCanaryShownOrLogged(null);
  }

  /**
   * A 401 from the server a redirect led to says nothing about the token (it never got it): the
   * provider is not told the token was rejected, nothing is retried, and the far server sees one
   * request without the token, although the store holds a newer token that a reload would send.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(ints = {301, 302, 303, 307, 308})
  void unauthorizedFromTheRedirectTarget_isNotRetried_andNoTokenIsSentThere(int code) throws Exception {
    MockWebServer origin = server(false);
    MockWebServer far = server(false);
    RefreshingTokenProvider cache = RefreshingTokenProvider.builder(source).build();
    String first = cache.currentToken().reveal();
    source.rotate();
    client = builder(base(origin, "127.0.0.1", false)).tokenProvider(cache).build();
    origin.enqueue(redirect(code, base(far, "127.0.0.1", false) + "v3/sql/c/query"));
    origin.enqueue(json(200, ROWS));
    far.enqueue(json(401, "{\"error\":\"Unauthorized\"}"));
    far.enqueue(json(200, ROWS));

    Throwable thrown = catchThrowable(() -> client.sql("c").query("SELECT 1"));

    assertThat(thrown).isInstanceOf(CartoAuthenticationException.class);
    assertThat(take(origin).getHeaders().get("Authorization")).isEqualTo("Bearer " + first);
    assertCarriesNoToken(take(far));
    assertThat(origin.getRequestCount() + far.getRequestCount()).as("requests in all").isEqualTo(2);
    assertThat(cache.metrics().rejections()).as("tokens reported rejected").isZero();
    assertThat(source.fetches).as("store reads").hasValue(1);
    assertNoCanaryShownOrLogged(thrown);
  }

  /**
   * A to B and back to A: the hop back to A carries no token (it was dropped when leaving A, and
   * nothing adds it back), so A's 401 is not about the token and must not make the client reload
   * it and retry.
   */
  @Test
  void unauthorizedFromTheOriginAfterAHopThroughAnotherHost_isNotTakenAsARejectionOfTheToken() throws Exception {
    MockWebServer origin = server(false);
    MockWebServer far = server(false);
    RefreshingTokenProvider cache = RefreshingTokenProvider.builder(source).build();
    cache.currentToken();
    source.rotate();
    String base = base(origin, "127.0.0.1", false);
    client = builder(base).tokenProvider(cache).build();
    origin.enqueue(redirect(302, base(far, "127.0.0.1", false) + "bounce"));
    far.enqueue(redirect(302, base + "v3/sql/c/query?back=1"));
    origin.enqueue(json(401, "{\"error\":\"Unauthorized\"}"));
    origin.enqueue(json(200, ROWS));

    Throwable thrown = catchThrowable(() -> client.sql("c").query("SELECT 1"));

    assertThat(thrown).isInstanceOf(CartoAuthenticationException.class);
    assertThat(take(origin).getHeaders().get("Authorization")).isNotNull();
    assertCarriesNoToken(take(far));
    RecordedRequest back = take(origin);
    assertThat(back.getTarget()).contains("back=1");
    assertThat(back.getHeaders().get("Authorization")).as("the hop back to the origin").isNull();
    assertThat(origin.getRequestCount()).as("origin requests: no retry").isEqualTo(2);
    assertThat(cache.metrics().rejections()).isZero();
    assertNoCanaryShownOrLogged(thrown);
  }

  /**
   * Architecture: the Bearer interceptor is an application interceptor, never a network one (which
   * would add the token again on every redirect hop, to whatever host it names), whether the client
   * builds its own OkHttpClient or derives one from the application's, at every log level; and no
   * derived client follows a redirect from https to http.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(HttpLogLevel.class)
  void authInterceptor_isAnApplicationInterceptor_inEveryClientConfiguration(HttpLogLevel level) {
    for (OkHttpClient given : new OkHttpClient[] {null, new OkHttpClient(), TRUSTING}) {
      CartoClient.Builder b = builder("https://carto.example.com").httpLogging(level);
      try (CartoClient c = given == null ? b.build() : b.okHttpClient(given).build()) {
        assertThat(c.httpClient().interceptors()).filteredOn(i -> i instanceof BearerAuthInterceptor).hasSize(1);
        assertThat(c.httpClient().networkInterceptors()).noneMatch(i -> i instanceof BearerAuthInterceptor);
        assertThat(c.httpClient().followSslRedirects()).as("follows https to http").isFalse();
      }
      if (given != null) {
        assertThat(given.interceptors()).as("the application's client is not changed").isEmpty();
      }
    }
  }

  // ================================================================== echoed tokens

  enum Kind {
    /** A CARTO API Access Token (a JWT: masked by shape as well as by value). */
    JWT,
    /** An opaque credential (legacy key style): only masking by value can catch it. */
    OPAQUE
  }

  /** How an error body gives the request's token back. */
  enum Echo {
    RAW_IN_TEXT(t -> "invalid credentials " + t + "\n", "text/plain"),
    RAW_IN_JSON_ERROR(t -> "{\"error\":\"token " + t + " is not valid\"}", "application/json"),
    BASE64_IN_DESCRIPTION(
        t -> "{\"error\":\"bad auth\",\"description\":\"ctx " + Base64.getEncoder().encodeToString(bytes(t)) + "\"}",
        "application/json"),
    BASE64URL_UNPADDED(
        t -> "{\"error\":\"bad auth " + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes(t)) + "\"}",
        "application/json"),
    NESTED_IN_JSON(
        t -> "{\"error\":{\"code\":7},\"debug\":{\"headers\":{\"authorization\":\"Bearer " + t + "\"},\"token\":\"" + t + "\"}}",
        "application/json"),
    /** Inside a larger Base64 blob (a debug context, a Basic credential): the token's bytes at any alignment. */
    IN_A_BASE64_BLOB(t -> "{\"error\":\"context " + Base64.getEncoder().encodeToString(bytes("ab:" + t + "|x")) + "\"}", "application/json"),
    /** Across the 500 characters an exception keeps of the error: masked before the cut. */
    ACROSS_THE_MESSAGE_CUT(t -> "x".repeat(480) + " " + t + " rest", "text/plain"),
    /** Across the 8 KiB read of the body (and logged): what the read leaves of it is not shown. */
    ACROSS_THE_READ_BOUND(t -> "x ".repeat(4090) + t + " rest", "text/plain"); // 12 characters before the cut

    final Function<String, String> body;
    final String type;

    Echo(Function<String, String> body, String type) {
      this.body = body;
      this.type = type;
    }
  }

  static Stream<Arguments> echoes() {
    Stream.Builder<Arguments> out = Stream.builder();
    for (Echo echo : Echo.values()) {
      for (Kind kind : Kind.values()) {
        for (int status : new int[] {400, 401, 500}) {
          out.add(Arguments.of(echo, kind, status));
        }
      }
    }
    return out.build();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A query to a server that answers {@code answer} of a token of {@code kind} minted now (then in {@link #source}); what it threw. */
  private Throwable queryAnswered(Kind kind, Function<String, MockResponse> answer) throws IOException {
    MockWebServer origin = server(false);
    String token = kind == Kind.JWT ? TestTokens.apiAccessToken() : TestTokens.secret();
    source.value.set(token);
    client = builder(base(origin, "127.0.0.1", false)).build();
    origin.enqueue(answer.apply(token));
    return catchThrowable(() -> client.sql("c").query("SELECT 1"));
  }

  /**
   * An error body that echoes the request's token, raw, Base64, base64url or inside JSON: the
   * exception (message, error(), toString, stack trace) and every log show it masked.
   */
  @ParameterizedTest(name = "{0}, {1} token, {2}")
  @MethodSource("echoes")
  void errorBodyEchoingTheToken_isMaskedInTheExceptionAndInTheLogs(Echo echo, Kind kind, int status) throws Exception {
    Throwable thrown =
        queryAnswered(kind, t -> new MockResponse.Builder().code(status).addHeader("Content-Type", echo.type).body(echo.body.apply(t)).build());

    assertThat(thrown).isInstanceOfSatisfying(CartoApiException.class, e -> assertThat(e.statusCode()).isEqualTo(status));
    if (echo != Echo.ACROSS_THE_READ_BOUND) {
      assertThat(thrown.getMessage()).contains(Redactor.MASK);
    }
    assertThat(CapturedLogs.linesOf("io.cartosecrets.http")).as("the HTTP log lines").hasSize(2);
    assertNoCanaryShownOrLogged(thrown);
    // Canaries finds whole tokens; a cut could leave a part. (A JWT's first characters are its
    // header, the same for every token: only an opaque token's start is a secret part.)
    if (kind == Kind.OPAQUE) {
      String start = source.value.get().substring(0, 12);
      assertThat(Leaks.shown(thrown) + CapturedLogs.allText()).as("the token's first 12 characters").doesNotContain(start);
    }
  }

  /** Response headers that echo the token (request id, any other) are masked in the exception and the logs. */
  @ParameterizedTest(name = "{0} token")
  @EnumSource(Kind.class)
  void responseHeadersEchoingTheToken_areMasked(Kind kind) throws Exception {
    Throwable thrown =
        queryAnswered(
            kind,
            t -> new MockResponse.Builder()
                .code(403)
                .addHeader("X-Request-Id", "req-" + t)
                .addHeader("X-Echo", "Bearer " + t)
                .addHeader("Set-Cookie", "session=" + t)
                .body("{\"error\":\"Forbidden\"}")
                .build());

    assertThat(thrown).isInstanceOfSatisfying(CartoPermissionException.class, e -> assertThat(e.requestId()).contains("req-" + Redactor.MASK));
    assertNoCanaryShownOrLogged(thrown);
  }

  /** A 200 that is not JSON, whose Content-Type echoes the token: typed, and the type is shown masked. */
  @ParameterizedTest(name = "{0} token")
  @EnumSource(Kind.class)
  void notJsonAnswer_withTheTokenInItsContentType_isTypedAndShowsTheTypeMasked(Kind kind) throws Exception {
    Throwable thrown =
        queryAnswered(
            kind, t -> new MockResponse.Builder().code(200).addHeader("Content-Type", "text/html; charset=" + t).body("<html>" + t + "</html>").build());

    assertThat(thrown).isInstanceOf(CartoResponseException.class).hasMessageContaining("not JSON").hasMessageContaining("text/html");
    assertNoCanaryShownOrLogged(thrown);
  }

  /**
   * OkHttp puts what it could not parse in its exception (a status line, a chunk size): when a
   * server echoes the token there, the transport error's cause chain, as printed, shows it masked.
   */
  @ParameterizedTest(name = "{0} token in the status line")
  @EnumSource(Kind.class)
  void garbledStatusLineEchoingTheToken_isATransportErrorWhoseCausesShowItMasked(Kind kind) throws Exception {
    Throwable thrown = queryAnswered(kind, t -> new MockResponse.Builder().status("HTTP/1.1 2x0 " + t).build());

    assertThat(thrown).isInstanceOf(CartoTransportException.class).hasMessageContaining("127.0.0.1");
    assertThat(Leaks.shown(thrown)).contains("ProtocolException");
    assertNoCanaryShownOrLogged(thrown);
  }

  /**
   * The OAuth token endpoint echoing the client secret in a status line OkHttp cannot parse: the
   * exchange fails as a SecretUnavailableException whose causes show the secret masked.
   */
  @Test
  void tokenEndpointEchoingTheClientSecretInAGarbledStatusLine_failsTypedWithTheSecretMasked() throws Exception {
    MockWebServer endpoint = server(false);
    String secret = TestTokens.secret();
    CartoOAuthProvider oauth =
        CartoOAuthProvider.builder()
            .clientId(TestSource.holding(TestTokens.identifier("client-")))
            .clientSecret(TestSource.holding(secret))
            .tokenUrl(base(endpoint, "127.0.0.1", false) + "oauth/token")
            .httpLogging(HttpLogLevel.BODY)
            .build();
    endpoint.enqueue(new MockResponse.Builder().status("HTTP/1.1 2x0 " + secret).build());

    Throwable thrown = catchThrowable(oauth::fetch);

    assertThat(thrown).isInstanceOf(SecretUnavailableException.class);
    assertThat(Leaks.shown(thrown)).contains("ProtocolException");
    assertNoCanaryShownOrLogged(thrown);
  }

  // ================================================================== floods

  /** Writes a body as the server sends it. */
  interface BodyWriter {
    void writeTo(BufferedSink sink) throws IOException;
  }

  private static MockResponseBody body(long contentLength, BodyWriter writer) {
    return new MockResponseBody() {
      @Override
      public long getContentLength() {
        return contentLength;
      }

      @Override
      public void writeTo(BufferedSink sink) throws IOException {
        writer.writeTo(sink);
      }
    };
  }

  /** A body of {@code length} bytes generated as it is sent ({@code -1}: endless, until the client hangs up). */
  private static MockResponseBody flood(long length) {
    byte[] chunk = "<p>flood</p>".repeat(700).getBytes(StandardCharsets.US_ASCII);
    return body(length, sink -> {
      for (long sent = 0; length < 0 || sent < length; sent += chunk.length) {
        sink.write(chunk, 0, (int) (length < 0 ? chunk.length : Math.min(chunk.length, length - sent)));
      }
    });
  }

  enum Flood {
    FIFTY_MEGABYTES(50L * 1024 * 1024),
    ENDLESS(-1);

    final long length;

    Flood(long length) {
      this.length = length;
    }
  }

  static Stream<Arguments> floods() {
    return Stream.of(Flood.values()).flatMap(f -> Stream.of(Arguments.of(f, HttpLogLevel.NONE), Arguments.of(f, HttpLogLevel.BODY)));
  }

  /**
   * A 50 MB or endless error body: the exception holds at most a small excerpt and the call returns
   * promptly, with or without body logging; nothing waits for the body to end.
   */
  @ParameterizedTest(name = "{0}, logging {1}")
  @MethodSource("floods")
  void hugeOrEndlessErrorBody_isReadOnlyUpToASmallBound_andTheCallReturnsPromptly(Flood flood, HttpLogLevel level) throws Exception {
    MockWebServer origin = server(false);
    client = builder(base(origin, "127.0.0.1", false)).httpLogging(level).readTimeout(Duration.ofSeconds(10)).build();
    MockResponse.Builder r = new MockResponse.Builder().code(502).addHeader("Content-Type", "text/html").body(flood(flood.length));
    origin.enqueue((flood.length < 0 ? r.removeHeader("Content-Length") : r).build());

    long start = System.nanoTime();
    Throwable thrown = catchThrowable(() -> client.sql("c").query("SELECT 1"));
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(thrown).isInstanceOfSatisfying(CartoServerException.class, e -> {
      assertThat(e.error().length()).as("error() length").isLessThanOrEqualTo(501);
      assertThat(e.getMessage().length()).as("message length").isLessThan(1000);
    });
    assertThat(took).as("time to the exception").isLessThan(SLACK);
    assertThat(CapturedLogs.allText().length()).as("all that was logged").isLessThan(64 * 1024);
    assertNoCanaryShownOrLogged(thrown);
  }

  // ================================================================== stalls

  /** A body that sends {@code first} bytes of a longer one, flushes, and stalls until the test ends. */
  private MockResponseBody stallingAfter(String first, long contentLength) {
    return body(contentLength, sink -> {
      sink.writeUtf8(first).flush();
      try {
        teardown.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
  }

  /** A listening socket on loopback that never accepts, its queue full, so that a new connect is never answered. */
  private int unansweredPort() throws IOException {
    ServerSocket listener = new ServerSocket(0, 1, LOOPBACK);
    sockets.add(listener);
    for (int i = 0; i < 16; i++) {
      Socket s = new Socket();
      sockets.add(s);
      try {
        s.connect(new InetSocketAddress(LOOPBACK, listener.getLocalPort()), 200);
      } catch (SocketTimeoutException queueFull) {
        return listener.getLocalPort();
      }
    }
    return Assumptions.abort("this OS answers every connect to a listener that never accepts");
  }

  enum Stall {
    /** Connect never answered, connect timeout set. */
    CONNECT_NEVER_ANSWERED("connect timeout"),
    /** Connected, the request read, no status line ever sent; read timeout set. */
    HEADERS_NEVER_SENT("read timeout"),
    /** Headers and part of the body sent, then nothing; read timeout set. */
    BODY_STALLS_MIDWAY("read timeout"),
    /** The same, without HTTP logging (which reads the body itself at BODY level). */
    BODY_STALLS_MIDWAY_NOT_LOGGED("read timeout"),
    /** Headers never sent; a call timeout shorter than the read timeout. */
    HEADERS_NEVER_SENT_CALL_TIMEOUT("call timeout"),
    /** A body that trickles, one byte at a time, under the read timeout but past the call timeout. */
    BODY_TRICKLES_PAST_CALL_TIMEOUT("call timeout");

    final String says;

    Stall(String says) {
      this.says = says;
    }
  }

  /**
   * A server that stalls, at each stage: with short timeouts set through the builder the call ends
   * soon after the timeout, as a retryable CartoTransportException that says which timeout fired
   * and names the host.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(Stall.class)
  void stallingServer_firesTheConfiguredTimeout_andTheErrorSaysWhichAndNamesTheHost(Stall stall) throws Exception {
    Duration longer = Duration.ofSeconds(20);
    String half = ROWS.substring(0, ROWS.length() / 2);
    String base;
    CartoClient.Builder b;
    if (stall == Stall.CONNECT_NEVER_ANSWERED) {
      base = "http://127.0.0.1:" + unansweredPort() + "/";
      b = builder(base).connectTimeout(SHORT);
    } else {
      MockWebServer origin = server(false);
      base = base(origin, "127.0.0.1", false);
      MockResponse.Builder r = new MockResponse.Builder().code(200).addHeader("Content-Type", "application/json");
      switch (stall) {
        case HEADERS_NEVER_SENT, HEADERS_NEVER_SENT_CALL_TIMEOUT -> r.onResponseStart(SocketEffect.Stall.INSTANCE);
        case BODY_STALLS_MIDWAY, BODY_STALLS_MIDWAY_NOT_LOGGED -> r.body(stallingAfter(half, ROWS.length()));
        default -> r.body("{\"rows\":[" + " ".repeat(5000) + "]}").throttleBody(1, 10, TimeUnit.MILLISECONDS);
      }
      origin.enqueue(r.build());
      b = builder(base).connectTimeout(longer);
      b = stall.says.equals("call timeout") ? b.readTimeout(longer).callTimeout(SHORT) : b.readTimeout(SHORT);
      if (stall == Stall.BODY_STALLS_MIDWAY_NOT_LOGGED) {
        b.httpLogging(HttpLogLevel.NONE);
      }
    }
    client = b.build();

    long start = System.nanoTime();
    Throwable thrown = catchThrowable(() -> client.sql("c").query("SELECT 1"));
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(thrown)
        .isInstanceOfSatisfying(CartoTransportException.class, e -> {
          assertThat(e.getMessage()).contains(stall.says).contains("host 127.0.0.1");
          assertThat(e.retryable()).isTrue();
          assertThat(e.path()).isEqualTo("/v3/sql/c/query");
        });
    assertThat(took).as("time to the exception").isGreaterThanOrEqualTo(SHORT.minusMillis(50)).isLessThan(SHORT.plus(SLACK));
    assertNoCanaryShownOrLogged(thrown);
  }

  // ================================================================== garbled answers

  /** Answers a stand-in for CARTO, a proxy or a WAF may give that the client cannot use. */
  enum Garbled {
    BROKEN_JSON(b -> b.code(200).addHeader("Content-Type", "application/json").body("{\"rows\":[{\"n\":1},"), CartoResponseException.class),
    HTML_LOGIN_PAGE_200(b -> b.code(200).addHeader("Content-Type", "text/html").body("<html><form>login</form></html>"), CartoResponseException.class),
    JSON_ARRAY(b -> b.code(200).addHeader("Content-Type", "application/json").body("[1,2]"), CartoResponseException.class),
    JSON_NULL(b -> b.code(200).addHeader("Content-Type", "application/json").body("null"), CartoResponseException.class),
    JSON_STRING(b -> b.code(200).addHeader("Content-Type", "application/json").body("\"ok\""), CartoResponseException.class),
    ROWS_NOT_AN_ARRAY(b -> b.code(200).addHeader("Content-Type", "application/json").body("{\"rows\":{\"n\":1}}"), CartoResponseException.class),
    EMPTY_200(b -> b.code(200), CartoResponseException.class),
    NO_CONTENT_204(b -> b.code(204), CartoResponseException.class),
    BINARY_GARBAGE(b -> b.code(200).addHeader("Content-Type", "application/octet-stream").body(new okio.Buffer().write(new byte[] {0, (byte) 0xff, 0x1f, (byte) 0x8b})), CartoResponseException.class),
    CLAIMS_GZIP_BUT_IS_NOT(b -> b.code(200).addHeader("Content-Type", "application/json").addHeader("Content-Encoding", "gzip").body(ROWS), CartoTransportException.class),
    DROPPED_BEFORE_ANSWERING(b -> b.onResponseStart(new SocketEffect.CloseSocket()), CartoTransportException.class),
    TRUNCATED_BODY(b -> b.code(200).addHeader("Content-Type", "application/json").body(ROWS).onResponseBody(new SocketEffect.CloseSocket()), CartoTransportException.class),
    TRUNCATED_ERROR_BODY(b -> b.code(500).addHeader("Content-Type", "application/json").body("{\"error\":\"" + "x".repeat(400) + "\"}").onResponseBody(new SocketEffect.CloseSocket()), CartoServerException.class),
    TRUNCATED_CHUNKED_BODY(b -> b.code(200).addHeader("Content-Type", "application/json").chunkedBody(ROWS, 8).onResponseBody(new SocketEffect.CloseSocket()), CartoTransportException.class),
    ERROR_STATUS_WITH_NO_BODY(b -> b.code(503), CartoServerException.class),
    UNKNOWN_ERROR_STATUS(b -> b.code(418).body("{\"error\":7}"), CartoApiException.class);

    final UnaryOperator<MockResponse.Builder> response;
    final Class<? extends CartoSecretsException> type;

    Garbled(UnaryOperator<MockResponse.Builder> response, Class<? extends CartoSecretsException> type) {
      this.response = response;
      this.type = type;
    }
  }

  /**
   * Malformed JSON, the wrong content type, a truncated body, a lying Content-Encoding: each is a
   * typed exception from the CartoSecretsException hierarchy (never a NullPointerException or a
   * Jackson or OkHttp type escaping), and nothing leaks.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(Garbled.class)
  void garbledAnswer_isATypedException_andLeaksNothing(Garbled garbled) throws Exception {
    MockWebServer origin = server(false);
    client = builder(base(origin, "127.0.0.1", false)).build();
    // OkHttp retries once on a new connection when the server drops one before answering; the
    // second copy makes that retry fail the same way.
    origin.enqueue(garbled.response.apply(new MockResponse.Builder()).build());
    origin.enqueue(garbled.response.apply(new MockResponse.Builder()).build());

    Throwable thrown = catchThrowable(() -> client.sql("c").query("SELECT 1"));

    assertThat(thrown).isExactlyInstanceOf(garbled.type);
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      assertThat(t).isNotInstanceOf(NullPointerException.class).isNotInstanceOf(ClassCastException.class);
    }
    assertNoCanaryShownOrLogged(thrown);
  }

  /** Tokens API answers without a usable token: typed, and the unusable value is not repeated. */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"{}", "{\"token\":42}", "{\"token\":\"\"}", "{\"token\":\"zq7 zq8\"}", "{\"token\":\"zq7\\tzq8\"}", "[]", "not json"})
  void tokensApiAnswerWithoutAUsableToken_isTyped(String body) throws Exception {
    MockWebServer origin = server(false);
    Instant now = Instant.now();
    source.value.set(TestTokens.oauthAccessToken(TestTokens.accountId(), "client", now, now.plus(1, ChronoUnit.HOURS)));
    client = builder(base(origin, "127.0.0.1", false)).build();
    origin.enqueue(json(201, body));

    Throwable thrown = catchThrowable(() -> client.tokens().create(TokenSpec.builder().grant("carto_dw", "*").allowedApis("sql").build()));

    assertThat(thrown).isInstanceOfAny(CartoResponseException.class, SecretFormatException.class);
    assertThat(Leaks.shown(thrown)).doesNotContain("zq7").doesNotContain("zq8");
    assertNoCanaryShownOrLogged(thrown);
  }
}
