package io.cartosecrets.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.CartoClient;
import io.cartosecrets.CartoToken;
import io.cartosecrets.RefreshingTokenProvider;
import io.cartosecrets.SqlResult;
import io.cartosecrets.TokenEvent;
import io.cartosecrets.testkit.FakeCartoServer;
import io.cartosecrets.testkit.FakeClock;
import io.cartosecrets.testkit.ManualScheduler;
import io.cartosecrets.testkit.aws.FakeSecretsManager;
import io.cartosecrets.testkit.aws.FakeSecretsManager.Operation;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * End to end: a running {@link CartoClient} reads its token from Secrets Manager through the
 * refreshing cache, and keeps working across a rotation, against the CARTO and AWS stand-ins.
 */
class AwsRotationWithCartoClientTest {
  private final FakeClock clock = new FakeClock();
  private final ManualScheduler scheduler = new ManualScheduler(clock);
  private final List<TokenEvent> events = new CopyOnWriteArrayList<>();
  private FakeCartoServer carto;
  private FakeSecretsManager aws;
  private RefreshingTokenProvider tokens;
  private CartoClient client;

  @BeforeEach
  void start() {
    carto = FakeCartoServer.start();
    aws = FakeSecretsManager.start();
  }

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    aws.close();
    carto.close();
  }

  private static String json(String token) {
    return "{\"api_token\":\"" + token + "\"}";
  }

  private void connect() {
    tokens = RefreshingTokenProvider.builder(AwsFixtures.provider(aws, "prod/carto").field("api_token").build())
        .clock(clock)
        .scheduler(scheduler)
        .refreshInterval(Duration.ofMinutes(5))
        .listener(events::add)
        .build();
    client = CartoClient.builder().baseUrl(carto.baseUrl()).tokenProvider(tokens).build();
  }

  private SqlResult query() {
    return client.sql(FakeCartoServer.DEFAULT_CONNECTION).query("SELECT name FROM cities LIMIT 2");
  }

  private String lastTokenSent() {
    List<FakeCartoServer.Call> calls = carto.requests();
    return calls.get(calls.size() - 1).token().orElseThrow();
  }

  @Test
  void rotationMovesAwsCurrent_runningClientUsesTheNewTokenAfterTheNextRefresh() {
    String first = carto.mintToken();
    aws.createSecret("prod/carto", json(first));
    connect();
    assertThat(query().rows()).hasSize(2);

    String second = carto.mintToken();
    aws.rotate("prod/carto", json(second));
    // Until the next check the client keeps the token it has, which CARTO still accepts.
    assertThat(query().rows()).hasSize(2);
    assertThat(lastTokenSent()).isEqualTo(first);

    scheduler.advanceAndRun(Duration.ofMinutes(5));
    carto.revokeToken(first);

    assertThat(query().rows()).hasSize(2);
    assertThat(lastTokenSent()).isEqualTo(second);
    assertThat(events).extracting(TokenEvent::type).containsExactly(TokenEvent.Type.LOADED, TokenEvent.Type.ROTATED);
    assertThat(events.get(1).fingerprint()).contains(tokens.currentToken().fingerprint());
    assertThat(tokens.metrics().rotations()).isEqualTo(1);
    assertThat(aws.calls(Operation.DESCRIBE_SECRET)).isEqualTo(1);
    assertThat(aws.calls(Operation.GET_SECRET_VALUE)).isEqualTo(2);
  }

  @Test
  void checksWithoutRotation_fireNoRotation_andNeverDownloadTheSecretAgain() {
    aws.createSecret("prod/carto", json(carto.mintToken()));
    connect();
    CartoToken loaded = tokens.currentToken();

    for (int i = 0; i < 3; i++) {
      scheduler.advanceAndRun(Duration.ofMinutes(5));
      assertThat(query().rows()).hasSize(2);
    }

    assertThat(tokens.currentToken()).isSameAs(loaded);
    assertThat(tokens.metrics().unchangedChecks()).isEqualTo(3);
    assertThat(tokens.metrics().rotations()).isZero();
    assertThat(events).extracting(TokenEvent::type).containsExactly(TokenEvent.Type.LOADED);
    assertThat(aws.calls(Operation.GET_SECRET_VALUE)).isEqualTo(1);
    assertThat(aws.calls(Operation.DESCRIBE_SECRET)).isEqualTo(3);
  }

  @Test
  void oldTokenRevokedBeforeTheScheduledCheck_the401ChecksAwsAndRetriesOnceWithTheNewToken() {
    String first = carto.mintToken();
    aws.createSecret("prod/carto", json(first));
    connect();
    assertThat(query().rows()).hasSize(2);

    String second = carto.mintToken();
    aws.rotate("prod/carto", json(second));
    carto.revokeToken(first);
    carto.clearRequests();

    assertThat(query().rows()).hasSize(2);

    List<FakeCartoServer.Call> calls = carto.requests();
    assertThat(calls).hasSize(2);
    assertThat(calls.get(0).token()).contains(first);
    assertThat(calls.get(1).token()).contains(second);
    assertThat(tokens.metrics().rejections()).isEqualTo(1);
    assertThat(aws.calls(Operation.DESCRIBE_SECRET)).isEqualTo(1);
  }
}
