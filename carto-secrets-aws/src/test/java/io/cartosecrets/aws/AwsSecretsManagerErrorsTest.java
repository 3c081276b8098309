package io.cartosecrets.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.catchThrowableOfType;

import io.cartosecrets.SecretAccessDeniedException;
import io.cartosecrets.SecretException;
import io.cartosecrets.SecretNotFoundException;
import io.cartosecrets.SecretUnavailableException;
import io.cartosecrets.testkit.Canaries;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.aws.FakeSecretsManager;
import io.cartosecrets.testkit.aws.FakeSecretsManager.Fault;
import io.cartosecrets.testkit.aws.FakeSecretsManager.Operation;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every way Secrets Manager or the network can fail becomes a typed exception: permanent ones for
 * missing secrets, refusals and KMS failures; retryable ones for throttling, 5xx, timeouts and I/O.
 * Messages name the secret, the operation and the AWS error code, and carry no SDK exception.
 */
class AwsSecretsManagerErrorsTest {
  private FakeSecretsManager aws;
  private AwsSecretsManagerProvider provider;
  private String token;

  @BeforeEach
  void start() {
    aws = FakeSecretsManager.start();
    token = TestTokens.apiAccessToken();
    aws.createSecret("prod/carto", "{\"api_token\":\"" + token + "\"}");
    provider = AwsFixtures.provider(aws, "prod/carto").field("api_token").build();
  }

  @AfterEach
  void stop() {
    provider.close();
    aws.close();
  }

  /** The exception from {@code fetch()}, checked for what every such exception must satisfy. */
  private <T extends SecretException> T fetchFails(AwsSecretsManagerProvider p, Class<T> type) {
    T e = catchThrowableOfType(type, p::fetch);
    assertThat(e).as("expected %s", type.getSimpleName()).isNotNull();
    assertThat(e.source()).isEqualTo(p.description());
    assertThat(e.getMessage()).startsWith(p.description() + ": ");
    assertThat(e.getCause()).as("no SDK exception is attached").isNull();
    StringWriter trace = new StringWriter();
    e.printStackTrace(new PrintWriter(trace));
    assertThat(Canaries.findIn(trace.toString() + e)).isEmpty();
    return e;
  }

  @Test
  void missingSecret_isNotFound_permanent() {
    try (AwsSecretsManagerProvider p = AwsFixtures.provider(aws, "prod/nothing").build()) {
      SecretNotFoundException e = fetchFails(p, SecretNotFoundException.class);

      assertThat(e.retryable()).isFalse();
      assertThat(e.getMessage()).contains("no such secret", "(GetSecretValue, HTTP 400, request id ")
          .endsWith(") [ResourceNotFoundException]");
      assertThat(e.errorCode()).contains("ResourceNotFoundException");
    }
  }

  @Test
  void missingStagingLabel_isNotFound_namingTheLabel() {
    try (AwsSecretsManagerProvider p = AwsFixtures.provider(aws, "prod/carto").versionStage("AWSPENDING").build()) {
      assertThat(fetchFails(p, SecretNotFoundException.class).getMessage())
          .contains("staging label AWSPENDING", "ResourceNotFoundException");
    }
  }

  @Test
  void missingVersionId_isNotFound_namingTheVersion() {
    String unknown = UUID.randomUUID().toString();
    try (AwsSecretsManagerProvider p = AwsFixtures.provider(aws, "prod/carto").versionId(unknown).build()) {
      assertThat(fetchFails(p, SecretNotFoundException.class).getMessage()).contains("version with id " + unknown);
    }
  }

  @Test
  void iamDenial_isAccessDenied_namingTheAction() {
    aws.denyAccess("prod/carto");

    SecretAccessDeniedException e = fetchFails(provider, SecretAccessDeniedException.class);

    assertThat(e.retryable()).isFalse();
    assertThat(e.getMessage()).contains("secretsmanager:GetSecretValue");
    assertThat(e.errorCode()).contains("AccessDeniedException");
  }

  @Test
  void kmsDecryptionFailure_isAccessDenied_pointingAtKmsDecrypt() {
    aws.failDecryption("prod/carto");

    SecretAccessDeniedException e = fetchFails(provider, SecretAccessDeniedException.class);

    assertThat(e.retryable()).isFalse();
    assertThat(e.getMessage()).contains("kms:Decrypt");
    assertThat(e.errorCode()).contains("DecryptionFailure");
  }

  @Test
  void secretMarkedForDeletion_isNotFound_viaInvalidRequestException() {
    aws.markForDeletion("prod/carto");

    SecretNotFoundException e = fetchFails(provider, SecretNotFoundException.class);

    assertThat(e.retryable()).isFalse();
    assertThat(e.getMessage()).contains("scheduled for deletion");
    assertThat(e.errorCode()).contains("InvalidRequestException");
  }

  @Test
  void invalidParameter_isNotFound_pointingAtTheAddress() {
    aws.failNext(1, Fault.error(400, "InvalidParameterException", "The parameter SecretId is invalid."));

    SecretNotFoundException e = fetchFails(provider, SecretNotFoundException.class);

    assertThat(e.retryable()).isFalse();
    assertThat(e.getMessage()).contains("rejected a request parameter");
    assertThat(e.errorCode()).contains("InvalidParameterException");
  }

