package io.cartosecrets;

import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.cartosecrets.internal.BearerAuthInterceptor;
import io.cartosecrets.testkit.Canaries;
import io.cartosecrets.testkit.TestTokens;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CartoClientTest {
  private static final String ROWS =
      "{\"rows\":[{\"name\":\"Madrid\",\"population\":3223334,\"note\":null}],"
          + "\"schema\":[{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"population\",\"type\":\"number\"}],"
          + "\"meta\":{\"cacheHit\":false,\"location\":\"US\",\"totalBytesProcessed\":\"2048\"}}";

  private final MockWebServer server = new MockWebServer();
  private final TestSource source = new TestSource();
  private final List<Duration> sleeps = new ArrayList<>();
  private CartoClient client;

  @BeforeEach
  void start() throws Exception {
    server.start(0);
  }

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    server.close();
  }

  private CartoClient.Builder builder() {
    return CartoClient.builder()
        .baseUrl(server.url("/").toString())
        .tokenProvider(TokenProvider.uncached(source))
        .sleeper(sleeps::add);
  }

  private static MockResponse json(int code, String body) {
    return new MockResponse.Builder().code(code).addHeader("Content-Type", "application/json").body(body).build();
  }

  private RecordedRequest take() throws InterruptedException {
    return server.takeRequest(5, TimeUnit.SECONDS);
  }

  @Test
  void getQuery_sendsBearerHeaderOnly_andParsesRowsSchemaMeta() throws Exception {
    client = builder().build();
    server.enqueue(json(200, ROWS));
    SqlResult result = client.sql("carto_dw").query("SELECT * FROM cities");

    RecordedRequest r = take();
    assertThat(r.getMethod()).isEqualTo("GET");
    assertThat(r.getHeaders().get("Authorization")).isEqualTo("Bearer " + source.value.get());
    assertThat(r.getUrl().encodedPath()).isEqualTo("/v3/sql/carto_dw/query");
    assertThat(r.getUrl().queryParameter("q")).isEqualTo("SELECT * FROM cities");
    assertThat(r.getRequestLine()).doesNotContain(source.value.get());
    assertThat(Canaries.findIn(r.getRequestLine())).isEmpty();
    assertThat(r.getHeaders().get("User-Agent")).startsWith("carto-secrets-java/");

    assertThat(result.rowCount()).isEqualTo(1);
    assertThat(result.rows().get(0)).containsEntry("name", "Madrid").containsEntry("population", 3223334);
    assertThat(result.rows().get(0)).containsKey("note");
    assertThat(result.rows().get(0).get("note")).isNull();
    assertThat(result.schema()).containsExactly(new SqlResult.Column("name", "string"), new SqlResult.Column("population", "number"));
    assertThat(result.meta()).containsEntry("location", "US").containsEntry("cacheHit", false);
  }

  @Test
  void namedParameters_travelAsJsonOnGet() throws Exception {
    client = builder().build();
    server.enqueue(json(200, ROWS));
    client.sql("carto_dw").query("SELECT * FROM cities WHERE country = @c", Map.of("c", "ES"));
    RecordedRequest r = take();
    assertThat(r.getUrl().queryParameter("queryParameters")).isEqualTo("{\"c\":\"ES\"}");
  }

  @Test
  void longQuery_switchesToPost_withSqlAndParametersInTheBody() throws Exception {
    client = builder().build();
    server.enqueue(json(200, ROWS));
    String longSql = "SELECT * FROM cities WHERE name IN (" + "'x',".repeat(2500) + "'y')";
    client.sql("carto_dw").query(longSql, Map.of("limit", 5));
    RecordedRequest r = take();
    assertThat(r.getMethod()).isEqualTo("POST");
    assertThat(r.getHeaders().get("Authorization")).isEqualTo("Bearer " + source.value.get());
    JsonNode body = ApiCaller.MAPPER.readTree(r.getBody().utf8());
    assertThat(body.get("q").asText()).isEqualTo(longSql);
    assertThat(body.get("queryParameters").get("limit").asInt()).isEqualTo(5);
    assertThat(r.getUrl().queryParameter("q")).isNull();
    assertThat(r.getBody().utf8()).doesNotContain(source.value.get());
  }

  @Test
  void postWhenAsked_evenForAShortQuery() throws Exception {
    client = builder().build();
    server.enqueue(json(200, ROWS));
    client.sql("carto_dw").execute(SqlQuery.builder("SELECT 1").method(SqlQuery.Method.POST).build());
    assertThat(take().getMethod()).isEqualTo("POST");
  }

  @Test
  void baseUrlWithPathPrefix_keepsThePrefix() throws Exception {
    client = builder().baseUrl(server.url("/api").toString()).build();
    server.enqueue(json(200, ROWS));
    client.sql("carto_dw").query("SELECT 1");
    assertThat(take().getUrl().encodedPath()).isEqualTo("/api/v3/sql/carto_dw/query");

    client.close();
    client = builder().baseUrl(server.url("/tenant/api/").toString()).build();
    server.enqueue(json(200, ROWS));
    client.sql("carto_dw").query("SELECT 1");
    assertThat(take().getUrl().encodedPath()).isEqualTo("/tenant/api/v3/sql/carto_dw/query");
  }

  @Test
  void connectionNameIsOnePathSegment() throws Exception {
    client = builder().build();
    server.enqueue(json(200, ROWS));
    client.sql("my conn/../x").query("SELECT 1");
    assertThat(take().getUrl().encodedPath()).isEqualTo("/v3/sql/my%20conn%2F..%2Fx/query");
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://carto.example.com", "http://10.0.0.8/api", "http://gcp-us-east1.api.carto.com"})
  void plainHttpToARemoteHost_isRefused(String url) {
    assertThatThrownBy(() -> CartoClient.builder().baseUrl(url))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("https");
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://127.0.0.1:8080", "http://localhost:1234/api", "http://[::1]:9000", "https://carto.example.com/api"})
  void httpsAnywhere_andHttpOnLoopback_areAccepted(String url) {
    assertThat(CartoClient.builder().baseUrl(url)).isNotNull();
  }

  @Test
  void baseUrlWithUserInfoOrQuery_isRefused() {
    assertThatThrownBy(() -> CartoClient.builder().baseUrl("https://user:pw@carto.example.com/api"))
        .isInstanceOf(ConfigurationException.class);
    assertThatThrownBy(() -> CartoClient.builder().baseUrl("https://carto.example.com/api?api_key=x"))
        .isInstanceOf(ConfigurationException.class);
  }

  @ParameterizedTest
  @CsvSource({
    "400, io.cartosecrets.CartoBadRequestException",
    "401, io.cartosecrets.CartoAuthenticationException",
    "403, io.cartosecrets.CartoPermissionException",
    "404, io.cartosecrets.CartoNotFoundException",
    "409, io.cartosecrets.CartoApiException",
    "429, io.cartosecrets.CartoRateLimitException",
    "500, io.cartosecrets.CartoServerException",
    "503, io.cartosecrets.CartoServerException"
  })
  void errorStatus_mapsToItsType_withCartoMessageRequestIdMethodAndPath(int status, String type) throws Exception {
    client = builder().maxRetries(0).build();
    server.enqueue(
        new MockResponse.Builder()
            .code(status)
            .addHeader("X-Request-Id", "req-" + status)
            .body("{\"error\":\"Something specific " + status + "\"}")
            .build());
    Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> client.sql("carto_dw").query("SELECT secret_column FROM t"));
    assertThat(thrown).isExactlyInstanceOf(Class.forName(type));
    CartoApiException e = (CartoApiException) thrown;
    assertThat(e.statusCode()).isEqualTo(status);
    assertThat(e.error()).isEqualTo("Something specific " + status);
    assertThat(e.requestId()).contains("req-" + status);
    assertThat(e.method()).isEqualTo("GET");
    assertThat(e.path()).isEqualTo("/v3/sql/carto_dw/query");
    assertThat(e.getMessage())
        .contains(String.valueOf(status))
        .contains("Something specific")
        .contains("req-" + status)
        .doesNotContain("secret_column");
    assertThat(e.retryable()).isEqualTo(status == 429 || status >= 500);
    assertThat(Canaries.findIn(e.getMessage() + e)).isEmpty();
  }

  @Test
  void legacyErrorArray_isRead() {
    client = builder().maxRetries(0).build();
    server.enqueue(json(400, "{\"error\":[\"permission denied\"]}"));
    assertThatThrownBy(() -> client.sql("c").query("SELECT 1"))
        .isInstanceOfSatisfying(CartoBadRequestException.class, e -> assertThat(e.error()).isEqualTo("permission denied"));
  }

  @Test
  void rateLimit_retryAfterSecondsIsHonoured_thenSucceeds() {
    client = builder().build();
    server.enqueue(new MockResponse.Builder().code(429).addHeader("Retry-After", "3").body("{\"error\":\"slow down\"}").build());
    server.enqueue(json(200, ROWS));
    assertThat(client.sql("c").query("SELECT 1").rowCount()).isEqualTo(1);
    assertThat(sleeps).containsExactly(Duration.ofSeconds(3));
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void rateLimit_retryAfterLongerThanTheMaximum_isThrownAtOnceWithTheValue() {
    client = builder().build();
    server.enqueue(new MockResponse.Builder().code(429).addHeader("Retry-After", "600").build());
    assertThatThrownBy(() -> client.sql("c").query("SELECT 1"))
        .isInstanceOfSatisfying(
            CartoRateLimitException.class, e -> assertThat(e.retryAfter()).contains(Duration.ofMinutes(10)));
    assertThat(sleeps).isEmpty();
  }

  @Test
  void rateLimit_withoutOrWithInvalidRetryAfter_usesBackoff() {
    client = builder().retryBackoff(Duration.ofMillis(400), Duration.ofSeconds(5), Duration.ofMinutes(1)).build();
    server.enqueue(new MockResponse.Builder().code(429).build());
    server.enqueue(new MockResponse.Builder().code(429).addHeader("Retry-After", "-1").build());
    server.enqueue(json(200, ROWS));
    client.sql("c").query("SELECT 1");
    assertThat(sleeps).hasSize(2);
    assertThat(sleeps.get(0)).isBetween(Duration.ofMillis(200), Duration.ofMillis(400));
    assertThat(sleeps.get(1)).isBetween(Duration.ofMillis(400), Duration.ofMillis(800));
  }

  @Test
  void serverErrors_areRetriedABoundedNumberOfTimes() {
    client = builder().maxRetries(2).build();
    for (int i = 0; i < 5; i++) {
      server.enqueue(json(503, "{\"error\":\"warehouse down\"}"));
    }
    assertThatThrownBy(() -> client.sql("c").query("SELECT 1")).isInstanceOf(CartoServerException.class);
    assertThat(server.getRequestCount()).isEqualTo(3);
    assertThat(sleeps).hasSize(2);
  }

  @Test
  void post_isNotRetried() {
    client = builder().build();
    server.enqueue(json(503, "{\"error\":\"down\"}"));
    assertThatThrownBy(() -> client.sql("c").execute(SqlQuery.builder("SELECT 1").method(SqlQuery.Method.POST).build()))
        .isInstanceOf(CartoServerException.class);
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void unauthorized_withARotatedTokenInTheStore_retriesOnceWithTheNewToken() throws Exception {
    RefreshingTokenProvider cache = RefreshingTokenProvider.builder(source).build();
    client = builder().tokenProvider(cache).build();
    String old = cache.currentToken().reveal();
    String rotated = source.rotate();
    server.enqueue(json(401, "{\"error\":\"Unauthorized\"}"));
    server.enqueue(json(200, ROWS));
    client.sql("c").query("SELECT 1");
    assertThat(take().getHeaders().get("Authorization")).isEqualTo("Bearer " + old);
    assertThat(take().getHeaders().get("Authorization")).isEqualTo("Bearer " + rotated);
    assertThat(cache.metrics().rotations()).isEqualTo(1);
  }

  @Test
  void serverThatAlwaysAnswers401_seesExactlyTwoRequestsPerCall_evenWhenEveryReloadYieldsANewToken() {
    TokenProvider alwaysNew =
        new TokenProvider() {
          @Override
          public CartoToken currentToken() {
            return CartoToken.of(TestTokens.apiAccessToken(), "test:rotating");
          }

          @Override
          public String description() {
            return "test:rotating";
          }
        };
    client = builder().tokenProvider(alwaysNew).build();
    for (int i = 0; i < 10; i++) {
      server.enqueue(json(401, "{\"error\":\"Unauthorized\"}"));
    }
    assertThatThrownBy(() -> client.sql("c").query("SELECT 1")).isInstanceOf(CartoAuthenticationException.class);
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void unauthorized_withTheSameTokenInTheStore_failsAfterOneRequest_namingSourceAndFingerprint() throws Exception {
    RefreshingTokenProvider cache = RefreshingTokenProvider.builder(source).build();
    client = builder().tokenProvider(cache).build();
    server.enqueue(json(401, "{\"error\":\"Unauthorized\"}"));
    CartoToken token = cache.currentToken();
    assertThatThrownBy(() -> client.sql("c").query("SELECT 1"))
        .isInstanceOfSatisfying(
            CartoAuthenticationException.class,
            e -> {
              assertThat(e.tokenFingerprint()).isEqualTo(token.fingerprint());
              assertThat(e.tokenSource()).isEqualTo("test:store");
              assertThat(e.getMessage()).contains(token.fingerprint()).contains("test:store").contains("revoked").contains("base URL");
              assertThat(Canaries.findIn(e.getMessage())).isEmpty();
            });
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(cache.metrics().rejections()).isEqualTo(1);
    assertThat(source.fetches).as("the 401 made the cache check the store once").hasValue(2);
  }

  @Test
  void forbidden_neverTriggersARefresh() {
    RefreshingTokenProvider cache = RefreshingTokenProvider.builder(source).build();
    client = builder().tokenProvider(cache).build();
    server.enqueue(json(403, "{\"error\":\"Unauthorized referer\"}"));
    assertThatThrownBy(() -> client.sql("c").query("SELECT 1")).isInstanceOf(CartoPermissionException.class);
    assertThat(source.fetches).hasValue(1);
    assertThat(cache.metrics().rejections()).isZero();
  }

  @Test
  void injectedOkHttpClient_isNotChanged() {
    okhttp3.OkHttpClient mine = new okhttp3.OkHttpClient();
    client = builder().okHttpClient(mine).build();
    assertThat(mine.interceptors()).isEmpty();
    assertThat(client.httpClient().interceptors()).anyMatch(i -> i instanceof BearerAuthInterceptor);
  }

  @Test
  void tokenSourceFailure_surfacesAsTheSecretException() {
    source.failPermanently();
    client = builder().build();
    assertThatThrownBy(() -> client.sql("c").query("SELECT 1")).isInstanceOf(SecretAccessDeniedException.class);
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void fromEnvironment_readsTheSourceReferenceAndBaseUrl() throws Exception {
    String token = TestTokens.apiAccessToken();
    TestSchemeFactory.VALUES.put("env-test", token);
    Map<String, String> env =
        Map.of("CARTO_TOKEN_SOURCE", "test:env-test", "CARTO_API_BASE_URL", server.url("/api").toString());
    client = CartoClient.fromEnvironment(env::get);
    server.enqueue(json(200, ROWS));
    client.sql("c").query("SELECT 1");
    RecordedRequest r = take();
    assertThat(r.getUrl().encodedPath()).startsWith("/api/v3/sql/");
    assertThat(r.getHeaders().get("Authorization")).isEqualTo("Bearer " + token);
    assertThat(client.tokenProvider()).isInstanceOf(RefreshingTokenProvider.class);
    assertThat(client.toString()).contains("test:env-test").doesNotContain(token);
  }

  @Test
  void fromEnvironment_withATokenValueInsteadOfAReference_refusesWithoutEchoingIt() {
    String token = TestTokens.apiAccessToken();
    Map<String, String> env = Map.of("CARTO_TOKEN_SOURCE", token);
    assertThatThrownBy(() -> CartoClient.fromEnvironment(env::get))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("token value was given where a reference")
        .satisfies(e -> assertThat(Canaries.findIn(e.getMessage() + e)).isEmpty());
  }

  @Test
  void fromEnvironment_schemeWhoseModuleIsMissing_saysWhichModuleToAdd() {
    Map<String, String> env = Map.of("CARTO_TOKEN_SOURCE", "vault:kv/team/carto#token");
    assertThatThrownBy(() -> CartoClient.fromEnvironment(env::get))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("'vault:'")
        .hasMessageContaining("carto-secrets-vault");
  }

  @Test
  void fromEnvironment_withOnlyCartoApiToken_readsIt() {
    String token = TestTokens.apiAccessToken();
    TestSchemeFactory.VALUES.put("CARTO_API_TOKEN", token);
    client = CartoClient.fromEnvironment(Map.of("CARTO_API_TOKEN", "set")::get);
    assertThat(client.tokenProvider().description()).isEqualTo("env:CARTO_API_TOKEN");
    assertThat(client.baseUrl()).isEqualTo(CartoClient.DEFAULT_BASE_URL + "/");
  }

  @Test
  void fromEnvironment_withNothingSet_failsAtOnceListingTheThreeWays() {
    assertThatThrownBy(() -> CartoClient.fromEnvironment(name -> null))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("CARTO_TOKEN_SOURCE")
        .hasMessageContaining("CARTO_CLIENT_ID")
        .hasMessageContaining("CARTO_API_TOKEN");
  }

  @Test
  void aReferenceWhereTheTokenShouldBe_isAFormatErrorSayingSo() {
    TestSchemeFactory.VALUES.put("CARTO_API_TOKEN", "file:/run/secrets/carto_token");
    client = CartoClient.fromEnvironment(Map.of("CARTO_API_TOKEN", "set", "CARTO_API_BASE_URL", server.url("/").toString())::get);
    assertThatThrownBy(() -> client.sql("c").query("SELECT 1"))
        .isInstanceOf(SecretFormatException.class)
        .hasMessageContaining("secret reference (file:");
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void rateLimitOrUnavailable_retryAfterOn503IsHonouredToo() {
    client = builder().build();
    server.enqueue(new MockResponse.Builder().code(503).addHeader("Retry-After", "2").build());
    server.enqueue(json(200, ROWS));
    client.sql("c").query("SELECT 1");
    assertThat(sleeps).containsExactly(Duration.ofSeconds(2));
  }

  @Test
  void baseUrlEndingInV3_isRefusedWithTheFix() {
    assertThatThrownBy(() -> CartoClient.builder().baseUrl("https://gcp-us-east1.api.carto.com/v3"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("ends in /v3")
        .hasMessageContaining("https://gcp-us-east1.api.carto.com/");
  }

  @Test
  void sqlParameters_nullIsSqlNull_andAnAtSignIsRefused() throws Exception {
    client = builder().build();
    server.enqueue(json(200, ROWS));
    java.util.Map<String, Object> params = new java.util.HashMap<>();
    params.put("x", null);
    client.sql("c").query("SELECT @x", params);
    assertThat(take().getUrl().queryParameter("queryParameters")).isEqualTo("{\"x\":null}");
    assertThatThrownBy(() -> SqlQuery.builder("SELECT @c").param("@c", "ES"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("without the '@'");
  }

  @Test
  void unreachableHost_isATransportErrorNamingTheHost() {
    client = builder().baseUrl("http://127.0.0.1:1").maxRetries(0).build();
    assertThatThrownBy(() -> client.sql("c").query("SELECT 1"))
        .isInstanceOfSatisfying(CartoTransportException.class, e -> {
          assertThat(e.getMessage()).contains("127.0.0.1").contains("connection refused");
          assertThat(e.path()).isEqualTo("/v3/sql/c/query");
          assertThat(e.retryable()).isTrue();
        });
  }

  @Test
  void builderWithoutTokenSource_failsWithAClearMessage() {
    assertThatThrownBy(() -> CartoClient.builder().build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("token source");
  }
}
