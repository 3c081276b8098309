package io.cartosecrets;

import static io.cartosecrets.Leaks.assertNoCanaryShownOrLogged;
import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.catchThrowable;

import io.cartosecrets.testkit.canary.CapturedLogs;
import io.cartosecrets.internal.Redactor;
import io.cartosecrets.testkit.FakeCartoServer;
import io.cartosecrets.testkit.TestTokens;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okio.Buffer;
import okio.GzipSink;
import okio.Okio;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code CartoClient.builder().httpLogging(level)} at every level, against the testkit's stand-in
 * CARTO (SQL API, Tokens API, OAuth token endpoint) and against servers that echo secrets: what
 * each level shows, and that Authorization, the token and the secret fields never show.
 */
class HttpLoggingRedactionTest {
  private static final String HTTP_LOGGER = "io.cartosecrets.http";
  private static final String SQL = "SELECT name FROM cities WHERE country = @c";

  private final FakeCartoServer carto = FakeCartoServer.start();
  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeEach
  void captureLogs() {
    CapturedLogs.clear();
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
    carto.close();
  }

  private CartoClient client(String baseUrl, TokenProvider tokens, HttpLogLevel level) {
    CartoClient c = CartoClient.builder().baseUrl(baseUrl).tokenProvider(tokens).maxRetries(0).httpLogging(level).build();
    closing.add(c);
    return c;
  }

  /** A client whose token comes from an M2M OAuth exchange at the stand-in's token endpoint. */
  private CartoClient oauthClient(HttpLogLevel level) {
    FakeCartoServer.OAuthClient app = carto.registerOAuthClient();
    CartoOAuthProvider oauth =
        CartoOAuthProvider.builder()
            .clientId(TestSource.holding(app.clientId()))
            .clientSecret(TestSource.holding(app.clientSecret()))
            .tokenUrl(carto.oauthTokenUrl())
            .build();
    CartoClient c = CartoClient.builder().baseUrl(carto.baseUrl()).secretProvider(oauth).httpLogging(level).build();
    closing.add(c);
    return c;
  }

  /** Everything the client's HTTP logger wrote, one entry per exchange half. */
  private static String httpLog() {
    return CapturedLogs.linesOf(HTTP_LOGGER).stream().map(CapturedLogs.Line::text).collect(Collectors.joining("\n"));
  }

