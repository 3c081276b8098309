package io.cartosecrets.testkit;

import static io.cartosecrets.testkit.TestHttp.getSql;
import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy;

import io.cartosecrets.testkit.TestHttp.Reply;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.SocketEffect;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FakeCartoServerFailuresTest {
  private static final String Q = "SELECT * FROM cities";
  private final FakeCartoServer carto = FakeCartoServer.start();
  private final String token = carto.mintToken();

  @AfterEach
  void stop() {
    carto.close();
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "401, Unauthorized",
    "403, Unauthorized referer",
    "404, Connection not found",
    "429, Too many requests",
    "500, Internal server error",
    "502, Bad gateway",
    "503, Warehouse unavailable",
  })
  void failNext_answersTheNextRequestWithThatStatusInCartoErrorShape_thenServesNormally(int status, String message) {
    carto.failNext(status, message);

    Reply failed = getSql(carto, token, Q);
    Reply next = getSql(carto, token, Q);

    assertThat(failed.status()).isEqualTo(status);
    assertThat(failed.headers().get("Content-Type")).startsWith("application/json");
    assertThat(failed.json().size()).isEqualTo(1);
    assertThat(failed.json().get("error").asText()).isEqualTo(message);
    assertThat(next.status()).isEqualTo(200);
    assertThat(carto.requestCount()).as("the failed request is recorded too").isEqualTo(2);
  }

  @Test
  void failNextWithHeaders_sendsRetryAfterAndRequestId() {
    carto.failNext(429, "Too many requests", Map.of("Retry-After", "7", "X-Request-Id", "req-42"));

    Reply reply = getSql(carto, token, Q);

    assertThat(reply.status()).isEqualTo(429);
    assertThat(reply.headers().get("Retry-After")).isEqualTo("7");
    assertThat(reply.headers().get("X-Request-Id")).isEqualTo("req-42");
  }

  @Test
  void failNext_appliesEvenToAnUnauthenticatedRequestAndToOtherEndpoints() {
    carto.failNext(503, "down");
    carto.failNext(500, "also down");

    assertThat(getSql(carto, null, Q).status()).isEqualTo(503);
    assertThat(TestHttp.postForm(carto.oauthTokenUrl(), Map.of("grant_type", "client_credentials")).status())
        .isEqualTo(500);
    assertThat(getSql(carto, null, Q).status()).isEqualTo(401);
  }

  @Test
  void queuedFailures_areServedInOrder() {
    carto.failNext(502, "first");
    carto.failNext(503, "second");

    assertThat(getSql(carto, token, Q).json().get("error").asText()).isEqualTo("first");
    assertThat(getSql(carto, token, Q).json().get("error").asText()).isEqualTo("second");
    assertThat(getSql(carto, token, Q).status()).isEqualTo(200);
  }

  @Test
  void failNextRaw_servesANonJsonBodyAsIs() {
    carto.failNextRaw(
        new MockResponse.Builder().code(429).setHeader("Content-Type", "text/html").body("<html>blocked by WAF</html>").build());

    Reply reply = getSql(carto, token, Q);

    assertThat(reply.status()).isEqualTo(429);
    assertThat(reply.text()).isEqualTo("<html>blocked by WAF</html>");
  }

  @Test
  void failNextRaw_canDropTheConnection() {
    carto.failNextRaw(new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket()).build());

    assertThatThrownBy(() -> getSql(carto, token, Q)).isInstanceOf(java.io.UncheckedIOException.class);
    assertThat(getSql(carto, token, Q).status()).isEqualTo(200);
  }

  @Test
  void failNext_rejectsAnImpossibleStatus() {
    assertThatThrownBy(() -> carto.failNext(99, "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("was 99");
  }
}
