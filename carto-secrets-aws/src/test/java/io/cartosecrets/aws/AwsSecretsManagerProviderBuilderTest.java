package io.cartosecrets.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy;

import io.cartosecrets.ConfigurationException;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/** Configuration mistakes are caught when the provider is built, with a message saying what is wrong. */
class AwsSecretsManagerProviderBuilderTest {

  @Test
  void noSecretId_isRefused() {
    assertThatThrownBy(() -> AwsSecretsManagerProvider.builder().region("eu-west-1").build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("needs a secretId");
  }

  @Test
  void blankOrControlCharacterSecretId_isRefused() {
    assertThatThrownBy(() -> AwsSecretsManagerProvider.builder().secretId("  "))
        .isInstanceOf(ConfigurationException.class);
    assertThatThrownBy(() -> AwsSecretsManagerProvider.builder().secretId("prod/carto\n"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("printable");
  }

  @Test
  void fieldWithAnEmptyName_isRefused() {
    assertThatThrownBy(() -> AwsSecretsManagerProvider.builder().field("carto..api_token"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("empty name between dots");
  }

  @Test
  void malformedVersionIdRegionTimeoutAndAttempts_areRefused() {
    AwsSecretsManagerProvider.Builder b = AwsSecretsManagerProvider.builder();

    assertThatThrownBy(() -> b.versionId("v1")).isInstanceOf(ConfigurationException.class).hasMessageContaining("32 to 64");
    assertThatThrownBy(() -> b.region("EU West")).isInstanceOf(ConfigurationException.class).hasMessageContaining("eu-west-1");
    assertThatThrownBy(() -> b.callTimeout(Duration.ZERO)).isInstanceOf(ConfigurationException.class);
    assertThatThrownBy(() -> b.maxAttempts(0)).isInstanceOf(ConfigurationException.class);
  }

  @Test
  void injectedClient_combinedWithClientSettings_isRefused() {
    try (SecretsManagerClient client = SecretsManagerClient.builder()
        .region(Region.EU_WEST_1)
        .httpClientBuilder(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.builder())
        .build()) {
      assertThatThrownBy(() -> AwsSecretsManagerProvider.builder().secretId("prod/carto").client(client).region("eu-west-1").build())
          .isInstanceOf(ConfigurationException.class)
          .hasMessageContaining("on the injected SecretsManagerClient");
    }
  }

  @Test
  void endpoints_mustBeHttps_exceptOnLoopback() {
    AwsSecretsManagerProvider.Builder b = AwsSecretsManagerProvider.builder().secretId("prod/carto").region("eu-west-1");

    b.endpointOverride(URI.create("https://vpce-0abc.secretsmanager.eu-west-1.vpce.amazonaws.com"));
    b.endpointOverride(URI.create("http://localhost:4566"));
    b.endpointOverride(URI.create("http://127.0.0.1:4566"));
    b.endpointOverride(URI.create("http://[::1]:4566"));
    assertThatThrownBy(() -> b.endpointOverride(URI.create("http://10.0.0.7:4566")))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("must use https");
    assertThatThrownBy(() -> b.endpointOverride(URI.create("ftp://example.com")))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("not an http(s) URL");
    assertThatThrownBy(() -> b.endpointOverride(URI.create("https://user:pw@example.com")))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("user info").hasMessageNotContaining("pw");
  }

  @Test
  void builtProvider_describesItselfFromItsAddress_withoutCallingAws() {
    try (AwsSecretsManagerProvider p = AwsSecretsManagerProvider.builder()
        .secretId("prod/carto").field("carto.api_token").region("eu-west-1").build()) {
      assertThat(p.description()).isEqualTo("aws-sm:prod/carto#carto.api_token");
      assertThat(p).hasToString("AwsSecretsManagerProvider[aws-sm:prod/carto#carto.api_token]");
    }
  }
}