  @Test
  void wrongSecretAccessKey_isAccessDenied_viaInvalidSignature() {
    try (AwsSecretsManagerProvider p = AwsFixtures.provider(aws, "prod/carto")
        .credentialsProvider(AwsFixtures.credentials(aws.accessKeyId(), TestTokens.secret(30))).build()) {
      SecretAccessDeniedException e = fetchFails(p, SecretAccessDeniedException.class);

      assertThat(e.getMessage()).contains("signature");
      assertThat(e.errorCode()).contains("InvalidSignatureException");
      assertThat(aws.rejectedSignatures()).isEqualTo(1);
    }
  }

  @Test
  void unknownAccessKey_isAccessDenied_viaUnrecognizedClient() {
    try (AwsSecretsManagerProvider p = AwsFixtures.provider(aws, "prod/carto")
        .credentialsProvider(AwsFixtures.credentials(TestTokens.identifier("AKIAOTHER"), aws.secretAccessKey())).build()) {
      assertThat(fetchFails(p, SecretAccessDeniedException.class).getMessage())
          .contains("does not recognise the access key", "UnrecognizedClientException");
    }
  }

  @Test
  void expiredSessionCredentials_areAccessDenied() {
    aws.failNext(1, Fault.error(400, "ExpiredTokenException", "The security token included in the request is expired"));

    assertThat(fetchFails(provider, SecretAccessDeniedException.class).getMessage()).contains("expired");
  }

  @Test
  void throttling_isUnavailable_andRetryable() {
    aws.failNext(1, Fault.THROTTLING);

    SecretUnavailableException e = fetchFails(provider, SecretUnavailableException.class);

    assertThat(e.retryable()).isTrue();
    assertThat(e.getMessage()).contains("throttled");
    assertThat(e.errorCode()).contains("ThrottlingException");
    assertThat(provider.fetch().reveal()).isEqualTo(token);
  }

  @Test
  void internalErrorAndServiceUnavailable_areUnavailable_andRetryable() {
    aws.failNext(1, Fault.INTERNAL_ERROR);
    aws.failNext(1, Fault.SERVICE_UNAVAILABLE);

    SecretUnavailableException first = fetchFails(provider, SecretUnavailableException.class);
    SecretUnavailableException second = fetchFails(provider, SecretUnavailableException.class);

    assertThat(first.retryable()).isTrue();
    assertThat(first.getMessage()).contains("HTTP 500");
    assertThat(first.errorCode()).contains("InternalServiceError");
    assertThat(second.getMessage()).contains("HTTP 503");
    assertThat(second.errorCode()).contains("ServiceUnavailable");
  }

  @Test
  void throttlingDuringAnUnchangedCheck_isUnavailable_too() {
    var first = provider.fetch();
    aws.failNext(Operation.DESCRIBE_SECRET, 1, Fault.THROTTLING);

    SecretUnavailableException e = catchThrowableOfType(SecretUnavailableException.class, () -> provider.refresh(first));

    assertThat(e.getMessage()).contains("(DescribeSecret, HTTP 400");
    assertThat(e.errorCode()).contains("ThrottlingException");
    assertThat(provider.refresh(first)).isSameAs(first);
  }

  @Test
  void connectionReset_isUnavailable_namingTheEndpoint() {
    aws.failNext(1, Fault.CONNECTION_RESET);

    SecretUnavailableException e = fetchFails(provider, SecretUnavailableException.class);

    assertThat(e.retryable()).isTrue();
    assertThat(e.getMessage()).contains("could not reach Secrets Manager at " + aws.endpoint());
  }

  @Test
  void nothingListening_isUnavailable_withTheConnectError() {
    FakeSecretsManager gone = FakeSecretsManager.start();
    gone.close();
    try (AwsSecretsManagerProvider p = AwsSecretsManagerProvider.builder()
        .secretId("prod/carto")
        .endpointOverride(gone.endpoint())
        .region(gone.region())
        .credentialsProvider(AwsFixtures.credentials(gone))
        .maxAttempts(1)
        .build()) {
      SecretUnavailableException e = fetchFails(p, SecretUnavailableException.class);

      assertThat(e.getMessage()).contains("could not reach Secrets Manager at " + gone.endpoint(), "ConnectException");
      assertThat(e.errorCode()).isEmpty();
    }
  }

  @Test
  void slowAnswer_beyondTheCallTimeout_isUnavailable() {
    aws.failNext(1, Fault.delay(Duration.ofSeconds(3)));
    try (AwsSecretsManagerProvider p = AwsFixtures.provider(aws, "prod/carto").callTimeout(Duration.ofMillis(300)).build()) {
      SecretUnavailableException e = fetchFails(p, SecretUnavailableException.class);

      assertThat(e.getMessage()).contains("in time");
    }
  }

  @Test
  void sdkRetries_absorbOneServerError_whenAttemptsAreLeft() {
    aws.failNext(1, Fault.SERVICE_UNAVAILABLE);
    try (AwsSecretsManagerProvider p = AwsFixtures.provider(aws, "prod/carto").field("api_token").maxAttempts(2).build()) {
      assertThat(p.fetch().reveal()).isEqualTo(token);
      assertThat(aws.calls(Operation.GET_SECRET_VALUE)).isEqualTo(2);
    }
  }

  @Test
  void closedProvider_refusesToFetch() {
    provider.close();

    assertThat(catchThrowableOfType(IllegalStateException.class, provider::fetch))
        .hasMessage("aws-sm:prod/carto#api_token: the provider is closed");
  }
}
