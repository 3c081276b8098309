package io.cartosecrets;

import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.testkit.Canaries;
import io.cartosecrets.testkit.TestTokens;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** CartoClient, ApiCaller and Redactor edge cases found by an adversarial review: regression tests. */
class ClientEdgeCaseTest {
  private final MockWebServer server = new MockWebServer();
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

  private static SecretProvider fixed(String value) {
    return new SecretProvider() {
      @Override
      public Secret fetch() {
        return Secret.of(value, description());
      }

      @Override
      public String description() {
        return "test:fixed";
      }
    };
  }

  private CartoClient clientWith(String token) {
    return CartoClient.builder()
        .baseUrl(server.url("/").toString())
        .tokenProvider(TokenProvider.uncached(fixed(token)))
        .maxRetries(0)
        .build();
  }

  private static MockResponse json(int code, String body) {
    return new MockResponse.Builder().code(code).addHeader("Content-Type", "application/json").body(body).build();
  }

  private static Throwable thrownBy(Runnable r) {
    try {
      r.run();
      return null;
    } catch (Throwable t) {
      return t;
    }
  }

  /**
   * Regression: Secret accepts any non-control character, but OkHttp accepts only \t and
   * 0x20-0x7e in a header value. A token with a character that copy-paste brings along (U+00A0
   * no-break space, U+200B zero-width space, U+FEFF from an env var) is cached as good, and then
   * every request fails with a bare IllegalArgumentException from OkHttp's header check: not a
   * CartoSecretsException, not naming the source, and never a reload (it is not a 401).
   */
  @Test
  void tokenWithNonAsciiCharacter_failsTyped_namingTheSource() {
    String token = TestTokens.apiAccessToken() + "\u200b";
    client = clientWith(token);
    server.enqueue(json(200, "{\"rows\":[]}"));
    Throwable t = thrownBy(() -> client.sql("carto_dw").query("SELECT 1"));
    assertThat(t).as("what a query with that token throws").isInstanceOf(CartoSecretsException.class);
    assertThat(t.getMessage()).contains("test:fixed");
  }

  /**
   * Regression: the Tokens API puts the managed token in the path, and ApiCaller masks the path with
   * Redactor's JWT pattern only (no known secrets are passed). An opaque token (CartoToken.Kind
   * OPAQUE, e.g. a legacy key, accepted by tokens().get/delete) appears in clear in the
   * exception message.
   */
  @Test
  void tokensApi_opaqueTokenInPath_isMaskedInExceptions() {
    Instant now = Instant.now();
    String oauth = TestTokens.oauthAccessToken(TestTokens.accountId(), "client", now, now.plus(1, ChronoUnit.HOURS));
    client = clientWith(oauth);
    String managed = TestTokens.secret(); // opaque, 43 url-safe characters
    server.enqueue(json(404, "{\"error\":\"Token not found\"}"));
    Throwable t = thrownBy(() -> client.tokens().get(CartoToken.of(managed, "test:managed")));
    assertThat(t).isInstanceOf(CartoNotFoundException.class);
    assertThat(Canaries.findIn(t.getMessage())).as("canary in the exception message").isEmpty();
  }

  /**
   * Regression: CartoOAuthProvider turns expires_in into an Instant with plusSeconds; a token endpoint
   * answering a huge expires_in (a "never expires" sentinel, a proxy bug) makes fetch() throw a
   * bare java.time.DateTimeException instead of a SecretFormatException naming source and field.
   */
  @Test
  void oauth_hugeExpiresIn_isTyped() {
    Instant now = Instant.now();
    String access = TestTokens.oauthAccessToken(TestTokens.accountId(), "client", now, now.plus(1, ChronoUnit.HOURS));
    server.enqueue(json(200, "{\"access_token\":\"" + access + "\",\"token_type\":\"Bearer\",\"expires_in\":9000000000000000000}"));
    CartoOAuthProvider oauth =
        CartoOAuthProvider.builder()
            .clientId(fixed(TestTokens.identifier("client-")))
            .clientSecret(fixed(TestTokens.secret()))
            .tokenUrl(server.url("/oauth/token").toString())
            .build();
    Throwable t = thrownBy(oauth::fetch);
    assertThat(t).as("what a huge expires_in gives")
        .isInstanceOfSatisfying(SecretFormatException.class, e -> assertThat(e.field()).contains("expires_in"));
  }
}
