package io.cartosecrets;

import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cartosecrets.testkit.FakeCartoServer;
import io.cartosecrets.testkit.FakeClock;
import io.cartosecrets.testkit.ManualScheduler;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link TokenSpec#referers()} and {@link TokenSpec#expiresAt()} through the Tokens API client. */
class TokensApiSpecTest {
  private static final String APP = "https://app.example.com";
  private static final String ADMIN = "https://admin.example.com";
  private static final String QUERY = "SELECT name FROM cities LIMIT 1";

  private final FakeClock clock = new FakeClock();
  private final ManualScheduler scheduler = new ManualScheduler(clock);
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private FakeCartoServer carto;
  private CartoClient admin;

  @BeforeEach
  void start() {
    carto = FakeCartoServer.builder().clock(clock).build().start();
    OAuthFixture oauth = new OAuthFixture(carto, clock);
    admin = client(RefreshingTokenProvider.builder(oauth.provider()).clock(clock).scheduler(scheduler).build(), null);
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
    carto.close();
  }

  @Test
  void createWithReferersAndAnExpiry_sendsBoth_andTheTokenIsStoredAndReturnedWithThem() throws Exception {
    Instant expiry = clock.instant().plus(Duration.ofDays(30)).truncatedTo(ChronoUnit.SECONDS);
    ApiAccessToken created =
        admin.tokens().create(
            TokenSpec.builder().grant("carto_dw", "cities").allowedApis("sql").referers(APP, ADMIN).expiresAt(expiry).build());

    JsonNode sent = new ObjectMapper().readTree(lastCall("POST", "/v3/tokens").body());
    assertThat(sent.get("referers")).extracting(JsonNode::asText).containsExactly(APP, ADMIN);
    assertThat(sent.get("expiration_date").asText()).isEqualTo(expiry.toString());

    assertThat(created.referers()).containsExactly(APP, ADMIN);
    assertThat(created.expiresAt()).contains(expiry);
    ApiAccessToken stored = admin.tokens().get(created.token());
    assertThat(stored.referers()).containsExactly(APP, ADMIN);
    assertThat(stored.expiresAt()).contains(expiry);
  }

  @Test
  void aTokenCreatedWithReferersAndAnExpiry_isHonouredByTheServer() {
    Instant expiry = clock.instant().plus(Duration.ofDays(1)).truncatedTo(ChronoUnit.SECONDS);
    CartoToken token =
        admin.tokens()
            .create(TokenSpec.builder().grant("carto_dw", "cities").allowedApis("sql").referers(APP).expiresAt(expiry).build())
            .token();
    String key = "created-token-" + System.nanoTime();
    TestSchemeFactory.VALUES.put(key, token.reveal());
    TokenProvider tokens = TokenProvider.uncached(SecretProviders.fromUri("test:" + key));
    OkHttpClient fromApp =
        new OkHttpClient.Builder()
            .addInterceptor(chain -> chain.proceed(chain.request().newBuilder().header("Origin", APP).build()))
            .build();
    closeables.add(() -> {
      fromApp.dispatcher().executorService().shutdown();
      fromApp.connectionPool().evictAll();
    });
    CartoClient app = client(tokens, fromApp);
    CartoClient elsewhere = client(tokens, null);

    assertThat(app.sql("carto_dw").query(QUERY).rowCount()).isEqualTo(1);
    assertThatThrownBy(() -> elsewhere.sql("carto_dw").query(QUERY))
        .isInstanceOfSatisfying(CartoPermissionException.class, e -> assertThat(e.error()).contains("Unauthorized referer"));

    clock.set(expiry);
    assertThatThrownBy(() -> app.sql("carto_dw").query(QUERY)).isInstanceOf(CartoAuthenticationException.class);
  }

  private FakeCartoServer.Call lastCall(String method, String path) {
    List<FakeCartoServer.Call> matching = new ArrayList<>();
    carto.requests().stream().filter(c -> c.method().equals(method) && c.path().equals(path)).forEach(matching::add);
    assertThat(matching).as(method + " " + path).isNotEmpty();
    return matching.get(matching.size() - 1);
  }

  private CartoClient client(TokenProvider tokens, OkHttpClient http) {
    CartoClient.Builder b = CartoClient.builder().baseUrl(carto.baseUrl()).tokenProvider(tokens).maxRetries(0);
    CartoClient c = (http == null ? b : b.okHttpClient(http)).build();
    closeables.add(c);
    return c;
  }
}
