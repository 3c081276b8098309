package io.cartosecrets.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.CartoClient;
import io.cartosecrets.RefreshingTokenProvider;
import io.cartosecrets.SecretException;
import io.cartosecrets.SecretUnavailableException;
import io.cartosecrets.TokenEvent;
import io.cartosecrets.testkit.FakeCartoServer;
import io.cartosecrets.testkit.FakeClock;
import io.cartosecrets.testkit.ManualScheduler;
import io.cartosecrets.testkit.aws.FakeSecretsManager;
import io.cartosecrets.testkit.aws.FakeSecretsManager.Fault;
import io.cartosecrets.testkit.aws.FakeSecretsManager.Operation;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * While Secrets Manager throttles every check, past the token's refresh and stale points, the
 * client keeps working with the last good token; when AWS recovers, the rotation made meanwhile is
 * picked up.
 */
class AwsThrottlingBridgedByStaleTokenTest {

  @Test
  void throttledChecksPastTheStalePoint_areBridgedByTheLastGoodToken_untilAwsRecovers() {
    FakeClock clock = new FakeClock();
    ManualScheduler scheduler = new ManualScheduler(clock);
    List<TokenEvent> events = new CopyOnWriteArrayList<>();
    try (FakeCartoServer carto = FakeCartoServer.start(); FakeSecretsManager aws = FakeSecretsManager.start()) {
      String first = carto.mintToken();
      aws.createSecret("prod/carto", "{\"api_token\":\"" + first + "\"}");
      RefreshingTokenProvider tokens = RefreshingTokenProvider.builder(
              AwsFixtures.provider(aws, "prod/carto").field("api_token").build())
          .clock(clock)
          .scheduler(scheduler)
          .refreshInterval(Duration.ofMinutes(5))
          .maxStaleness(Duration.ofHours(1))
          .backoff(Duration.ofSeconds(1), Duration.ofMinutes(1))
          .listener(events::add)
          .build();
      try (CartoClient client = CartoClient.builder().baseUrl(carto.baseUrl()).tokenProvider(tokens).build()) {
        assertThat(client.sql("carto_dw").query("SELECT * FROM cities").rows()).isNotEmpty();

        aws.failNext(Operation.DESCRIBE_SECRET, 1_000, Fault.THROTTLING);
        String second = carto.mintToken();
        aws.rotate("prod/carto", "{\"api_token\":\"" + second + "\"}");
        // Past the refresh point (at most 5 minutes) and the stale point (one interval later).
        scheduler.advanceAndRun(Duration.ofMinutes(5));
        scheduler.advanceAndRun(Duration.ofMinutes(6));

        assertThat(client.sql("carto_dw").query("SELECT * FROM cities").rows()).isNotEmpty();
        List<FakeCartoServer.Call> calls = carto.requests();
        assertThat(calls.get(calls.size() - 1).token()).contains(first);
        assertThat(events).extracting(TokenEvent::type)
            .contains(TokenEvent.Type.REFRESH_FAILED, TokenEvent.Type.SERVING_STALE)
            .doesNotContain(TokenEvent.Type.ROTATED, TokenEvent.Type.EXPIRED);
        List<SecretException> failures = events.stream()
            .filter(e -> e.type() == TokenEvent.Type.REFRESH_FAILED)
            .map(e -> e.failure().orElseThrow())
            .toList();
        assertThat(failures).isNotEmpty().allSatisfy(f -> {
          assertThat(f).isInstanceOf(SecretUnavailableException.class);
          assertThat(f.retryable()).isTrue();
          assertThat(f.errorCode()).contains("ThrottlingException");
        });
        assertThat(tokens.metrics().failures()).isEqualTo(failures.size());
        assertThat(aws.calls(Operation.DESCRIBE_SECRET)).isGreaterThanOrEqualTo(failures.size());

        // AWS recovers: the next attempt, at most one backoff later, picks up the rotation.
        aws.clearFaults();
        scheduler.advanceAndRun(Duration.ofMinutes(1));
        carto.revokeToken(first);

        assertThat(client.sql("carto_dw").query("SELECT * FROM cities").rows()).isNotEmpty();
        calls = carto.requests();
        assertThat(calls.get(calls.size() - 1).token()).contains(second);
        assertThat(events).extracting(TokenEvent::type).contains(TokenEvent.Type.ROTATED);
      }
    }
  }
}
