package io.cartosecrets.testkit;

import static io.cartosecrets.testkit.TestHttp.getSql;
import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.cartosecrets.testkit.TestHttp.Reply;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import okhttp3.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FakeCartoServerAuthTest {
  private static final String Q = "SELECT name FROM cities LIMIT 1";
  private final FakeClock clock = new FakeClock();
  private final FakeCartoServer carto = FakeCartoServer.builder().clock(clock).start();

  @AfterEach
  void stop() {
    carto.close();
  }

  private static void assertUnauthorized(Reply reply) {
    assertThat(reply.status()).isEqualTo(401);
    assertThat(reply.json().toString()).isEqualTo("{\"error\":\"Unauthorized\"}");
  }

  @Test
  void mintedToken_isAnApiAccessTokenOfTheServersAccount_andIsAccepted() throws Exception {
    String token = carto.mintToken();

    String[] parts = token.split("\\.");
    assertThat(parts).hasSize(3);
    JsonNode header = TestHttp.MAPPER.readTree(Base64.getUrlDecoder().decode(parts[0]));
    JsonNode claims = TestHttp.MAPPER.readTree(Base64.getUrlDecoder().decode(parts[1]));
    assertThat(header.toString()).isEqualTo("{\"alg\":\"HS256\"}");
    assertThat(claims.get("a").asText()).isEqualTo(carto.accountId()).matches("ac_[a-z0-9]{8}");
    assertThat(claims.get("jti").asText()).matches("[0-9a-f]{8}");
    assertThat(Canaries.all()).contains(token);
    assertThat(carto.isValid(token)).isTrue();
    assertThat(getSql(carto, token, Q).status()).isEqualTo(200);
  }

  @Test
  void noAuthorizationHeader_gets401() {
    assertUnauthorized(getSql(carto, null, Q));
  }

  @Test
  void unknownToken_gets401() {
    carto.mintToken();
    String stranger = TestTokens.apiAccessToken(carto.accountId(), TestTokens.tokenId());

    assertThat(carto.isValid(stranger)).isFalse();
    assertUnauthorized(getSql(carto, stranger, Q));
  }

  @Test
  void nonBearerScheme_gets401EvenWithAValidTokenValue() {
    String token = carto.mintToken();
    Request basic =
        new Request.Builder()
            .url(TestHttp.sqlUrl(carto, "carto_dw", Q))
            .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(("x:" + token).getBytes(StandardCharsets.UTF_8)))
            .build();

    assertUnauthorized(TestHttp.execute(basic));
  }

  @Test
  void revokedToken_gets401_whileOtherTokensKeepWorking() {
    String revoked = carto.mintToken();
    String kept = carto.mintToken();

    carto.revokeToken(revoked);

    assertThat(carto.isValid(revoked)).isFalse();
    assertUnauthorized(getSql(carto, revoked, Q));
    assertThat(getSql(carto, kept, Q).status()).isEqualTo(200);
  }

  @Test
  void revokeWhileRunning_nextRequestOnTheSameConnectionGets401_andAddingItBackRestoresAccess() {
    String token = carto.mintToken();
    assertThat(getSql(carto, token, Q).status()).isEqualTo(200);

    carto.revokeToken(token);
    assertUnauthorized(getSql(carto, token, Q));

    carto.addToken(token);
    assertThat(getSql(carto, token, Q).status()).isEqualTo(200);
    assertThat(carto.requests()).extracting(c -> c.token().orElseThrow()).containsOnly(token);
  }

  @Test
  void addedForeignToken_isAccepted() {
    String foreign = TestTokens.apiAccessToken();
    assertUnauthorized(getSql(carto, foreign, Q));

    carto.addToken(foreign);

    assertThat(getSql(carto, foreign, Q).status()).isEqualTo(200);
  }

  @Test
  void addedOAuthToken_expiresAtItsExpClaim_byTheServersClock() {
    String oauth =
        TestTokens.oauthAccessToken(
            carto.accountId(), TestTokens.identifier("c"), clock.instant(), clock.instant().plus(Duration.ofMinutes(10)));
    carto.addToken(oauth);
    assertThat(getSql(carto, oauth, Q).status()).isEqualTo(200);

    clock.advance(Duration.ofMinutes(10));

    assertThat(carto.isValid(oauth)).isFalse();
    assertUnauthorized(getSql(carto, oauth, Q));
  }

  @Test
  void addToken_rejectsBlankAndNull() {
    assertThatThrownBy(() -> carto.addToken(" ")).isInstanceOf(IllegalArgumentException.class).hasMessage("token must not be blank");
    assertThatThrownBy(() -> carto.addToken(null)).isInstanceOf(NullPointerException.class).hasMessage("token");
  }

  @Test
  void toStringOfServerAndOptions_showNoToken() {
    String token = carto.mintToken();
    getSql(carto, token, Q);

    assertThat(carto.toString()).contains(carto.accountId()).doesNotContain(token);
    assertThat(carto.options().toString()).doesNotContain(token);
    assertThat(carto.requests().get(0).toString()).isEqualTo("Call[#1 GET /v3/sql/carto_dw/query, bearer]");
  }
}
