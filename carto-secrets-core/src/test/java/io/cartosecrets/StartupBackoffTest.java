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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Before any token was loaded, a failing source is backed off like a failing refresh: calls within
 * the backoff get the last failure again without asking the source. For {@code carto-oauth:} the
 * source is a token endpoint whose issuance is a quota, so a burst of API calls at start-up against
 * a 429 or a wrong client secret must not become one exchange per call.
 */
class StartupBackoffTest {
  private final FakeClock clock = new FakeClock();
  private final TestSource source = new TestSource();
  private final ManualScheduler scheduler = new ManualScheduler(clock);
  private final List<TokenEvent> events = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private RefreshingTokenProvider cached(SecretProvider source) {
    RefreshingTokenProvider p =
        RefreshingTokenProvider.builder(source)
            .clock(clock)
            .scheduler(scheduler)
            .backoff(Duration.ofSeconds(1), Duration.ofMinutes(1))
            .listener(events::add)
            // No jitter: each backoff is its full nominal length.
            .random(() -> 1.0)
            .build();
    closeables.add(p);
    return p;
  }

  @Test
  void tenCallsBeforeAnyTokenAgainstAFailingSource_askItOnce_andEachGetsTheTypedFailure() {
    source.failPermanently();
    RefreshingTokenProvider tokens = cached(source);
    for (int i = 0; i < 10; i++) {
      assertThatThrownBy(tokens::currentToken)
          .isInstanceOf(SecretAccessDeniedException.class)
          .hasMessageContaining("test:store")
          .hasMessageContaining("access denied (test)");
    }
    assertThat(source.fetches).hasValue(1);
    assertThat(tokens.metrics().failures()).isEqualTo(1);
    assertThat(events).extracting(TokenEvent::type).containsExactly(TokenEvent.Type.REFRESH_FAILED);
  }

  @Test
  void beforeAnyToken_theBackoffDoublesFromTheBase_andTheFirstSuccessEndsIt() {
    RefreshingTokenProvider tokens = afterAFailedFirstLoad();
    clock.advance(Duration.ofMillis(999));
    assertThatThrownBy(tokens::currentToken).isInstanceOf(SecretUnavailableException.class);
    assertThat(source.fetches).as("within the first backoff (1 s)").hasValue(1);
    clock.advance(Duration.ofMillis(1));
    assertThatThrownBy(tokens::currentToken).isInstanceOf(SecretUnavailableException.class);
    assertThat(source.fetches).hasValue(2);

    clock.advance(Duration.ofMillis(1999));
    CartoToken other = CartoToken.of(TestTokens.apiAccessToken(), "test:other");
    assertThatThrownBy(() -> tokens.tokenRejected(other)).isInstanceOf(SecretUnavailableException.class);
    assertThat(source.fetches).as("within the second backoff (2 s), a 401 report included").hasValue(2);

    source.recover();
    clock.advance(Duration.ofMillis(1));
    CartoToken loaded = tokens.currentToken();
    assertThat(loaded.reveal()).isEqualTo(source.value.get());
    assertThat(source.fetches).hasValue(3);
    assertThat(tokens.currentToken()).isSameAs(loaded);
    assertThat(events).extracting(TokenEvent::type).endsWith(TokenEvent.Type.LOADED);
  }

  @Test
  void aClockSteppedBackAfterAFailedFirstLoad_doesNotStretchTheBackoff() {
    RefreshingTokenProvider tokens = afterAFailedFirstLoad();
    source.recover();
    clock.set(clock.instant().minus(Duration.ofHours(1))); // NTP steps the clock back an hour
    assertThat(tokens.currentToken().reveal()).isEqualTo(source.value.get());
    assertThat(source.fetches).hasValue(2);
  }

  @Test
  void refreshNow_asksTheSourceEvenWithinTheStartUpBackoff() {
    RefreshingTokenProvider tokens = afterAFailedFirstLoad();
    source.recover();
    assertThat(tokens.refreshNow().reveal()).isEqualTo(source.value.get());
    assertThat(source.fetches).hasValue(2);
  }

  @Test
  void oauthBurstAtStartUpAgainstA429_causesOneExchange_untilTheBackoffEnds() {
    try (FakeCartoServer carto = FakeCartoServer.builder().clock(clock).build().start()) {
      OAuthFixture oauth = new OAuthFixture(carto, clock);
      // Another instance used the one exchange the window allows.
      carto.oauthRateLimit(1, Duration.ofMinutes(1));
      oauth.provider().fetch();
      assertThat(carto.oauthTokenRequests()).isEqualTo(1);

      CartoClient client = client(carto, cached(oauth.provider()));
      twentyQueriesFail(
          client,
          SecretUnavailableException.class,
          e -> {
            assertThat(e.errorCode()).contains("too_many_requests");
            assertThat(e.source()).startsWith("carto-oauth:");
          });
      assertThat(carto.oauthTokenRequests()).as("20 queries at start-up: one exchange").isEqualTo(2);

      // Once the backoff and the rate-limit window have passed, the next query exchanges and runs.
      clock.advance(Duration.ofMinutes(1).plusSeconds(1));
      assertThat(client.sql("carto_dw").query("SELECT name FROM cities LIMIT 1").rowCount()).isEqualTo(1);
      assertThat(carto.oauthTokenRequests()).isEqualTo(3);
    }
  }

  @Test
  void oauthBurstAtStartUpWithAWrongClientSecret_causesOneExchange_andNamesTheSourceNotTheSecret() {
    try (FakeCartoServer carto = FakeCartoServer.builder().clock(clock).build().start()) {
      OAuthFixture oauth = new OAuthFixture(carto, clock);
      String wrong = TestTokens.secret();
      TestSchemeFactory.VALUES.put(oauth.secretKey, wrong);
      CartoClient client = client(carto, cached(oauth.provider()));
      twentyQueriesFail(
          client,
          SecretAccessDeniedException.class,
          e -> {
            assertThat(e.getMessage()).contains("test:" + oauth.secretKey).doesNotContain(wrong);
            assertThat(Canaries.findIn(e.getMessage() + e)).isEmpty();
          });
      assertThat(carto.oauthTokenRequests()).isEqualTo(1);
    }
  }

  /** A cache over {@link #source}, which fails transiently, right after its first load failed. */
  private RefreshingTokenProvider afterAFailedFirstLoad() {
    source.failTransiently();
    RefreshingTokenProvider tokens = cached(source);
    assertThatThrownBy(tokens::currentToken).isInstanceOf(SecretUnavailableException.class);
    assertThat(source.fetches).hasValue(1);
    return tokens;
  }

  private static <T extends Throwable> void twentyQueriesFail(CartoClient client, Class<T> type, Consumer<T> check) {
    for (int i = 0; i < 20; i++) {
      assertThatThrownBy(() -> client.sql("carto_dw").query("SELECT name FROM cities LIMIT 1"))
          .isInstanceOfSatisfying(type, check);
    }
  }

  private CartoClient client(FakeCartoServer carto, TokenProvider tokens) {
    CartoClient c = CartoClient.builder().baseUrl(carto.baseUrl()).tokenProvider(tokens).maxRetries(0).build();
    closeables.add(c);
    return c;
  }
}
