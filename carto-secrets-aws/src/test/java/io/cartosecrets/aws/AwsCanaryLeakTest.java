package io.cartosecrets.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.testkit.canary.CapturedLogs;
import io.cartosecrets.CartoClient;
import io.cartosecrets.CartoToken;
import io.cartosecrets.HttpLogLevel;
import io.cartosecrets.RefreshingTokenProvider;
import io.cartosecrets.SecretProvider;
import io.cartosecrets.TokenEvent;
import io.cartosecrets.testkit.Canaries;
import io.cartosecrets.testkit.FakeCartoServer;
import io.cartosecrets.testkit.FakeClock;
import io.cartosecrets.testkit.ManualScheduler;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.aws.FakeSecretsManager;
import io.cartosecrets.testkit.aws.FakeSecretsManager.Fault;
import io.cartosecrets.testkit.aws.FakeSecretsManager.Operation;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Canary check: every secret in this test (CARTO tokens, other fields of the JSON secret, the AWS
 * secret access key) is minted at run time and registered as a canary. The whole life of a token
 * (load, unchanged checks, rotation, throttling, refusals, malformed payloads, bad credentials, a
 * running CartoClient with HTTP body logging) runs with SLF4J at TRACE for everything, the AWS SDK
 * included; then the log (everything this test JVM logged so far) and the text of every exception
 * (message, toString, stack trace with causes) are scanned for any canary in any encoding, here
 * explicitly and again by the suite-wide harness ({@code CanaryExtension}) that runs after every test.
 */
class AwsCanaryLeakTest {
  private final List<String> texts = new CopyOnWriteArrayList<>();

  private void record(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    texts.add(w + "\n" + t);
  }