  private static List<String> httpLogLines(String containing) {
    return CapturedLogs.linesOf(HTTP_LOGGER).stream().map(CapturedLogs.Line::text).filter(t -> t.contains(containing)).collect(Collectors.toList());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(HttpLogLevel.class)
  void sqlQueries_areLoggedAtTheChosenLevel_withAuthorizationAndTheTokenMasked(HttpLogLevel level) {
    String token = carto.mintToken();
    CartoClient c = client(carto.baseUrl(), TokenProvider.uncached(TestSource.holding(token)), level);

    c.sql("carto_dw").query(SQL, Map.of("c", "Spain"));
    c.sql("carto_dw").execute(SqlQuery.builder(SQL).param("c", "Spain").method(SqlQuery.Method.POST).build());

    String log = httpLog();
    String fingerprint = CartoToken.of(token, "test").fingerprint();
    if (level == HttpLogLevel.NONE) {
      assertThat(CapturedLogs.linesOf(HTTP_LOGGER)).isEmpty();
    } else {
      assertThat(CapturedLogs.linesOf(HTTP_LOGGER)).as("request and response of two exchanges").hasSize(4);
      assertThat(log).contains("--> GET ").contains("--> POST ").contains("<-- 200 /v3/sql/carto_dw/query");
    }
    if (level.compareTo(HttpLogLevel.HEADERS) >= 0) {
      assertThat(log).contains("Authorization: " + Redactor.MASK + " (token fp=" + fingerprint + ")").contains("User-Agent: carto-secrets-java/");
    } else {
      assertThat(log).doesNotContain("Authorization").doesNotContain("User-Agent");
    }
    if (level == HttpLogLevel.BODY) {
      assertThat(log).contains("Madrid").contains("\"q\":\"" + SQL + "\"");
    } else {
      assertThat(log).doesNotContain("Madrid").doesNotContain("\"q\":");
    }
    assertNoCanaryShownOrLogged(null);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(HttpLogLevel.class)
  void oauthTokenExchange_isLoggedAtTheClientsLevel_withTheClientSecretAndTheAccessTokenMasked(HttpLogLevel level) {
    CartoClient c = oauthClient(level);

    c.sql("carto_dw").query("SELECT name FROM cities");

    List<String> exchange = httpLogLines("/oauth/token");
    if (level == HttpLogLevel.NONE) {
      assertThat(exchange).isEmpty();
    } else {
      assertThat(exchange).as("request and response at the token endpoint").hasSize(2);
      assertThat(exchange.get(0)).startsWith("--> POST ");
      assertThat(exchange.get(1)).startsWith("<-- 200 /oauth/token");
    }
    if (level.compareTo(HttpLogLevel.HEADERS) >= 0) {
      assertThat(exchange.get(0)).contains("Content-Type: application/x-www-form-urlencoded");
    }
    if (level == HttpLogLevel.BODY) {
      assertThat(exchange.get(0)).contains("grant_type=client_credentials").contains("client_secret=" + Redactor.MASK);
      assertThat(exchange.get(1)).contains("\"access_token\":\"" + Redactor.MASK + "\"").contains("expires_in");
    }
    assertNoCanaryShownOrLogged(null);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(HttpLogLevel.class)
  void tokensApiAnswersCarryingTokens_areLoggedWithEveryTokenMasked(HttpLogLevel level) {
    CartoClient c = client(carto.baseUrl(), TokenProvider.uncached(TestSource.holding(carto.mintOAuthToken())), level);
    List<String> tokens = new ArrayList<>();
    for (int i = 0; i < 40; i++) { // enough that the list answer passes the 8 KiB logged
      tokens.add(carto.mintToken());
    }
    ApiAccessToken created = c.tokens().create(TokenSpec.builder().grant("carto_dw", "cities").allowedApis("sql").build());
    tokens.add(created.token().reveal());

    assertThat(c.tokens().list()).hasSize(41);
    c.tokens().get(created.token());
    c.tokens().delete(created.token());

    String log = httpLog();
    if (level == HttpLogLevel.BODY) {
      assertThat(log).contains("\"token\":\"" + Redactor.MASK + "\"").contains("(truncated)");
    }
    if (level != HttpLogLevel.NONE) {
      assertThat(log).contains("/v3/tokens/" + Redactor.MASK);
    }
    for (String value : tokens) {
      String signature = value.substring(value.lastIndexOf('.') + 1);
      assertThat(log).as("the start of a token's signature").doesNotContain(signature.substring(0, 8));
    }
    assertNoCanaryShownOrLogged(null);
  }

  /**
   * A text longer than the 8 KiB logged, with secrets across the cut: the request's own opaque
   * token and an unknown one in a {@code token} field. Masking cannot recognise part of a secret,
   * so what the cut leaves of one must not be shown either.
   */
  @Test
  void bodyLongerThanTheLogBound_isCutWithoutShowingPartOfASecret() throws Exception {
    String own = TestTokens.secret();
    String other = TestTokens.secret();
    MockWebServer server = startServer();
    CartoClient c = bodyLoggingClient(server, own);
    String pad = "{\"rows\":[],\"pad\":\"" + "x".repeat(8 * 1024 - 30) + " ";
    server.enqueue(json(200, pad + own + "\"}"));
    server.enqueue(json(200, pad.substring(0, pad.length() - 10) + "\",\"token\":\"" + other + "\"}"));

    c.sql("c").query("SELECT 1");
    c.sql("c").query("SELECT 2");

    String log = httpLog();
    assertThat(log).contains("(truncated)");
    assertThat(log).as("the part of the own token before the cut").doesNotContain(own.substring(0, 10));
    assertThat(log).as("the part of another token before the cut").doesNotContain(other.substring(0, 6));
    assertNoCanaryShownOrLogged(null);
  }

  /** CARTO answers gzip when asked (OkHttp asks): the logged body is the decoded text, masked. */
  @Test
  void gzipEncodedAnswer_isLoggedDecoded_andMasked() throws Exception {
    String token = TestTokens.secret();
    MockWebServer server = startServer();
    server.enqueue(
        new MockResponse.Builder()
            .code(200)
            .addHeader("Content-Type", "application/json")
            .addHeader("Content-Encoding", "gzip")
            .body(gzip("{\"rows\":[{\"city\":\"Zaragoza\"}],\"echo\":\"" + token + "\"}"))
            .build());

    assertThat(bodyLoggingClient(server, token).sql("c").query("SELECT 1").rows()).hasSize(1);

    assertThat(httpLog()).contains("Zaragoza").contains("\"echo\":\"" + Redactor.MASK + "\"");
    assertNoCanaryShownOrLogged(null);
  }

  /** A token endpoint that echoes the client secret in its error: masked in the logs and the exception. */
  @Test
  void oauthEndpointEchoingTheClientSecret_isMaskedInTheLogsAndTheException() throws Exception {
    MockWebServer server = startServer();
    String secret = TestTokens.secret();
    CartoOAuthProvider oauth =
        CartoOAuthProvider.builder()
            .clientId(TestSource.holding(TestTokens.identifier("client-")))
            .clientSecret(TestSource.holding(secret))
            .tokenUrl(server.url("/oauth/token").toString())
            .build();
    CartoClient c = CartoClient.builder().baseUrl(server.url("/").toString()).secretProvider(oauth).httpLogging(HttpLogLevel.BODY).build();
    closing.add(c);
    server.enqueue(json(401, "{\"error\":\"access_denied\",\"error_description\":\"client_secret " + secret + " unknown\"}"));

    Throwable thrown = catchThrowable(() -> c.sql("c").query("SELECT 1"));

    assertThat(thrown).isInstanceOf(SecretAccessDeniedException.class);
    assertThat(httpLogLines("<-- 401")).hasSize(1);
    assertNoCanaryShownOrLogged(thrown);
  }

  private CartoClient bodyLoggingClient(MockWebServer server, String token) {
    return client(server.url("/").toString(), TokenProvider.uncached(TestSource.holding(token)), HttpLogLevel.BODY);
  }

  private MockWebServer startServer() throws IOException {
    MockWebServer server = new MockWebServer();
    server.start(0);
    closing.add(server);
    return server;
  }

  private static MockResponse json(int code, String body) {
    return new MockResponse.Builder().code(code).addHeader("Content-Type", "application/json").body(body).build();
  }

  private static Buffer gzip(String text) throws IOException {
    Buffer out = new Buffer();
    try (var sink = Okio.buffer(new GzipSink(out))) {
      sink.writeUtf8(text);
    }
    return out;
  }
}
