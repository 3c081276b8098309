package io.cartosecrets.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cartosecrets.ConfigurationException;
import io.cartosecrets.Secret;
import io.cartosecrets.SecretAccessDeniedException;
import io.cartosecrets.SecretProvider;
import io.cartosecrets.SecretProviders;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.aws.FakeSecretsManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code aws-sm:} scheme is found through the core's discovery, and credentials come from the
 * SDK's default chains (system properties, a named profile) rather than from code.
 */
class AwsSecretsManagerProviderFactoryTest {
  private static final String[] AWS_PROPERTIES = {
      "aws.accessKeyId", "aws.secretAccessKey", "aws.sessionToken", "aws.region", "aws.sharedCredentialsFile",
      "aws.configFile", "aws.profile"};

  private final Map<String, String> saved = new HashMap<>();
  private FakeSecretsManager aws;

  @TempDir Path dir;

  @BeforeEach
  void start() {
    for (String p : AWS_PROPERTIES) {
      saved.put(p, System.getProperty(p));
    }
    // Keep the developer's own ~/.aws files out of the chain.
    System.setProperty("aws.sharedCredentialsFile", dir.resolve("no-credentials").toString());
    System.setProperty("aws.configFile", dir.resolve("no-config").toString());
    aws = FakeSecretsManager.start();
  }

  @AfterEach
  void stop() {
    aws.close();
    saved.forEach((k, v) -> {
      if (v == null) {
        System.clearProperty(k);
      } else {
        System.setProperty(k, v);
      }
    });
  }

  @Test
  void awsSmUri_withCredentialsFromTheDefaultChain_loadsTheField() {
    String token = TestTokens.apiAccessToken();
    String versionId = aws.createSecret("prod/carto", "{\"api_token\":\"" + token + "\"}");
    System.setProperty("aws.accessKeyId", aws.accessKeyId());
    System.setProperty("aws.secretAccessKey", aws.secretAccessKey());

    try (SecretProvider p = SecretProviders.fromUri(
        "aws-sm:prod/carto#api_token?region=us-east-1&endpoint=" + aws.endpoint())) {
      Secret s = p.fetch();

      assertThat(p).isInstanceOf(AwsSecretsManagerProvider.class);
      assertThat(p.description()).isEqualTo("aws-sm:prod/carto#api_token");
      assertThat(s.reveal()).isEqualTo(token);
      assertThat(s.version()).contains(versionId);
    }
  }

  @Test
  void regionFromTheDefaultChain_isUsedWhenTheUriHasNone() {
    String token = TestTokens.apiAccessToken();
    aws.createSecret("prod/carto", token);
    System.setProperty("aws.accessKeyId", aws.accessKeyId());
    System.setProperty("aws.secretAccessKey", aws.secretAccessKey());
    System.setProperty("aws.region", aws.region());

    try (SecretProvider p = SecretProviders.fromUri("aws-sm:prod/carto?endpoint=" + aws.endpoint())) {
      assertThat(p.fetch().reveal()).isEqualTo(token);
    }
  }

  @Test
  void profileParameter_readsCredentialsFromThatProfile() throws IOException {
    String token = TestTokens.apiAccessToken();
    aws.createSecret("prod/carto", token);
    Path credentials = dir.resolve("credentials");
    Files.writeString(credentials, "[carto-test]\naws_access_key_id = " + aws.accessKeyId()
        + "\naws_secret_access_key = " + aws.secretAccessKey() + "\n");
    System.setProperty("aws.sharedCredentialsFile", credentials.toString());

    try (SecretProvider p = SecretProviders.fromUri(
        "aws-sm:prod/carto?region=us-east-1&profile=carto-test&endpoint=" + aws.endpoint())) {
      assertThat(p.fetch().reveal()).isEqualTo(token);
    }
  }

  @Test
  void stageAndVersionIdParameters_addressTheVersion() {
    String first = TestTokens.apiAccessToken();
    String v1 = aws.createSecret("prod/carto", first);
    String pending = TestTokens.apiAccessToken();
    aws.putSecretValue("prod/carto", pending, FakeSecretsManager.AWSPENDING);
    aws.putSecretValue("prod/carto", TestTokens.apiAccessToken());
    System.setProperty("aws.accessKeyId", aws.accessKeyId());
    System.setProperty("aws.secretAccessKey", aws.secretAccessKey());
    String base = "aws-sm:prod/carto?region=us-east-1&endpoint=" + aws.endpoint();

    try (SecretProvider byStage = SecretProviders.fromUri(base + "&stage=AWSPENDING");
        SecretProvider byId = SecretProviders.fromUri(base + "&versionId=" + v1)) {
      assertThat(byStage.fetch().reveal()).isEqualTo(pending);
      assertThat(byId.fetch().reveal()).isEqualTo(first);
    }
  }

  @Test
  void unknownParameter_isReportedByName() {
    assertThatThrownBy(() -> SecretProviders.fromUri("aws-sm:prod/carto?regoin=eu-west-1"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("unknown parameter 'regoin'")
        .hasMessageContaining("region, stage, versionId, endpoint, profile");
  }

  @Test
  void missingSecretId_isAConfigurationError() {
    assertThatThrownBy(() -> SecretProviders.fromUri("aws-sm:?region=eu-west-1"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("needs a secret name or ARN");
  }

  @Test
  void stageAndVersionIdTogether_isAConfigurationError() {
    assertThatThrownBy(() -> SecretProviders.fromUri(
        "aws-sm:prod/carto?region=eu-west-1&stage=AWSCURRENT&versionId=" + java.util.UUID.randomUUID()))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("not both");
  }

  @Test
  void plainHttpEndpointOffLoopback_isRefused() {
    assertThatThrownBy(() -> SecretProviders.fromUri(
        "aws-sm:prod/carto?region=eu-west-1&endpoint=http://secretsmanager.internal:4566"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("must use https");
  }

  @Test
  void malformedEndpoint_isAConfigurationError() {
    assertThatThrownBy(() -> SecretProviders.fromUri("aws-sm:prod/carto?region=eu-west-1&endpoint=ht%20tp://x"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("endpoint");
  }

  @Test
  void noCredentialsAnywhere_isAccessDenied_sayingWhereTheChainLooked() {
    assumeTrue(System.getenv("AWS_ACCESS_KEY_ID") == null && System.getenv("AWS_WEB_IDENTITY_TOKEN_FILE") == null
        && System.getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") == null
        && System.getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") == null, "the environment has credentials");
    aws.createSecret("prod/carto", TestTokens.apiAccessToken());

    try (SecretProvider p = SecretProviders.fromUri("aws-sm:prod/carto?region=us-east-1&endpoint=" + aws.endpoint())) {
      assertThatThrownBy(p::fetch)
          .isInstanceOf(SecretAccessDeniedException.class)
          .hasMessageStartingWith("aws-sm:prod/carto: no AWS credentials")
          .hasNoCause();
      assertThat(aws.calls()).isZero();
    }
  }

  @Test
  void noRegionAnywhere_isAConfigurationError_atBuildTime() {
    assumeTrue(System.getenv("AWS_REGION") == null && System.getenv("AWS_DEFAULT_REGION") == null,
        "the environment names a region");

    assertThatThrownBy(() -> SecretProviders.fromUri("aws-sm:prod/carto"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessage("aws-sm:prod/carto: no AWS region: set region(...), the ?region= parameter, AWS_REGION,"
            + " or a region in the AWS profile");
  }
}