  private void expectFailure(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      record(e);
      return;
    }
    throw new AssertionError("expected a failure");
  }

  private static String log() {
    return CapturedLogs.allText();
  }

  @Test
  void fullTokenLifecycleAndEveryFailure_leaveNoSecretInLogsOrExceptions() throws IOException {
    assertThat(LoggerFactory.getLogger("software.amazon.awssdk.request").isTraceEnabled()).isTrue();
    FakeClock clock = new FakeClock();
    ManualScheduler scheduler = new ManualScheduler(clock);
    List<TokenEvent> events = new CopyOnWriteArrayList<>();

    try (FakeSecretsManager aws = FakeSecretsManager.start()) {
      String first = TestTokens.apiAccessToken();
      aws.createSecret("prod/carto", "{\"api_token\":\"" + first + "\",\"db_password\":\"" + TestTokens.secret() + "\"}");
      AwsSecretsManagerProvider source = AwsFixtures.provider(aws, "prod/carto").field("api_token").build();
      try (RefreshingTokenProvider tokens = RefreshingTokenProvider.builder(source)
          .clock(clock).scheduler(scheduler).refreshInterval(Duration.ofMinutes(5))
          .backoff(Duration.ofSeconds(1), Duration.ofSeconds(1)).listener(events::add).build()) {

        // Load, an unchanged check, a rotation.
        CartoToken loaded = tokens.currentToken();
        scheduler.advanceAndRun(Duration.ofMinutes(5));
        String second = TestTokens.apiAccessToken();
        aws.rotate("prod/carto", "{\"api_token\":\"" + second + "\"}");
        scheduler.advanceAndRun(Duration.ofMinutes(5));
        assertThat(tokens.currentToken().reveal()).isEqualTo(second);

        // Throttled checks: the last good token keeps being served while refreshes fail.
        aws.failNext(2, Fault.THROTTLING);
        scheduler.advanceAndRun(Duration.ofMinutes(5));
        scheduler.advanceAndRun(Duration.ofSeconds(1));
        assertThat(tokens.currentToken().reveal()).isEqualTo(second);
        scheduler.advanceAndRun(Duration.ofMinutes(5));

        // A rotation to a malformed payload that embeds a fresh canary: the refresh fails, no echo.
        aws.rotate("prod/carto", "{\"api_token\":[\"" + TestTokens.apiAccessToken() + "\"]}");
        scheduler.advanceAndRun(Duration.ofMinutes(5));
        assertThat(tokens.currentToken().reveal()).isEqualTo(second);
        texts.add(tokens.toString() + tokens.metrics() + loaded + tokens.currentToken());
      }

      // Every failure mode of a direct fetch.
      aws.createSecret("bad/json", "{\"api_token\":\"" + TestTokens.apiAccessToken() + "\"");
      aws.createSecret("bad/ctrl", TestTokens.apiAccessToken() + "\u0000" + TestTokens.secret());
      aws.createSecret("bad/missing", "{\"other\":\"" + TestTokens.apiAccessToken() + "\"}");
      aws.createSecret("bad/number", "{\"api_token\":12345,\"x\":\"" + TestTokens.secret() + "\"}");
      aws.createSecret("denied", TestTokens.apiAccessToken());
      aws.createSecret("kms", TestTokens.apiAccessToken());
      aws.createSecret("deleted", TestTokens.apiAccessToken());
      aws.denyAccess("denied");
      aws.failDecryption("kms");
      aws.markForDeletion("deleted");
      for (String[] c : new String[][] {
          {"bad/json", "api_token"}, {"bad/ctrl", null}, {"bad/missing", "api_token"}, {"bad/number", "api_token"},
          {"denied", null}, {"kms", null}, {"deleted", null}, {"absent", null}}) {
        AwsSecretsManagerProvider.Builder b = AwsFixtures.provider(aws, c[0]);
        if (c[1] != null) {
          b.field(c[1]);
        }
        try (SecretProvider p = b.build()) {
          expectFailure(p::fetch);
          texts.add(p.toString() + p.description());
        }
      }
      try (SecretProvider wrongKey = AwsFixtures.provider(aws, "prod/carto")
          .credentialsProvider(AwsFixtures.credentials(aws.accessKeyId(), TestTokens.secret(30))).build()) {
        expectFailure(wrongKey::fetch);
      }
      try (SecretProvider p = AwsFixtures.provider(aws, "prod/carto").field("api_token").build()) {
        aws.failNext(Operation.GET_SECRET_VALUE, 1, Fault.CONNECTION_RESET);
        expectFailure(p::fetch);
        aws.failNext(Operation.GET_SECRET_VALUE, 1, Fault.INTERNAL_ERROR);
        expectFailure(p::fetch);
      }
    }

    events.forEach(e -> {
      texts.add(e.toString());
      e.failure().ifPresent(this::record);
    });
    assertThat(events).extracting(TokenEvent::type)
        .contains(TokenEvent.Type.LOADED, TokenEvent.Type.ROTATED, TokenEvent.Type.REFRESH_FAILED);
    assertThat(texts).hasSizeGreaterThan(20);
    for (String text : texts) {
      assertThat(Canaries.findIn(text)).as("a canary in: %s", text.lines().findFirst().orElse("")).isEmpty();
    }

    String log = log();
    // The log did capture the SDK at TRACE and our fingerprint lines; and nothing secret.
    assertThat(log).contains("TRACE software.amazon.awssdk", "DEBUG software.amazon.awssdk.request",
        "DEBUG io.cartosecrets.aws.AwsSecretsManagerProvider", "moved from version");
    assertThat(Canaries.findIn(log)).isEmpty();
  }

  @Test
  void cartoClientAcrossRotationAndRejection_withHttpBodyLogging_leavesNoSecretInLogs() throws IOException {
    FakeClock clock = new FakeClock();
    ManualScheduler scheduler = new ManualScheduler(clock);
    try (FakeCartoServer carto = FakeCartoServer.start(); FakeSecretsManager aws = FakeSecretsManager.start()) {
      String first = carto.mintToken();
      aws.createSecret("prod/carto", "{\"api_token\":\"" + first + "\"}");
      RefreshingTokenProvider tokens = RefreshingTokenProvider.builder(
              AwsFixtures.provider(aws, "prod/carto").field("api_token").build())
          .clock(clock).scheduler(scheduler).refreshInterval(Duration.ofMinutes(5)).build();
      try (CartoClient client = CartoClient.builder()
          .baseUrl(carto.baseUrl()).tokenProvider(tokens).httpLogging(HttpLogLevel.BODY).build()) {
        client.sql("carto_dw").query("SELECT * FROM cities");
        // Rotation picked up on schedule, then one revoked early and picked up through a 401.
        String second = carto.mintToken();
        aws.rotate("prod/carto", "{\"api_token\":\"" + second + "\"}");
        scheduler.advanceAndRun(Duration.ofMinutes(5));
        carto.revokeToken(first);
        client.sql("carto_dw").query("SELECT * FROM cities");
        aws.rotate("prod/carto", "{\"api_token\":\"" + carto.mintToken() + "\"}");
        carto.revokeToken(second);
        client.sql("carto_dw").query("SELECT * FROM cities");
        // A token CARTO refuses that AWS has no replacement for: the 401 surfaces as an exception.
        carto.revokeToken(tokens.currentToken().reveal());
        expectFailure(() -> client.sql("carto_dw").query("SELECT * FROM cities"));
        texts.add(client.toString() + tokens + tokens.metrics());
      }
    }
    for (String text : texts) {
      assertThat(Canaries.findIn(text)).as("a canary in: %s", text.lines().findFirst().orElse("")).isEmpty();
    }
    String log = log();
    assertThat(log).contains("CARTO rejected token", "token rotated from");
    assertThat(Canaries.findIn(log)).isEmpty();
  }
}
