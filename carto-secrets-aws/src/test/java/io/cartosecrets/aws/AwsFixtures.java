package io.cartosecrets.aws;

import io.cartosecrets.testkit.aws.FakeSecretsManager;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/** Clients and providers wired to a {@link FakeSecretsManager}, over real HTTP on loopback. */
final class AwsFixtures {
  private AwsFixtures() {}

  static StaticCredentialsProvider credentials(FakeSecretsManager aws) {
    return credentials(aws.accessKeyId(), aws.secretAccessKey());
  }

  static StaticCredentialsProvider credentials(String accessKeyId, String secretAccessKey) {
    return StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKeyId, secretAccessKey));
  }

  /** A raw SDK client with no retries, so that each call is exactly one request. */
  static SecretsManagerClient sdkClient(FakeSecretsManager aws, StaticCredentialsProvider credentials, String region) {
    return SecretsManagerClient.builder()
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .endpointOverride(aws.endpoint())
        .region(Region.of(region))
        .credentialsProvider(credentials)
        .overrideConfiguration(o -> o.retryStrategy(r -> r.maxAttempts(1)).apiCallTimeout(Duration.ofSeconds(10)))
        .build();
  }

  static SecretsManagerClient sdkClient(FakeSecretsManager aws) {
    return sdkClient(aws, credentials(aws), aws.region());
  }

  /** A provider builder that talks to the stand-in and makes one attempt per call. */
  static AwsSecretsManagerProvider.Builder provider(FakeSecretsManager aws, String secretId) {
    return AwsSecretsManagerProvider.builder()
        .secretId(secretId)
        .endpointOverride(aws.endpoint())
        .region(aws.region())
        .credentialsProvider(credentials(aws))
        .maxAttempts(1);
  }
}
