package io.cartosecrets.testkit;

import static io.cartosecrets.testkit.TestHttp.getSql;
import static io.cartosecrets.testkit.TestHttp.postSql;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cartosecrets.testkit.TestHttp.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FakeCartoServerSqlTest {
  private final FakeCartoServer carto = FakeCartoServer.start();
  private final String token = carto.mintToken();

  @AfterEach
  void stop() {
    carto.close();
  }

  private static List<String> names(JsonNode body) {
    List<String> names = new ArrayList<>();
    body.get("rows").forEach(r -> names.add(r.get("name").asText()));
    return names;
  }

  @Test
  void getSelectStar_returnsEveryCityWithCartoResponseShape() {
    Reply reply = getSql(carto, token, "SELECT * FROM cities");

    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.headers().get("Content-Type")).startsWith("application/json");
    JsonNode body = reply.json();
    assertThat(body.get("rows")).hasSize(10);
    assertThat(body.get("rows").get(0).get("name").asText()).isEqualTo("Madrid");
    assertThat(body.get("rows").get(0).get("population").isIntegralNumber()).isTrue();
    assertThat(body.get("schema").toString())
        .isEqualTo(
            "[{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"country\",\"type\":\"string\"},"
                + "{\"name\":\"population\",\"type\":\"number\"}]");
    JsonNode meta = body.get("meta");
    assertThat(meta.get("cacheHit").asBoolean()).isFalse();
    assertThat(meta.get("location").asText()).isEqualTo("US");
    assertThat(meta.get("totalBytesProcessed").isTextual()).isTrue();
    assertThat(Long.parseLong(meta.get("totalBytesProcessed").asText())).isPositive();
  }

  @Test
  void getWithNamedParameter_filtersByIt() {
    HttpUrl url =
        TestHttp.sqlUrl(carto, "carto_dw", "SELECT name FROM cities WHERE country = @country ORDER BY name")
            .newBuilder()
            .addQueryParameter("queryParameters", "{\"country\":\"Portugal\"}")
            .build();

    Reply reply = TestHttp.get(url, token);

    assertThat(reply.status()).isEqualTo(200);
    assertThat(names(reply.json())).containsExactly("Lisbon", "Porto");
    assertThat(reply.json().get("rows").get(0).size()).as("only the selected column").isEqualTo(1);
  }

  @Test
  void postWithoutParameters_runsTheQueryFromTheBody() {
    Reply reply = postSql(carto, token, Map.of("q", "SELECT name, population FROM cities ORDER BY population DESC LIMIT 3"));

    assertThat(reply.status()).isEqualTo(200);
    assertThat(names(reply.json())).containsExactly("Tokyo", "New York", "Madrid");
  }

  @Test
  void postWithNamedParameters_filtersByNumberAndString() {
    Reply reply =
        postSql(
            carto,
            token,
            Map.of(
                "q", "SELECT name FROM cities WHERE population > @min AND country = @country ORDER BY population",
                "queryParameters", Map.of("min", 1_000_000, "country", "Spain")));

    assertThat(reply.status()).isEqualTo(200);
    assertThat(names(reply.json())).containsExactly("Barcelona", "Madrid");
  }

  @Test
  void positionalParameters_bindInOrder() {
    Reply reply =
        postSql(
            carto,
            token,
            Map.of("q", "SELECT name FROM cities WHERE country = ? AND population < ?", "queryParameters", List.of("France", 1_000_000)));

    assertThat(reply.status()).isEqualTo(200);
    assertThat(names(reply.json())).containsExactly("Lyon");
  }

  @Test
  void literalComparisons_workWithoutParameters() {
    assertThat(names(getSql(carto, token, "select name from cities where name = 'Porto'").json())).containsExactly("Porto");
    assertThat(names(getSql(carto, token, "SELECT * FROM cities WHERE population > 8000000 ORDER BY name").json()))
        .containsExactly("New York", "Tokyo");
  }

  @Test
  void countAndAliasesAndQualifiedTable_areSupported() {
    JsonNode count = getSql(carto, token, "SELECT COUNT(*) AS n FROM `carto-demo-data.demo_tables.cities` WHERE country = 'Spain'").json();
    assertThat(count.get("rows").get(0).get("n").asLong()).isEqualTo(3);
    assertThat(count.get("schema").get(0).get("type").asText()).isEqualTo("number");

    JsonNode countries = getSql(carto, token, "SELECT code AS iso FROM countries WHERE continent = 'Europe' ORDER BY iso").json();
    assertThat(countries.get("rows").toString()).isEqualTo("[{\"iso\":\"ES\"},{\"iso\":\"FR\"},{\"iso\":\"PT\"}]");
  }

  @Test
  void unsupportedSql_gets400InCartoErrorShape() {
    Reply reply = getSql(carto, token, "DELETE FROM cities");

    assertThat(reply.status()).isEqualTo(400);
    assertThat(reply.json().get("error").asText()).startsWith("Syntax error: Expected keyword SELECT");
    assertThat(reply.json().size()).isEqualTo(1);
  }

  @Test
  void missingParameter_unknownColumn_unknownTable_typeMismatch_get400() {
    assertThat(getSql(carto, token, "SELECT * FROM cities WHERE name = @who").json().get("error").asText())
        .isEqualTo("Query parameter 'who' not found");
    assertThat(getSql(carto, token, "SELECT altitude FROM cities").json().get("error").asText())
        .isEqualTo("Unrecognized name: altitude");
    Reply unknownTable = getSql(carto, token, "SELECT * FROM airports");
    assertThat(unknownTable.status()).isEqualTo(400);
    assertThat(unknownTable.json().get("error").asText()).contains("Table airports was not found");
    Reply mismatch = getSql(carto, token, "SELECT * FROM cities WHERE population = 'many'");
    assertThat(mismatch.status()).isEqualTo(400);
    assertThat(mismatch.json().get("error").asText()).contains("No matching signature for operator =");
  }

  @Test
  void missingQ_andMalformedBodies_get400() {
    assertThat(TestHttp.get(carto.baseUrl() + "/v3/sql/carto_dw/query", token).status()).isEqualTo(400);
    Reply notJson = postSql(carto, token, "{not json");
    assertThat(notJson.status()).isEqualTo(400);
    assertThat(notJson.json().get("error").asText()).isEqualTo("The request body is not valid JSON");
    HttpUrl badParams =
        TestHttp.sqlUrl(carto, "carto_dw", "SELECT * FROM cities").newBuilder().addQueryParameter("queryParameters", "{oops").build();
    assertThat(TestHttp.get(badParams, token).status()).isEqualTo(400);
  }

  @Test
  void unknownConnection_gets404ConnectionNotFound() {
    Reply reply = TestHttp.get(TestHttp.sqlUrl(carto, "no_such_conn", "SELECT * FROM cities"), token);

    assertThat(reply.status()).isEqualTo(404);
    assertThat(reply.json().get("error").asText()).isEqualTo("Connection not found");
  }

  @Test
  void configuredConnections_replaceTheDefault() {
    try (FakeCartoServer other = FakeCartoServer.builder().connections("bq_prod", "sf_prod").start()) {
      String t = other.mintToken();
      assertThat(TestHttp.get(TestHttp.sqlUrl(other, "sf_prod", "SELECT * FROM cities"), t).status()).isEqualTo(200);
      assertThat(TestHttp.get(TestHttp.sqlUrl(other, "carto_dw", "SELECT * FROM cities"), t).status()).isEqualTo(404);
    }
  }

  @Test
  void otherMethodsAndPaths_getCartoShaped405And404() {
    Reply put = TestHttp.send("PUT", carto.baseUrl() + "/v3/sql/carto_dw/query", token, Map.of("q", "SELECT * FROM cities"));
    assertThat(put.status()).isEqualTo(405);
    Reply unknown = TestHttp.get(carto.baseUrl() + "/v3/maps/carto_dw/table", token);
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.json().get("error").asText()).isEqualTo("Not found");
  }

  @Test
  void pathPrefix_servesUnderThePrefixOnly() {
    try (FakeCartoServer prefixed = FakeCartoServer.builder().pathPrefix("/api/").start()) {
      String t = prefixed.mintToken();
      assertThat(prefixed.baseUrl()).matches("http://127\\.0\\.0\\.1:\\d+/api");

      assertThat(getSql(prefixed, t, "SELECT * FROM cities LIMIT 1").status()).isEqualTo(200);
      String root = prefixed.baseUrl().substring(0, prefixed.baseUrl().length() - "/api".length());
      assertThat(TestHttp.get(root + "/v3/sql/carto_dw/query?q=SELECT%201", t).status()).isEqualTo(404);
      assertThat(prefixed.requests()).extracting(FakeCartoServer.Call::path)
          .containsExactly("/api/v3/sql/carto_dw/query", "/v3/sql/carto_dw/query");
    }
  }
}
