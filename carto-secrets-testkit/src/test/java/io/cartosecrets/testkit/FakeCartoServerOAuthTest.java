package io.cartosecrets.testkit;

import static io.cartosecrets.testkit.TestHttp.getSql;
import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.cartosecrets.testkit.FakeCartoServer.OAuthClient;
import io.cartosecrets.testkit.TestHttp.Reply;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import okhttp3.Credentials;
import okhttp3.FormBody;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FakeCartoServerOAuthTest {
  private static final String Q = "SELECT * FROM cities LIMIT 1";
  private final FakeClock clock = new FakeClock();
  private final FakeCartoServer carto = FakeCartoServer.builder().clock(clock).oauthRateLimit(5, Duration.ofMinutes(1)).start();

  @AfterEach
  void stop() {
    carto.close();
  }

  private Reply exchange(String clientId, String clientSecret) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("grant_type", "client_credentials");
    form.put("client_id", clientId);
    form.put("client_secret", clientSecret);
    form.put("audience", FakeCartoServer.OAUTH_AUDIENCE);
    return TestHttp.postForm(carto.oauthTokenUrl(), form);
  }

  private static JsonNode part(String jwt, int index) throws Exception {
    return TestHttp.MAPPER.readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[index]));
  }

  private static void assertInvalidClient(Reply reply) {
    assertThat(reply.status()).isEqualTo(401);
    assertThat(reply.json().toString()).isEqualTo("{\"error\":\"invalid_client\",\"error_description\":\"Client authentication failed\"}");
  }

  @Test
  void clientCredentialsExchange_returnsAnRs256BearerTokenWithCartoClaims_thatWorksOnSql() throws Exception {
    OAuthClient client = carto.registerOAuthClient();

    Reply reply = exchange(client.clientId(), client.clientSecret());

    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.headers().get("Cache-Control")).isEqualTo("no-store");
    JsonNode body = reply.json();
    assertThat(body.get("token_type").asText()).isEqualTo("Bearer");
    assertThat(body.get("expires_in").asLong()).isEqualTo(Duration.ofHours(24).toSeconds());
    String accessToken = body.get("access_token").asText();
    assertThat(part(accessToken, 0).get("alg").asText()).isEqualTo("RS256");
    JsonNode claims = part(accessToken, 1);
    assertThat(claims.get("http://app.carto.com/account_id").asText()).isEqualTo(carto.accountId());
    assertThat(claims.get("aud").asText()).isEqualTo("carto-cloud-native-api");
    assertThat(claims.get("azp").asText()).isEqualTo(client.clientId());
    assertThat(claims.get("iat").asLong()).isEqualTo(clock.instant().getEpochSecond());
    assertThat(claims.get("exp").asLong()).isEqualTo(clock.instant().plus(Duration.ofHours(24)).getEpochSecond());
    assertThat(Canaries.all()).contains(accessToken, client.clientSecret());
    assertThat(carto.oauthTokenUrl()).isEqualTo(carto.baseUrl() + "/oauth/token");
    assertThat(carto.oauthTokenRequests()).isEqualTo(1);

    assertThat(getSql(carto, accessToken, Q).status()).isEqualTo(200);
  }

  @Test
  void oauthToken_expiresByTheServersClock() {
    OAuthClient client = carto.registerOAuthClient();
    String accessToken = exchange(client.clientId(), client.clientSecret()).json().get("access_token").asText();

    clock.advance(Duration.ofHours(24).minusSeconds(1));
    assertThat(getSql(carto, accessToken, Q).status()).isEqualTo(200);

    clock.advance(Duration.ofSeconds(1));
    assertThat(carto.isValid(accessToken)).isFalse();
    assertThat(getSql(carto, accessToken, Q).status()).isEqualTo(401);
  }

  @Test
  void configuredLifetime_setsExpAndExpiresIn() throws Exception {
    carto.oauthTokenLifetime(Duration.ofMinutes(5));
    OAuthClient client = carto.registerOAuthClient();

    JsonNode body = exchange(client.clientId(), client.clientSecret()).json();

    assertThat(body.get("expires_in").asLong()).isEqualTo(300);
    JsonNode claims = part(body.get("access_token").asText(), 1);
    assertThat(claims.get("exp").asLong() - claims.get("iat").asLong()).isEqualTo(300);
    clock.advance(Duration.ofMinutes(5));
    assertThat(carto.isValid(body.get("access_token").asText())).isFalse();
  }

  @Test
  void wrongSecret_gets401InvalidClient() {
    OAuthClient client = carto.registerOAuthClient();

    assertInvalidClient(exchange(client.clientId(), TestTokens.secret()));
  }

  @Test
  void unknownClient_gets401InvalidClient() {
    assertInvalidClient(exchange(TestTokens.identifier("nobody"), TestTokens.secret()));
  }

  @Test
  void rotatedSecret_oldOneIsRefused_newOneWorks_issuedTokensStayValid() {
    OAuthClient before = carto.registerOAuthClient();
    String issued = exchange(before.clientId(), before.clientSecret()).json().get("access_token").asText();

    OAuthClient after = carto.rotateClientSecret(before.clientId());

    assertThat(after.clientId()).isEqualTo(before.clientId());
    assertThat(after.clientSecret()).isNotEqualTo(before.clientSecret());
    assertInvalidClient(exchange(before.clientId(), before.clientSecret()));
    assertThat(exchange(after.clientId(), after.clientSecret()).status()).isEqualTo(200);
    assertThat(getSql(carto, issued, Q).status()).isEqualTo(200);
  }

  @Test
  void rotatingAnUnknownClient_isRefused() {
    assertThatThrownBy(() -> carto.rotateClientSecret("nope"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("No OAuth client is registered with id nope");
  }

  @Test
  void tooManyRequestsInTheWindow_get429_untilTheWindowMovesOnByTheClock() {
    OAuthClient client = carto.registerOAuthClient();
    for (int i = 0; i < 5; i++) {
      assertThat(exchange(client.clientId(), client.clientSecret()).status()).isEqualTo(200);
      clock.advance(Duration.ofSeconds(1));
    }

    Reply limited = exchange(client.clientId(), client.clientSecret());

    assertThat(limited.status()).isEqualTo(429);
    assertThat(limited.json().get("error").asText()).isEqualTo("too_many_requests");
    assertThat(limited.headers().get("X-RateLimit-Limit")).isEqualTo("5");
    assertThat(limited.headers().get("X-RateLimit-Remaining")).isEqualTo("0");
    long firstExchange = clock.instant().minusSeconds(5).getEpochSecond();
    assertThat(limited.headers().get("X-RateLimit-Reset")).isEqualTo(String.valueOf(firstExchange + 60));
    assertThat(carto.oauthTokenRequests()).isEqualTo(6);

    clock.advance(Duration.ofSeconds(55)); // the first exchange leaves the one-minute window
    assertThat(exchange(client.clientId(), client.clientSecret()).status()).isEqualTo(200);
    assertThat(exchange(client.clientId(), client.clientSecret()).status()).isEqualTo(429);
  }

  @Test
  void rateLimit_countsFailedAttemptsToo() {
    carto.oauthRateLimit(2, Duration.ofSeconds(10));
    OAuthClient client = carto.registerOAuthClient();

    assertThat(exchange(client.clientId(), TestTokens.secret()).status()).isEqualTo(401);
    assertThat(exchange(client.clientId(), TestTokens.secret()).status()).isEqualTo(401);
    assertThat(exchange(client.clientId(), client.clientSecret()).status()).isEqualTo(429);
  }

  @Test
  void wrongAudience_gets403_missingAudience_gets403_wrongGrant_gets400() {
    OAuthClient client = carto.registerOAuthClient();

    Reply wrongAudience =
        TestHttp.postForm(
            carto.oauthTokenUrl(),
            Map.of("grant_type", "client_credentials", "client_id", client.clientId(), "client_secret", client.clientSecret(), "audience", "other"));
    Reply noAudience =
        TestHttp.postForm(
            carto.oauthTokenUrl(),
            Map.of("grant_type", "client_credentials", "client_id", client.clientId(), "client_secret", client.clientSecret()));
    Reply wrongGrant =
        TestHttp.postForm(
            carto.oauthTokenUrl(),
            Map.of("grant_type", "password", "client_id", client.clientId(), "client_secret", client.clientSecret(), "audience", FakeCartoServer.OAUTH_AUDIENCE));

    assertThat(wrongAudience.status()).isEqualTo(403);
    assertThat(wrongAudience.json().get("error").asText()).isEqualTo("access_denied");
    assertThat(noAudience.status()).isEqualTo(403);
    assertThat(wrongGrant.status()).isEqualTo(400);
    assertThat(wrongGrant.json().get("error").asText()).isEqualTo("unsupported_grant_type");
  }

  @Test
  void httpBasicClientAuthentication_andJsonBody_areAccepted() {
    OAuthClient client = carto.registerOAuthClient();
    Request basic =
        new Request.Builder()
            .url(carto.oauthTokenUrl())
            .header("Authorization", Credentials.basic(client.clientId(), client.clientSecret(), StandardCharsets.UTF_8))
            .post(new FormBody.Builder().add("grant_type", "client_credentials").add("audience", FakeCartoServer.OAUTH_AUDIENCE).build())
            .build();
    String json =
        TestHttp.toJson(
            Map.of("grant_type", "client_credentials", "client_id", client.clientId(), "client_secret", client.clientSecret(), "audience", FakeCartoServer.OAUTH_AUDIENCE));
    Request jsonRequest =
        new Request.Builder().url(carto.oauthTokenUrl()).post(RequestBody.create(json, MediaType.get("application/json"))).build();

    assertThat(TestHttp.execute(basic).status()).isEqualTo(200);
    assertThat(TestHttp.execute(jsonRequest).status()).isEqualTo(200);
  }

  @Test
  void repeatedFormParameter_isAnInvalidRequest() {
    OAuthClient client = carto.registerOAuthClient();
    Request dup =
        new Request.Builder()
            .url(carto.oauthTokenUrl())
            .post(
                new FormBody.Builder()
                    .add("grant_type", "client_credentials")
                    .add("client_id", client.clientId())
                    .add("client_secret", client.clientSecret())
                    .add("client_secret", client.clientSecret())
                    .add("audience", FakeCartoServer.OAUTH_AUDIENCE)
                    .build())
            .build();

    Reply reply = TestHttp.execute(dup);

    assertThat(reply.status()).isEqualTo(400);
    assertThat(reply.json().get("error").asText()).isEqualTo("invalid_request");
  }

  @Test
  void oauthClientToString_showsTheIdButNotTheSecret() {
    OAuthClient client = carto.registerOAuthClient();

    assertThat(client.toString()).contains(client.clientId()).doesNotContain(client.clientSecret());
  }

  @Test
  void oauthEndpoint_isUnderThePathPrefix() {
    try (FakeCartoServer prefixed = FakeCartoServer.builder().pathPrefix("/api").start()) {
      OAuthClient client = prefixed.registerOAuthClient();
      Map<String, String> form =
          Map.of("grant_type", "client_credentials", "client_id", client.clientId(), "client_secret", client.clientSecret(), "audience", FakeCartoServer.OAUTH_AUDIENCE);

      assertThat(prefixed.oauthTokenUrl()).endsWith("/api/oauth/token");
      assertThat(TestHttp.postForm(prefixed.oauthTokenUrl(), form).status()).isEqualTo(200);
    }
  }
}
