package io.cartosecrets.aws;

import static io.cartosecrets.testkit.aws.FakeSecretsManager.AWSPENDING;
import static io.cartosecrets.testkit.aws.FakeSecretsManager.AWSPREVIOUS;
import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.CartoToken;
import io.cartosecrets.Secret;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.aws.FakeSecretsManager;
import io.cartosecrets.testkit.aws.FakeSecretsManager.Operation;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/** How the provider addresses a secret and turns what Secrets Manager returns into a token. */
class AwsSecretsManagerProviderFetchTest {
  private FakeSecretsManager aws;

  @BeforeEach
  void start() {
    aws = FakeSecretsManager.start();
  }

  @AfterEach
  void stop() {
    aws.close();
  }

  @Test
  void wholeSecretString_isTheToken_withTheVersionIdAsVersion() {
    String token = TestTokens.apiAccessToken();
    String versionId = aws.createSecret("prod/carto", token);

    try (AwsSecretsManagerProvider p = AwsFixtures.provider(aws, "prod/carto").build()) {
      Secret s = p.fetch();

      assertThat(s.reveal()).isEqualTo(token);
      assertThat(s.version()).contains(versionId);
      assertThat(s.source()).isEqualTo("aws-sm:prod/carto");
      assertThat(CartoToken.of(s).kind()).isEqualTo(CartoToken.Kind.API_ACCESS_TOKEN);
    }
  }

  @Test
  void jsonField_isExtracted() {
    String token = TestTokens.apiAccessToken();
    aws.createSecret("prod/carto", "{\"api_token\":\"" + token + "\",\"account\":\"ac_demo\"}");

    try (AwsSecretsManagerProvider p = AwsFixtures.provider(aws, "prod/carto").field("api_token").build()) {
      assertThat(p.fetch().reveal()).isEqualTo(token);
      assertThat(p.description()).isEqualTo("aws-sm:prod/carto#api_token");
    }
  }

  @Test
  void dottedField_walksIntoNestedObjects() {
    String token = TestTokens.apiAccessToken();
    aws.createSecret("prod/app", "{\"db\":{\"password\":\"x\"},\"carto\":{\"api_token\":\"" + token + "\"}}");

    try (AwsSecretsManagerProvider p = AwsFixtures.provider(aws, "prod/app").field("carto.api_token").build()) {
      assertThat(p.fetch().reveal()).isEqualTo(token);
    }
  }

  @Test
  void secretBinary_isReadAsUtf8Text_wholeOrAsJson() {
    String token = TestTokens.apiAccessToken();
    aws.createBinarySecret("bin/whole", token.getBytes(StandardCharsets.UTF_8));
    aws.createBinarySecret("bin/json", ("{\"api_token\":\"" + token + "\"}").getBytes(StandardCharsets.UTF_8));

    try (AwsSecretsManagerProvider whole = AwsFixtures.provider(aws, "bin/whole").build();
        AwsSecretsManagerProvider json = AwsFixtures.provider(aws, "bin/json").field("api_token").build()) {
      assertThat(whole.fetch().reveal()).isEqualTo(token);
      assertThat(json.fetch().reveal()).isEqualTo(token);
    }
  }

  @Test
  void arn_addressesTheSecret_andGivesTheRegionWhenNoneIsSet() {
    String token = TestTokens.apiAccessToken();
    aws.createSecret("prod/carto", token);
    String arn = aws.arn("prod/carto");

    try (AwsSecretsManagerProvider p = AwsSecretsManagerProvider.builder()
        .secretId(arn)
        .endpointOverride(aws.endpoint())
        .credentialsProvider(AwsFixtures.credentials(aws))
        .build()) {
      // No region(...): the SDK signs for the ARN's region, which the stand-in checks.
      assertThat(p.fetch().reveal()).isEqualTo(token);
      assertThat(p.description()).isEqualTo("aws-sm:" + arn);
    }
  }

  @Test
  void versionStage_readsAnotherLabel() {
    String current = TestTokens.apiAccessToken();
    String pending = TestTokens.apiAccessToken();
    aws.createSecret("prod/carto", current);
    String pendingId = aws.putSecretValue("prod/carto", pending, AWSPENDING);

    try (AwsSecretsManagerProvider p = AwsFixtures.provider(aws, "prod/carto").versionStage(AWSPENDING).build()) {
      Secret s = p.fetch();

      assertThat(s.reveal()).isEqualTo(pending);
      assertThat(s.version()).contains(pendingId);
      assertThat(p.description()).isEqualTo("aws-sm:prod/carto?stage=AWSPENDING");
    }
  }

  @Test
  void versionId_pinsOneVersion_evenAfterItIsNoLongerCurrent() {
    String first = TestTokens.apiAccessToken();
    String v1 = aws.createSecret("prod/carto", first);
    aws.putSecretValue("prod/carto", TestTokens.apiAccessToken());
    assertThat(aws.stagesOf("prod/carto", v1)).containsExactly(AWSPREVIOUS);

    try (AwsSecretsManagerProvider p = AwsFixtures.provider(aws, "prod/carto").versionId(v1).build()) {
      assertThat(p.fetch().reveal()).isEqualTo(first);
      assertThat(p.description()).isEqualTo("aws-sm:prod/carto?versionId=" + v1);
    }
  }

  @Test
  void oneTrailingLineBreak_isDropped_fromAWholeValue() {
    String token = TestTokens.apiAccessToken();
    aws.createSecret("lf", token + "\n");
    aws.createSecret("crlf", token + "\r\n");

    try (AwsSecretsManagerProvider lf = AwsFixtures.provider(aws, "lf").build();
        AwsSecretsManagerProvider crlf = AwsFixtures.provider(aws, "crlf").build()) {
      assertThat(lf.fetch().reveal()).isEqualTo(token);
      assertThat(crlf.fetch().reveal()).isEqualTo(token);
    }
  }

  @Test
  void injectedClient_isUsed_andLeftOpenOnClose() {
    String token = TestTokens.apiAccessToken();
    aws.createSecret("prod/carto", token);
    try (SecretsManagerClient mine = AwsFixtures.sdkClient(aws)) {
      AwsSecretsManagerProvider p = AwsSecretsManagerProvider.builder().secretId("prod/carto").client(mine).build();

      assertThat(p.fetch().reveal()).isEqualTo(token);
      p.close();
      p.close();

      // The caller's client still works after the provider is closed.
      assertThat(mine.getSecretValue(b -> b.secretId("prod/carto")).secretString()).isEqualTo(token);
      assertThat(aws.calls(Operation.GET_SECRET_VALUE)).isEqualTo(2);
    }
  }

  @Test
  void toStringAndDescription_nameTheSecret_neverTheValue() {
    String token = TestTokens.apiAccessToken();
    aws.createSecret("prod/carto", "{\"api_token\":\"" + token + "\"}");

    try (AwsSecretsManagerProvider p = AwsFixtures.provider(aws, "prod/carto").field("api_token").build()) {
      Secret s = p.fetch();

      assertThat(p.toString()).isEqualTo("AwsSecretsManagerProvider[aws-sm:prod/carto#api_token]");
      assertThat(s.toString()).contains(s.fingerprint()).doesNotContain(token);
      assertThat(String.valueOf(p) + s + CartoToken.of(s)).doesNotContain(token);
    }
  }
}
