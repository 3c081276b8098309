package io.cartosecrets.testkit;

import static io.cartosecrets.testkit.TestHttp.getSql;
import static io.cartosecrets.testkit.TestHttp.postSql;
import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.testkit.FakeCartoServer.Call;
import java.time.Duration;
import java.util.Map;
import okhttp3.HttpUrl;
import okhttp3.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FakeCartoServerRecordingTest {
  private final FakeClock clock = new FakeClock();
  private final FakeCartoServer carto = FakeCartoServer.builder().clock(clock).start();
  private final String token = carto.mintToken();

  @AfterEach
  void stop() {
    carto.close();
  }

  @Test
  void getRequest_isRecordedWithItsExactRequestLineHeadersAndToken() {
    HttpUrl url =
        TestHttp.sqlUrl(carto, "carto_dw", "SELECT name FROM cities").newBuilder().addQueryParameter("v", "3.4").build();
    TestHttp.execute(
        new Request.Builder().url(url).header("Authorization", "Bearer " + token).header("X-Trace", "abc").build());

    Call call = carto.requests().get(0);
    assertThat(call.sequence()).isEqualTo(1);
    assertThat(call.method()).isEqualTo("GET");
    assertThat(call.requestLine()).isEqualTo("GET /v3/sql/carto_dw/query?q=SELECT%20name%20FROM%20cities&v=3.4 HTTP/1.1");
    assertThat(call.target()).isEqualTo("/v3/sql/carto_dw/query?q=SELECT%20name%20FROM%20cities&v=3.4");
    assertThat(call.path()).isEqualTo("/v3/sql/carto_dw/query");
    assertThat(call.queryParameter("q")).contains("SELECT name FROM cities");
    assertThat(call.queryParameter("absent")).isEmpty();
    assertThat(call.token()).contains(token);
    assertThat(call.header("x-trace")).contains("abc");
    assertThat(call.headers()).containsEntry("x-trace", java.util.List.of("abc"));
    assertThat(call.headers().get("authorization")).containsExactly("Bearer " + token);
    assertThat(call.body()).isEmpty();
    assertThat(call.receivedAt()).isEqualTo(clock.instant());
  }

  @Test
  void requestLines_proveTheTokenTravelledOnlyInTheHeader() {
    getSql(carto, token, "SELECT * FROM cities");
    postSql(carto, token, Map.of("q", "SELECT * FROM countries"));

    assertThat(carto.requests())
        .hasSize(2)
        .allSatisfy(c -> {
          assertThat(c.requestLine()).doesNotContain(token);
          assertThat(Canaries.findIn(c.requestLine())).isEmpty();
          assertThat(c.token()).contains(token);
        });
  }

  @Test
  void postBody_isRecordedAsText() {
    postSql(carto, token, Map.of("q", "SELECT * FROM cities", "queryParameters", Map.of()));

    Call call = carto.requests().get(0);
    assertThat(call.method()).isEqualTo("POST");
    assertThat(call.requestLine()).isEqualTo("POST /v3/sql/carto_dw/query HTTP/1.1");
    com.fasterxml.jackson.databind.JsonNode expected =
        TestHttp.MAPPER.valueToTree(Map.of("q", "SELECT * FROM cities", "queryParameters", Map.of()));
    assertThat(readJson(call.body())).isEqualTo(expected);
    assertThat(call.header("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
  }

  @Test
  void everyRequestIsRecordedInOrder_includingRefusedOnes_andClearRequestsForgetsThem() {
    getSql(carto, token, "SELECT * FROM cities");
    getSql(carto, null, "SELECT * FROM cities");
    clock.advance(Duration.ofSeconds(5));
    TestHttp.get(carto.baseUrl() + "/nowhere", token);

    assertThat(carto.requestCount()).isEqualTo(3);
    assertThat(carto.requests()).extracting(Call::sequence).containsExactly(1, 2, 3);
    assertThat(carto.requests()).extracting(Call::path).containsExactly("/v3/sql/carto_dw/query", "/v3/sql/carto_dw/query", "/nowhere");
    assertThat(carto.requests().get(1).token()).isEmpty();
    assertThat(carto.requests().get(2).receivedAt()).isEqualTo(carto.requests().get(0).receivedAt().plusSeconds(5));

    carto.clearRequests();

    assertThat(carto.requestCount()).isZero();
    assertThat(carto.requests()).isEmpty();
    assertThat(getSql(carto, token, "SELECT * FROM cities").status()).as("tokens survive clearRequests").isEqualTo(200);
    assertThat(carto.requests()).singleElement().extracting(Call::sequence).isEqualTo(4);
  }

  @Test
  void requestsSnapshot_isImmutableAndUnaffectedByLaterRequests() {
    getSql(carto, token, "SELECT * FROM cities");
    var snapshot = carto.requests();
    getSql(carto, token, "SELECT * FROM cities");

    assertThat(snapshot).hasSize(1);
    io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy(snapshot::clear).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void callToString_masksTheTokenSegmentOfTokensApiPaths() {
    TestHttp.get(carto.baseUrl() + "/v3/tokens/" + token, token);

    Call call = carto.requests().get(0);
    assertThat(call.requestLine()).contains(token);
    assertThat(call.toString()).isEqualTo("Call[#1 GET /v3/tokens/{token}, bearer]");
  }

  private static com.fasterxml.jackson.databind.JsonNode readJson(String s) {
    try {
      return TestHttp.MAPPER.readTree(s);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }
}
