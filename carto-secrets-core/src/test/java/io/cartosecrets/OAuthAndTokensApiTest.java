package io.cartosecrets;

import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy;

import io.cartosecrets.testkit.Canaries;
import io.cartosecrets.testkit.FakeCartoServer;
import io.cartosecrets.testkit.FakeClock;
import io.cartosecrets.testkit.ManualScheduler;
import io.cartosecrets.testkit.TestTokens;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OAuthAndTokensApiTest {
  private final FakeClock clock = new FakeClock();
  private final ManualScheduler scheduler = new ManualScheduler(clock);
  private FakeCartoServer carto;
  private FakeCartoServer.OAuthClient m2m;
  private String idKey;
  private String secretKey;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @BeforeEach
  void start() {
    carto = FakeCartoServer.builder().clock(clock).oauthTokenLifetime(Duration.ofHours(24)).build().start();
    m2m = carto.registerOAuthClient();
    idKey = "client-id-" + System.nanoTime();
    secretKey = "client-secret-" + System.nanoTime();
    TestSchemeFactory.VALUES.put(idKey, m2m.clientId());
    TestSchemeFactory.VALUES.put(secretKey, m2m.clientSecret());
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
    carto.close();
  }

  private CartoOAuthProvider oauth() {
    return OAuthFixture.builder(carto, idKey, secretKey, clock).build();
  }

  private RefreshingTokenProvider cached(SecretProvider source) {
    RefreshingTokenProvider p = RefreshingTokenProvider.builder(source).clock(clock).scheduler(scheduler).build();
    closeables.add(p);
    return p;
  }

  private CartoClient client(TokenProvider tokens) {
    CartoClient c = CartoClient.builder().baseUrl(carto.baseUrl()).tokenProvider(tokens).build();
    closeables.add(c);
    return c;
  }

  @Test
  void exchange_yieldsAnOAuthTokenWithItsExpiry_andTheSecretTravelsOnlyInTheBody() {
    Secret token = oauth().fetch();
    CartoToken carto = CartoToken.of(token);
    assertThat(carto.kind()).isEqualTo(CartoToken.Kind.OAUTH_ACCESS_TOKEN);
    assertThat(token.expiresAt()).contains(clock.instant().plus(Duration.ofHours(24)));
    assertThat(this.carto.oauthTokenRequests()).isEqualTo(1);
    FakeCartoServer.Call call = this.carto.requests().get(0);
    assertThat(call.requestLine()).doesNotContain(m2m.clientSecret());
    assertThat(call.body()).contains("grant_type=client_credentials").contains("audience=carto-cloud-native-api");
    assertThat(oauth().description())
        .isEqualTo("carto-oauth:?client_id=test:" + idKey + "&client_secret=test:" + secretKey + "&token_url=" + this.carto.oauthTokenUrl());
  }

  @Test
  void sixtyFourConcurrentCallers_causeOneExchange() throws Exception {
    // The exchange is held at a gate (reading the client id) until all 64 callers are inside
    // currentToken(), so they cannot have been served one after another.
    java.util.concurrent.Semaphore gate = new java.util.concurrent.Semaphore(0);
    java.util.concurrent.CountDownLatch atGate = new java.util.concurrent.CountDownLatch(1);
    SecretProvider gatedId = GatedCallers.gated(SecretProviders.fromUri("test:" + idKey), atGate, gate);
    RefreshingTokenProvider tokens =
        cached(OAuthFixture.builder(carto, idKey, secretKey, clock).clientId(gatedId).build());
    Set<String> seen =
        GatedCallers.throughTheGate(64, atGate, () -> gate.release(64), () -> tokens.currentToken().fingerprint());
    assertThat(seen).hasSize(1).allSatisfy(fp -> assertThat(fp).doesNotStartWith("failed"));
    assertThat(carto.oauthTokenRequests()).isEqualTo(1);
  }

  @Test
  void newTokenWellBeforeExpiry_withAFakeClock() {
    RefreshingTokenProvider tokens = cached(oauth());
    CartoToken first = tokens.currentToken();
    // Refresh point: 24 h - 10 s skew - 5 min margin.
    scheduler.advanceAndRun(Duration.ofHours(24).minusMinutes(5).minusSeconds(11));
    assertThat(carto.oauthTokenRequests()).isEqualTo(1);
    scheduler.advanceAndRun(Duration.ofSeconds(1));
    assertThat(carto.oauthTokenRequests()).isEqualTo(2);
    CartoToken second = tokens.currentToken();
    assertThat(second).isNotEqualTo(first);
    assertThat(second.expiresAt().orElseThrow()).isAfter(first.expiresAt().orElseThrow());
  }

  @Test
  void rotatedClientSecret_isUsedOnTheNextExchange() {
    CartoOAuthProvider provider = oauth();
    provider.fetch();
    FakeCartoServer.OAuthClient rotated = carto.rotateClientSecret(m2m.clientId());
    assertThatThrownBy(provider::fetch).isInstanceOf(SecretAccessDeniedException.class);
    TestSchemeFactory.VALUES.put(secretKey, rotated.clientSecret());
    assertThat(CartoToken.of(provider.fetch()).kind()).isEqualTo(CartoToken.Kind.OAUTH_ACCESS_TOKEN);
  }

  @Test
  void wrongSecret_isAccessDeniedWithTheOAuthCode_andNoSecretInTheMessage() {
    String wrong = TestTokens.secret();
    TestSchemeFactory.VALUES.put(secretKey, wrong);
    assertThatThrownBy(() -> oauth().fetch())
        .isInstanceOfSatisfying(
            SecretAccessDeniedException.class,
            e -> {
              assertThat(e.errorCode()).contains("invalid_client");
              assertThat(e.retryable()).isFalse();
              assertThat(e.getMessage()).contains("test:" + secretKey).contains("401");
              assertThat(Canaries.findIn(e.getMessage() + e)).isEmpty();
            });
  }

  @Test
  void rateLimitAndServerErrors_areTransient_soTheCacheBacksOff() {
    carto.oauthRateLimit(1, Duration.ofMinutes(1));
    CartoOAuthProvider provider = oauth();
    provider.fetch();
    assertThatThrownBy(provider::fetch)
        .isInstanceOfSatisfying(SecretUnavailableException.class, e -> {
          assertThat(e.errorCode()).contains("too_many_requests");
          assertThat(e.retryable()).isTrue();
        });
    clock.advance(Duration.ofMinutes(2));
    carto.failNext(503, "auth down");
    assertThatThrownBy(provider::fetch).isInstanceOf(SecretUnavailableException.class).hasMessageContaining("503");
  }

  @Test
  void unreachableTokenEndpoint_isTransient() {
    CartoOAuthProvider provider =
        CartoOAuthProvider.builder()
            .clientId(SecretProviders.fromUri("test:" + idKey))
            .clientSecret(SecretProviders.fromUri("test:" + secretKey))
            .tokenUrl("http://127.0.0.1:1/oauth/token")
            .build();
    assertThatThrownBy(provider::fetch).isInstanceOf(SecretUnavailableException.class).hasMessageContaining("could not be reached");
  }

  @Test
  void tokenEndpointMustBeHttpsExceptOnLoopback() {
    assertThatThrownBy(() -> CartoOAuthProvider.builder().tokenUrl("http://auth.example.com/oauth/token"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("https");
  }

  @Test
  void a401FromCarto_makesTheCacheExchangeOnceMore_andTheCallSucceeds() {
    RefreshingTokenProvider tokens = cached(oauth());
    CartoClient client = client(tokens);
    client.sql("carto_dw").query("SELECT name FROM cities LIMIT 1");
    carto.revokeToken(tokens.currentToken().reveal());
    assertThat(client.sql("carto_dw").query("SELECT name FROM cities LIMIT 1").rowCount()).isEqualTo(1);
    assertThat(carto.oauthTokenRequests()).isEqualTo(2);
  }

  @Test
  void uriForm_selectsTheSecretsSources() {
    SecretProvider p =
        SecretProviders.fromUri(
            "carto-oauth:?client_id=test:" + idKey + "&client_secret=test:" + secretKey + "&token_url=" + carto.oauthTokenUrl());
    assertThat(p).isInstanceOf(CartoOAuthProvider.class);
    assertThat(CartoToken.of(p.fetch()).kind()).isEqualTo(CartoToken.Kind.OAUTH_ACCESS_TOKEN);
    assertThatThrownBy(() -> SecretProviders.fromUri("carto-oauth:?client_id=test:" + idKey))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("client_secret");
  }

  @Test
  void fromEnvironment_usesClientCredentialsWhenNoTokenSourceIsSet() {
    // fromEnvironment runs on the system clock, so this server does too.
    try (FakeCartoServer live = FakeCartoServer.start()) {
      FakeCartoServer.OAuthClient client = live.registerOAuthClient();
      TestSchemeFactory.VALUES.put("CARTO_CLIENT_ID", client.clientId());
      TestSchemeFactory.VALUES.put("CARTO_CLIENT_SECRET", client.clientSecret());
      Map<String, String> env =
          Map.of("CARTO_CLIENT_ID", "set", "CARTO_CLIENT_SECRET", "set",
              "CARTO_API_BASE_URL", live.baseUrl(), "CARTO_OAUTH_TOKEN_URL", live.oauthTokenUrl());
      try (CartoClient carto = CartoClient.fromEnvironment(env::get)) {
        assertThat(carto.tokenProvider().description())
            .startsWith("carto-oauth:?client_id=env:CARTO_CLIENT_ID&client_secret=env:CARTO_CLIENT_SECRET");
        assertThat(carto.sql("carto_dw").query("SELECT name FROM cities LIMIT 1").rowCount()).isEqualTo(1);
        assertThat(live.oauthTokenRequests()).isEqualTo(1);
      }
    }
  }

  @Test
  void tokensApi_createWithoutApisOrReferers_leavesThemToCartosDefaults() {
    CartoClient admin = client(cached(oauth()));
    ApiAccessToken created = admin.tokens().create(TokenSpec.builder().grant("carto_dw", "cities").build());
    assertThat(created.allowedApis()).isNotEmpty();
  }

  @Test
  void tokensApi_createdTokenWorksOnSql_andIsRejectedOnceDeleted() {
    CartoClient admin = client(cached(oauth()));
    ApiAccessToken created =
        admin.tokens().create(
            TokenSpec.builder().grant("carto_dw", "cities").allowedApis("sql", "maps").build());
    assertThat(created.token().kind()).isEqualTo(CartoToken.Kind.API_ACCESS_TOKEN);
    assertThat(created.grants()).containsExactly(new TokenSpec.Grant("carto_dw", "cities"));
    assertThat(Canaries.findIn(created.toString())).isEmpty();

    CartoClient app = client(TokenProvider.uncached(staticSource(created.token())));
    assertThat(app.sql("carto_dw").query("SELECT name FROM cities LIMIT 2").rowCount()).isEqualTo(2);

    assertThat(admin.tokens().list()).extracting(ApiAccessToken::token).contains(created.token());
    assertThat(admin.tokens().get(created.token()).grants()).hasSize(1);
    ApiAccessToken updated =
        admin.tokens().update(created.token(), TokenSpec.builder().grant("carto_dw", "cities").allowedApis("sql").build());
    assertThat(updated.allowedApis()).containsExactly("sql");

    admin.tokens().delete(created.token());
    assertThatThrownBy(() -> app.sql("carto_dw").query("SELECT name FROM cities LIMIT 2"))
        .isInstanceOf(CartoAuthenticationException.class);
    assertThatThrownBy(() -> admin.tokens().get(created.token()))
        .isInstanceOfSatisfying(CartoNotFoundException.class, e -> {
          assertThat(e.path()).isEqualTo("/v3/tokens/[redacted]");
          assertThat(Canaries.findIn(e.getMessage() + e)).isEmpty();
        });
    assertThat(carto.requests()).allSatisfy(c -> assertThat(c.toString()).doesNotContain(created.token().reveal()));
  }

  @Test
  void tokensApi_withAnApiAccessToken_isRefusedSayingWhy() {
    CartoClient app = client(TokenProvider.uncached(staticSource(CartoToken.of(carto.mintToken(), "test:app"))));
    assertThatThrownBy(() -> app.tokens().list())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("only OAuth access tokens")
        .hasMessageContaining("API Access Token")
        .hasMessageContaining("CartoOAuthProvider");
    assertThat(carto.requestCount()).isZero();
  }

  @Test
  void canary_clientSecretAndTokensNeverInRequestLinesOrToStrings() {
    RefreshingTokenProvider tokens = cached(oauth());
    CartoClient client = client(tokens);
    client.sql("carto_dw").query("SELECT name FROM cities LIMIT 1");
    String everything = tokens + " " + client + " " + tokens.currentToken() + " " + oauth() + " " + tokens.metrics();
    assertThat(Canaries.findIn(everything)).isEmpty();
    assertThat(carto.requests()).allSatisfy(c -> assertThat(Canaries.findIn(c.requestLine())).isEmpty());
  }

  private static SecretProvider staticSource(CartoToken token) {
    return new SecretProvider() {
      @Override
      public Secret fetch() {
        return token.secret();
      }

      @Override
      public String description() {
        return "test:static";
      }
    };
  }
}
