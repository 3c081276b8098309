package io.cartosecrets.testkit;

import static io.cartosecrets.testkit.TestHttp.getSql;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cartosecrets.testkit.TestHttp.Reply;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import okhttp3.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FakeCartoServerTokensApiTest {
  private final FakeClock clock = new FakeClock();
  private final FakeCartoServer carto = FakeCartoServer.builder().clock(clock).start();
  private final String oauth = carto.mintOAuthToken();
  private final String tokensUrl = carto.baseUrl() + "/v3/tokens";

  @AfterEach
  void stop() {
    carto.close();
  }

  private static Map<String, Object> grant(String source) {
    return Map.of("connection_name", "carto_dw", "source", source);
  }

  private JsonNode create(Map<String, Object> body) {
    Reply reply = TestHttp.send("POST", tokensUrl, oauth, body);
    assertThat(reply.status()).as(reply.text()).isEqualTo(201);
    return reply.json();
  }

  @Test
  void createdToken_worksOnSql_andStopsWorkingOnceDeleted() {
    JsonNode created = create(Map.of("grants", List.of(grant("cities")), "referers", List.of(), "allowed_apis", List.of("sql")));
    String token = created.get("token").asText();
    assertThat(Canaries.all()).contains(token);
    assertThat(created.get("id").asText()).matches("[0-9a-f]{8}");
    assertThat(created.get("grants").toString()).isEqualTo("[{\"connection_name\":\"carto_dw\",\"source\":\"cities\"}]");
    assertThat(created.get("allowed_apis").toString()).isEqualTo("[\"sql\"]");
    assertThat(getSql(carto, token, "SELECT * FROM cities").status()).isEqualTo(200);

    Reply deleted = TestHttp.send("DELETE", tokensUrl + "/" + token, oauth, null);

    assertThat(deleted.status()).isEqualTo(204);
    assertThat(carto.isValid(token)).isFalse();
    assertThat(getSql(carto, token, "SELECT * FROM cities").status()).isEqualTo(401);
    assertThat(TestHttp.get(tokensUrl + "/" + token, oauth).status()).isEqualTo(404);
  }

  @Test
  void createdTokenCarriesTheServersAccountAndItsIdAsJti() throws Exception {
    JsonNode created = create(Map.of("grants", List.of(grant("*"))));
    String token = created.get("token").asText();

    JsonNode claims = TestHttp.MAPPER.readTree(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]));
    assertThat(claims.get("a").asText()).isEqualTo(carto.accountId());
    assertThat(claims.get("jti").asText()).isEqualTo(created.get("id").asText());
    assertThat(created.get("allowed_apis").toString()).as("default allowed_apis").isEqualTo("[\"sql\",\"maps\"]");
  }

  @Test
  void apiAccessToken_cannotUseTheTokensApi() {
    String apiToken = carto.mintToken();

    Reply list = TestHttp.get(tokensUrl, apiToken);
    Reply create = TestHttp.send("POST", tokensUrl, apiToken, Map.of("grants", List.of(grant("*"))));

    for (Reply r : List.of(list, create)) {
      assertThat(r.status()).isEqualTo(403);
      assertThat(r.json().toString())
          .isEqualTo("{\"error\":\"Forbidden\",\"description\":\"API Access Tokens cannot manage tokens\"}");
    }
  }

  @Test
  void tokensApiWithoutValidToken_gets401() {
    assertThat(TestHttp.get(tokensUrl, null).status()).isEqualTo(401);
    assertThat(TestHttp.get(tokensUrl, TestTokens.apiAccessToken()).status()).isEqualTo(401);
  }

  @Test
  void grants_limitTheTokenToItsSources() {
    String token = create(Map.of("grants", List.of(grant("cities")))).get("token").asText();

    assertThat(getSql(carto, token, "SELECT * FROM cities").status()).isEqualTo(200);
    Reply other = getSql(carto, token, "SELECT * FROM countries");
    assertThat(other.status()).isEqualTo(403);
    assertThat(other.json().get("error").asText()).isEqualTo("You don't have permissions to read this resource");
  }

  @Test
  void wildcardAndQueryGrants_coverWhatTheyName() {
    String wildcard = create(Map.of("grants", List.of(grant("carto-demo-data.demo_tables.*")))).get("token").asText();
    String sql = "SELECT name FROM countries WHERE continent = 'Asia'";
    String query = create(Map.of("grants", List.of(grant(sql)))).get("token").asText();

    assertThat(getSql(carto, wildcard, "SELECT * FROM countries").status()).isEqualTo(200);
    assertThat(getSql(carto, query, sql).status()).isEqualTo(200);
    assertThat(getSql(carto, query, "SELECT * FROM countries").status()).isEqualTo(403);
  }

  @Test
  void tokenWithoutSqlApi_isRefusedOnSql() {
    String token = create(Map.of("grants", List.of(grant("*")), "allowed_apis", List.of("maps"))).get("token").asText();

    assertThat(getSql(carto, token, "SELECT * FROM cities").status()).isEqualTo(403);
  }

  @Test
  void referers_restrictByOrigin_andATrailingSlashNeverMatches() {
    String token =
        create(Map.of("grants", List.of(grant("*")), "referers", List.of("https://app.example.com"))).get("token").asText();
    String slashed =
        create(Map.of("grants", List.of(grant("*")), "referers", List.of("https://app.example.com/"))).get("token").asText();

    assertThat(sqlWithHeader(token, "Origin", "https://app.example.com").status()).isEqualTo(200);
    assertThat(sqlWithHeader(token, "Referer", "https://app.example.com/maps/1?x=2").status()).isEqualTo(200);
    Reply wrongOrigin = sqlWithHeader(token, "Origin", "https://evil.example.com");
    assertThat(wrongOrigin.status()).isEqualTo(403);
    assertThat(wrongOrigin.json().get("error").asText()).isEqualTo("Unauthorized referer");
    assertThat(getSql(carto, token, "SELECT * FROM cities").status()).as("no Origin or Referer").isEqualTo(403);
    assertThat(sqlWithHeader(slashed, "Origin", "https://app.example.com").status()).isEqualTo(403);
  }

  private Reply sqlWithHeader(String token, String name, String value) {
    return TestHttp.execute(
        new Request.Builder()
            .url(TestHttp.sqlUrl(carto, "carto_dw", "SELECT * FROM cities"))
            .header("Authorization", "Bearer " + token)
            .header(name, value)
            .build());
  }

  @Test
  void listAndGet_showTheOwnersTokens_byValueOrById() {
    String minted = carto.mintToken();
    JsonNode created = create(Map.of("grants", List.of(grant("cities"))));

    JsonNode list = TestHttp.get(tokensUrl, oauth).json();
    assertThat(list.isArray()).isTrue();
    assertThat(list.findValuesAsText("token")).containsExactlyInAnyOrder(minted, created.get("token").asText());
    assertThat(list.findValuesAsText("token")).doesNotContain(oauth);

    JsonNode byId = TestHttp.get(tokensUrl + "/" + created.get("id").asText(), oauth).json();
    JsonNode byValue = TestHttp.get(tokensUrl + "/" + created.get("token").asText(), oauth).json();
    assertThat(byId).isEqualTo(created).isEqualTo(byValue);
    assertThat(TestHttp.get(tokensUrl + "/" + oauth, oauth).status()).as("OAuth tokens are not managed here").isEqualTo(404);
  }

  @Test
  void patch_replacesGrantsAtOnce_butNotTheExpirationDate() {
    JsonNode created = create(Map.of("grants", List.of(grant("cities"))));
    String token = created.get("token").asText();
    String itemUrl = tokensUrl + "/" + created.get("id").asText();

    Reply patched = TestHttp.send("PATCH", itemUrl, oauth, Map.of("grants", List.of(grant("countries"))));

    assertThat(patched.status()).isEqualTo(200);
    assertThat(patched.json().get("token").asText()).isEqualTo(token);
    assertThat(getSql(carto, token, "SELECT * FROM countries").status()).isEqualTo(200);
    assertThat(getSql(carto, token, "SELECT * FROM cities").status()).isEqualTo(403);
    Reply expiry = TestHttp.send("PATCH", itemUrl, oauth, Map.of("expiration_date", "2030-01-01T00:00:00Z"));
    assertThat(expiry.status()).isEqualTo(400);
    assertThat(expiry.json().get("error").asText()).contains("expiration_date cannot be changed");
  }

  @Test
  void expirationDate_endsTheTokenByTheServersClock() {
    String expiry = clock.instant().plus(Duration.ofDays(1)).toString();
    JsonNode created = create(Map.of("grants", List.of(grant("*")), "expiration_date", expiry));
    String token = created.get("token").asText();
    assertThat(created.get("expiration_date").asText()).isEqualTo(expiry);
    assertThat(getSql(carto, token, "SELECT * FROM cities").status()).isEqualTo(200);

    clock.advance(Duration.ofDays(1));

    assertThat(getSql(carto, token, "SELECT * FROM cities").status()).isEqualTo(401);
  }

  @Test
  void invalidCreateBodies_get400WithoutEchoingValues() {
    String pastDate = clock.instant().minusSeconds(1).toString();
    List<Map<String, Object>> bad =
        List.of(
            Map.of(),
            Map.of("grants", List.of()),
            Map.of("grants", List.of(Map.of("connection_name", "carto_dw"))),
            Map.of("grants", List.of(Map.of("connection_name", "nope", "source", "*"))),
            Map.of("grants", List.of(grant("*")), "allowed_apis", List.of("everything")),
            Map.of("grants", List.of(grant("*")), "referers", "https://x.example"),
            Map.of("grants", List.of(grant("*")), "expiration_date", pastDate),
            Map.of("grants", List.of(grant("*")), "expiration_date", "soon"));

    for (Map<String, Object> body : bad) {
      Reply reply = TestHttp.send("POST", tokensUrl, oauth, body);
      assertThat(reply.status()).as(body.toString()).isEqualTo(400);
      assertThat(reply.json().get("error").asText()).as(body.toString()).isNotBlank().doesNotContain("soon", "https://x.example");
    }
    assertThat(TestHttp.get(tokensUrl, oauth).json()).isEmpty();
  }

  @Test
  void deleteOfAnUnknownToken_gets404() {
    Reply reply = TestHttp.send("DELETE", tokensUrl + "/" + TestTokens.tokenId(), oauth, null);

    assertThat(reply.status()).isEqualTo(404);
    assertThat(reply.json().get("error").asText()).isEqualTo("Token not found");
  }
}
