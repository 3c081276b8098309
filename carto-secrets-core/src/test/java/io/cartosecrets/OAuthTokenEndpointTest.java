package io.cartosecrets;

import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy;

import io.cartosecrets.testkit.Canaries;
import io.cartosecrets.testkit.FakeCartoServer;
import io.cartosecrets.testkit.FakeClock;
import io.cartosecrets.testkit.TestTokens;
import java.time.Duration;
import java.util.function.Consumer;
import mockwebserver3.MockResponse;
import okhttp3.OkHttpClient;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link CartoOAuthProvider} against each error of the token endpoint (typed, with the OAuth error
 * code, never a secret in the message), and what its {@code close()} releases.
 */
class OAuthTokenEndpointTest {
  private final FakeClock clock = new FakeClock();
  private FakeCartoServer carto;
  private OAuthFixture oauth;

  @BeforeEach
  void start() {
    carto = FakeCartoServer.builder().clock(clock).build().start();
    oauth = new OAuthFixture(carto, clock);
  }

  @AfterEach
  void stop() {
    carto.close();
  }

  @Test
  void wrongClientSecret_isInvalidClient_permanent_andNamesWhereTheSecretIsKept() {
    String wrong = TestTokens.secret(48);
    TestSchemeFactory.VALUES.put(oauth.secretKey, wrong);
    assertRefused(
        oauth.provider()::fetch,
        SecretAccessDeniedException.class,
        "invalid_client",
        e -> assertThat(e.getMessage()).contains("401").contains("test:" + oauth.secretKey).doesNotContain(wrong));
  }

  @Test
  void unknownClientId_isInvalidClient_permanent() {
    TestSchemeFactory.VALUES.put(oauth.idKey, TestTokens.identifier("unregistered-"));
    assertRefused(
        oauth.provider()::fetch,
        SecretAccessDeniedException.class,
        "invalid_client",
        e -> assertThat(e.getMessage()).contains("401").contains("test:" + oauth.idKey));
  }

  @Test
  void wrongAudience_isAccessDenied_permanent() {
    assertRefused(
        oauth.builder().audience("not-carto").build()::fetch,
        SecretAccessDeniedException.class,
        "access_denied",
        e -> assertThat(e.getMessage()).contains("403").contains("not-carto"));
  }

  @Test
  void rateLimited_isTooManyRequests_transient() {
    carto.oauthRateLimit(1, Duration.ofMinutes(1));
    CartoOAuthProvider provider = oauth.provider();
    provider.fetch();
    assertRefused(
        provider::fetch,
        SecretUnavailableException.class,
        "too_many_requests",
        e -> assertThat(e.getMessage()).contains("429"));
  }

  @Test
  void serverErrorWithAnOAuthBody_carriesItsCode_transient() {
    carto.failNextRaw(
        new MockResponse.Builder()
            .code(500)
            .addHeader("Content-Type", "application/json")
            .body("{\"error\":\"server_error\",\"error_description\":\"try later\"}")
            .build());
    assertRefused(
        oauth.provider()::fetch,
        SecretUnavailableException.class,
        "server_error",
        e -> assertThat(e.getMessage()).contains("500").contains("try later"));
  }

  @Test
  void serverErrorWithoutAnOAuthBody_carriesTheStatusAsItsCode_transient() {
    carto.failNextRaw(
        new MockResponse.Builder().code(502).addHeader("Content-Type", "text/html").body("<html>Bad Gateway</html>").build());
    assertRefused(
        oauth.provider()::fetch,
        SecretUnavailableException.class,
        "502",
        e -> assertThat(e.getMessage()).contains("502"));
  }

  @Test
  void close_releasesTheOkHttpClientTheProviderBuilt() {
    CartoOAuthProvider provider = oauth.provider();
    provider.fetch();
    OkHttpClient own = provider.httpClient();
    assertThat(own.connectionPool().connectionCount()).as("kept-alive connections before close").isEqualTo(1);

    provider.close();
    assertThat(own.connectionPool().connectionCount()).as("connections after close").isZero();
    assertThat(own.dispatcher().executorService().isShutdown()).as("dispatcher shut down").isTrue();
  }

  @Test
  void close_leavesAnInjectedOkHttpClientAsItIs() {
    OkHttpClient injected = new OkHttpClient.Builder().build();
    try {
      CartoOAuthProvider provider = oauth.builder().okHttpClient(injected).build();
      provider.fetch();
      provider.close();
      assertThat(injected.connectionPool().connectionCount()).isEqualTo(1);
      assertThat(injected.dispatcher().executorService().isShutdown()).isFalse();
    } finally {
      injected.dispatcher().executorService().shutdown();
      injected.connectionPool().evictAll();
    }
  }

  /** {@code call} throws {@code type} with error code {@code code}, and no secret or token anywhere. */
  private static <T extends SecretException> void assertRefused(
      ThrowingCallable call, Class<T> type, String code, Consumer<T> more) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            type,
            e -> {
              assertThat(e.errorCode()).as("errorCode()").contains(code);
              assertThat(e.retryable()).as("retryable()").isEqualTo(e instanceof SecretUnavailableException);
              assertThat(e.source()).startsWith("carto-oauth:");
              assertThat(Canaries.findIn(e.getMessage() + e)).isEmpty();
              more.accept(e);
            });
  }
}
