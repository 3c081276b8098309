package io.cartosecrets.aws;

import static io.cartosecrets.testkit.aws.FakeSecretsManager.AWSPENDING;
import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy;

import io.cartosecrets.Secret;
import io.cartosecrets.SecretNotFoundException;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.aws.FakeSecretsManager;
import io.cartosecrets.testkit.aws.FakeSecretsManager.Operation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Rotation: the version id holding the staging label is the change signal, checked with
 * DescribeSecret (no decryption, no secret on the wire); GetSecretValue only when it moved.
 */
class AwsSecretsManagerRefreshTest {
  private FakeSecretsManager aws;
  private AwsSecretsManagerProvider provider;

  @BeforeEach
  void start() {
    aws = FakeSecretsManager.start();
    provider = AwsFixtures.provider(aws, "prod/carto").field("api_token").build();
  }

  @AfterEach
  void stop() {
    provider.close();
    aws.close();
  }

  private static String json(String token) {
    return "{\"api_token\":\"" + token + "\"}";
  }

  @Test
  void unchangedVersion_refreshReturnsTheSameSecret_withOneDescribeAndNoGetSecretValue() {
    aws.createSecret("prod/carto", json(TestTokens.apiAccessToken()));
    Secret first = provider.fetch();

    Secret again = provider.refresh(first);
    Secret andAgain = provider.refresh(again);

    assertThat(again).isSameAs(first);
    assertThat(andAgain).isSameAs(first);
    assertThat(aws.calls(Operation.GET_SECRET_VALUE)).isEqualTo(1);
    assertThat(aws.calls(Operation.DESCRIBE_SECRET)).isEqualTo(2);
  }

  @Test
  void rotationMovesAwsCurrent_nextRefreshYieldsNewToken() {
    aws.createSecret("prod/carto", json(TestTokens.apiAccessToken()));
    Secret before = provider.fetch();
    String next = TestTokens.apiAccessToken();

    String newVersion = aws.rotate("prod/carto", json(next));
    Secret after = provider.refresh(before);

    assertThat(after.reveal()).isEqualTo(next);
    assertThat(after.version()).contains(newVersion);
    assertThat(after.sameValueAs(before)).isFalse();
    assertThat(aws.calls(Operation.GET_SECRET_VALUE)).isEqualTo(2);
    // And the rotated version is then stable again.
    assertThat(provider.refresh(after)).isSameAs(after);
    assertThat(aws.calls(Operation.GET_SECRET_VALUE)).isEqualTo(2);
  }

  @Test
  void putSecretValue_withoutLabels_isPickedUpToo() {
    aws.createSecret("prod/carto", json(TestTokens.apiAccessToken()));
    Secret before = provider.fetch();
    String next = TestTokens.apiAccessToken();

    aws.putSecretValue("prod/carto", json(next));

    assertThat(provider.refresh(before).reveal()).isEqualTo(next);
  }

  @Test
  void pendingVersion_isNotPickedUp_untilItBecomesCurrent() {
    aws.createSecret("prod/carto", json(TestTokens.apiAccessToken()));
    Secret before = provider.fetch();
    String next = TestTokens.apiAccessToken();

    String pending = aws.putSecretValue("prod/carto", json(next), AWSPENDING);
    assertThat(provider.refresh(before)).isSameAs(before);

    aws.moveStage("prod/carto", "AWSCURRENT", pending);
    assertThat(provider.refresh(before).reveal()).isEqualTo(next);
  }

  @Test
  void describeSecretDenied_fallsBackToGetSecretValue_andStillReportsNoChangeAndRotation() {
    aws.createSecret("prod/carto", json(TestTokens.apiAccessToken()));
    aws.denyAccess("prod/carto", Operation.DESCRIBE_SECRET);
    Secret first = provider.fetch();

    assertThat(provider.refresh(first)).isSameAs(first);
    assertThat(provider.refresh(first)).isSameAs(first);
    String next = TestTokens.apiAccessToken();
    aws.rotate("prod/carto", json(next));
    assertThat(provider.refresh(first).reveal()).isEqualTo(next);

    // DescribeSecret was tried once, then every check went to GetSecretValue.
    assertThat(aws.calls(Operation.DESCRIBE_SECRET)).isEqualTo(1);
    assertThat(aws.calls(Operation.GET_SECRET_VALUE)).isEqualTo(4);
  }

  @Test
  void secretScheduledForDeletion_failsTheRefresh_asNotFound() {
    aws.createSecret("prod/carto", json(TestTokens.apiAccessToken()));
    Secret first = provider.fetch();
    aws.markForDeletion("prod/carto");

    assertThatThrownBy(() -> provider.refresh(first))
        .isInstanceOf(SecretNotFoundException.class)
        .hasMessageStartingWith("aws-sm:prod/carto#api_token: ")
        .hasMessageContaining("scheduled for deletion")
        .satisfies(e -> assertThat(((SecretNotFoundException) e).retryable()).isFalse());
  }

  @Test
  void pinnedVersionId_refreshMakesNoCallAtAll() {
    String v1 = aws.createSecret("prod/carto", json(TestTokens.apiAccessToken()));
    try (AwsSecretsManagerProvider pinned = AwsFixtures.provider(aws, "prod/carto").field("api_token").versionId(v1).build()) {
      Secret first = pinned.fetch();
      aws.rotate("prod/carto", json(TestTokens.apiAccessToken()));
      int before = aws.calls();

      assertThat(pinned.refresh(first)).isSameAs(first);
      assertThat(aws.calls()).isEqualTo(before);
    }
  }

  @Test
  void secretFromElsewhere_orWithoutVersion_isFetchedAfresh() {
    String token = TestTokens.apiAccessToken();
    aws.createSecret("prod/carto", json(token));
    Secret foreign = Secret.of(TestTokens.apiAccessToken(), "env:CARTO_API_TOKEN");

    Secret loaded = provider.refresh(foreign);

    assertThat(loaded.reveal()).isEqualTo(token);
    assertThat(aws.calls(Operation.DESCRIBE_SECRET)).isZero();
  }

  @Test
  void stagingLabelRemovedFromEveryVersion_failsAsNotFound() {
    aws.createSecret("prod/carto", json(TestTokens.apiAccessToken()));
    try (AwsSecretsManagerProvider pendingReader =
        AwsFixtures.provider(aws, "prod/carto").field("api_token").versionStage(AWSPENDING).build()) {
      String pending = aws.putSecretValue("prod/carto", json(TestTokens.apiAccessToken()), AWSPENDING);
      Secret s = pendingReader.fetch();
      aws.moveStage("prod/carto", "AWSCURRENT", pending);
      // Finishing a rotation removes AWSPENDING: there is nothing left to read under that label.
      aws.rotate("prod/carto", json(TestTokens.apiAccessToken()));

      assertThatThrownBy(() -> pendingReader.refresh(s))
          .isInstanceOf(SecretNotFoundException.class)
          .hasMessageContaining("no version of the secret has the staging label AWSPENDING");
    }
  }
}
