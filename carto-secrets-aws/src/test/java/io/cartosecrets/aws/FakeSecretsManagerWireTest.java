package io.cartosecrets.aws;

import static io.cartosecrets.testkit.aws.FakeSecretsManager.AWSCURRENT;
import static io.cartosecrets.testkit.aws.FakeSecretsManager.AWSPENDING;
import static io.cartosecrets.testkit.aws.FakeSecretsManager.AWSPREVIOUS;
import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy;
import static io.cartosecrets.testkit.canary.Leakproof.catchThrowableOfType;

import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.aws.FakeSecretsManager;
import io.cartosecrets.testkit.aws.FakeSecretsManager.Fault;
import io.cartosecrets.testkit.aws.FakeSecretsManager.Operation;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.DecryptionFailureException;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretResponse;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueResponse;
import software.amazon.awssdk.services.secretsmanager.model.InternalServiceErrorException;
import software.amazon.awssdk.services.secretsmanager.model.InvalidParameterException;
import software.amazon.awssdk.services.secretsmanager.model.InvalidRequestException;
import software.amazon.awssdk.services.secretsmanager.model.PutSecretValueResponse;
import software.amazon.awssdk.services.secretsmanager.model.ResourceExistsException;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;
import software.amazon.awssdk.services.secretsmanager.model.SecretsManagerException;

/**
 * The stand-in speaks Secrets Manager's wire protocol well enough for the real AWS SDK: it accepts
 * only correctly SigV4-signed requests, keeps versions and staging labels the way AWS does, and its
 * error answers turn into the SDK's modelled exception classes.
 */
class FakeSecretsManagerWireTest {
  private FakeSecretsManager aws;
  private SecretsManagerClient sdk;

  @BeforeEach
  void start() {
    aws = FakeSecretsManager.start();
    sdk = AwsFixtures.sdkClient(aws);
  }

  @AfterEach
  void stop() {
    sdk.close();
    aws.close();
  }

  @Test
  void getSecretValue_signedWithTheConfiguredKey_returnsTheCurrentVersion() {
    String token = TestTokens.apiAccessToken();
    String versionId = aws.createSecret("prod/carto", token);

    GetSecretValueResponse r = sdk.getSecretValue(b -> b.secretId("prod/carto"));

    assertThat(r.secretString()).isEqualTo(token);
    assertThat(r.versionId()).isEqualTo(versionId);
    assertThat(r.versionStages()).containsExactly(AWSCURRENT);
    assertThat(r.arn()).isEqualTo(aws.arn("prod/carto")).startsWith("arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/carto-");
    assertThat(r.createdDate()).isNotNull();
    assertThat(aws.calls(Operation.GET_SECRET_VALUE)).isEqualTo(1);
    assertThat(aws.rejectedSignatures()).isZero();
  }

  @Test
  void getSecretValue_byArn_findsTheSecret() {
    String token = TestTokens.apiAccessToken();
    aws.createSecret("prod/carto", token);

    assertThat(sdk.getSecretValue(b -> b.secretId(aws.arn("prod/carto"))).secretString()).isEqualTo(token);
  }

  @Test
  void wrongSecretAccessKey_isRefusedAsInvalidSignature() {
    aws.createSecret("prod/carto", TestTokens.apiAccessToken());
    try (SecretsManagerClient wrong = AwsFixtures.sdkClient(
        aws, AwsFixtures.credentials(aws.accessKeyId(), TestTokens.secret(30)), aws.region())) {

      SecretsManagerException e = catchThrowableOfType(SecretsManagerException.class,
          () -> wrong.getSecretValue(b -> b.secretId("prod/carto")));

      assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidSignatureException");
      assertThat(e.statusCode()).isEqualTo(400);
      assertThat(aws.rejectedSignatures()).isEqualTo(1);
    }
  }

  @Test
  void unknownAccessKeyId_isRefusedAsUnrecognizedClient() {
    try (SecretsManagerClient wrong = AwsFixtures.sdkClient(
        aws, AwsFixtures.credentials(TestTokens.identifier("AKIAOTHER"), aws.secretAccessKey()), aws.region())) {

      SecretsManagerException e = catchThrowableOfType(SecretsManagerException.class,
          () -> wrong.getSecretValue(b -> b.secretId("prod/carto")));

      assertThat(e.awsErrorDetails().errorCode()).isEqualTo("UnrecognizedClientException");
      assertThat(e.statusCode()).isEqualTo(400);
    }
  }

  @Test
  void signatureScopedToAnotherRegion_isRefused() {
    try (SecretsManagerClient elsewhere = AwsFixtures.sdkClient(aws, AwsFixtures.credentials(aws), "eu-west-1")) {

      SecretsManagerException e = catchThrowableOfType(SecretsManagerException.class,
          () -> elsewhere.getSecretValue(b -> b.secretId("prod/carto")));

      assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidSignatureException");
      assertThat(e.awsErrorDetails().errorMessage()).contains("region");
    }
  }

  @Test
  void missingSecret_isTheModelledResourceNotFoundException() {
    assertThatThrownBy(() -> sdk.getSecretValue(b -> b.secretId("nope")))
        .isInstanceOf(ResourceNotFoundException.class)
        .satisfies(e -> assertThat(((ResourceNotFoundException) e).statusCode()).isEqualTo(400));
  }

  @Test
  void missingStagingLabel_isResourceNotFound() {
    aws.createSecret("prod/carto", TestTokens.apiAccessToken());

    assertThatThrownBy(() -> sdk.getSecretValue(b -> b.secretId("prod/carto").versionStage(AWSPENDING)))
        .isInstanceOf(ResourceNotFoundException.class);
  }

  @Test
  void kmsFailure_isTheModelledDecryptionFailureException_butDescribeStillWorks() {
    aws.createSecret("prod/carto", TestTokens.apiAccessToken());
    aws.failDecryption("prod/carto");

    assertThatThrownBy(() -> sdk.getSecretValue(b -> b.secretId("prod/carto")))
        .isInstanceOf(DecryptionFailureException.class);
    assertThat(sdk.describeSecret(b -> b.secretId("prod/carto")).versionIdsToStages()).hasSize(1);
  }

  @Test
  void secretMarkedForDeletion_isTheModelledInvalidRequestException_andDescribeShowsDeletedDate() {
    aws.createSecret("prod/carto", TestTokens.apiAccessToken());
    aws.markForDeletion("prod/carto");

    assertThatThrownBy(() -> sdk.getSecretValue(b -> b.secretId("prod/carto")))
        .isInstanceOf(InvalidRequestException.class);
    assertThat(sdk.describeSecret(b -> b.secretId("prod/carto")).deletedDate()).isNotNull();

    aws.restore("prod/carto");
    assertThat(sdk.getSecretValue(b -> b.secretId("prod/carto")).secretString()).isNotEmpty();
  }

  @Test
  void malformedVersionId_isTheModelledInvalidParameterException() {
    aws.createSecret("prod/carto", TestTokens.apiAccessToken());

    assertThatThrownBy(() -> sdk.getSecretValue(b -> b.secretId("prod/carto").versionId("v1")))
        .isInstanceOf(InvalidParameterException.class);
  }

  @Test
  void deniedAccess_isAccessDeniedException_whichTheServiceModelDoesNotName() {
    aws.createSecret("prod/carto", TestTokens.apiAccessToken());
    aws.denyAccess("prod/carto", Operation.GET_SECRET_VALUE);

    SecretsManagerException e = catchThrowableOfType(SecretsManagerException.class,
        () -> sdk.getSecretValue(b -> b.secretId("prod/carto")));

    assertThat(e.getClass()).isEqualTo(SecretsManagerException.class);
    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException");
    assertThat(e.awsErrorDetails().errorMessage()).contains("secretsmanager:GetSecretValue");
    // Only the denied operation is refused.
    assertThat(sdk.describeSecret(b -> b.secretId("prod/carto")).name()).isEqualTo("prod/carto");
  }

  @Test
  void throttling_isRecognisedByTheSdkAsThrottling() {
    aws.createSecret("prod/carto", TestTokens.apiAccessToken());
    aws.failNext(Operation.GET_SECRET_VALUE, 1, Fault.THROTTLING);

    SecretsManagerException e = catchThrowableOfType(SecretsManagerException.class,
        () -> sdk.getSecretValue(b -> b.secretId("prod/carto")));

    assertThat(e.isThrottlingException()).isTrue();
    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ThrottlingException");
    assertThat(sdk.getSecretValue(b -> b.secretId("prod/carto")).secretString()).isNotEmpty();
  }

  @Test
  void serverErrors_are500And503_withTheirErrorCodes() {
    aws.createSecret("prod/carto", TestTokens.apiAccessToken());
    aws.failNext(1, Fault.INTERNAL_ERROR);
    aws.failNext(1, Fault.SERVICE_UNAVAILABLE);

    assertThatThrownBy(() -> sdk.getSecretValue(b -> b.secretId("prod/carto")))
        .isInstanceOf(InternalServiceErrorException.class)
        .satisfies(e -> assertThat(((SecretsManagerException) e).statusCode()).isEqualTo(500));
    SecretsManagerException e = catchThrowableOfType(SecretsManagerException.class,
        () -> sdk.describeSecret(b -> b.secretId("prod/carto")));
    assertThat(e.statusCode()).isEqualTo(503);
    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ServiceUnavailable");
  }

  @Test
  void connectionReset_isAnIoErrorInTheClient() {
    aws.createSecret("prod/carto", TestTokens.apiAccessToken());
    aws.failNext(1, Fault.CONNECTION_RESET);

    assertThatThrownBy(() -> sdk.getSecretValue(b -> b.secretId("prod/carto")))
        .isInstanceOf(SdkClientException.class)
        .hasRootCauseInstanceOf(java.io.IOException.class);
  }

  @Test
  void putSecretValue_movesAwsCurrentToTheNewVersion_andAwsPreviousToTheOldOne() {
    String v1 = aws.createSecret("prod/carto", TestTokens.apiAccessToken());
    String second = TestTokens.apiAccessToken();

    PutSecretValueResponse put = sdk.putSecretValue(b -> b.secretId("prod/carto").secretString(second));

    assertThat(put.versionStages()).containsExactly(AWSCURRENT);
    DescribeSecretResponse d = sdk.describeSecret(b -> b.secretId("prod/carto"));
    assertThat(d.versionIdsToStages()).containsEntry(put.versionId(), List.of(AWSCURRENT))
        .containsEntry(v1, List.of(AWSPREVIOUS));
    assertThat(sdk.getSecretValue(b -> b.secretId("prod/carto")).secretString()).isEqualTo(second);
    assertThat(sdk.getSecretValue(b -> b.secretId("prod/carto").versionStage(AWSPREVIOUS)).versionId()).isEqualTo(v1);
  }

  @Test
  void putSecretValue_asPending_leavesAwsCurrentWhereItWas() {
    String v1 = aws.createSecret("prod/carto", TestTokens.apiAccessToken());

    PutSecretValueResponse put = sdk.putSecretValue(
        b -> b.secretId("prod/carto").secretString(TestTokens.apiAccessToken()).versionStages(AWSPENDING));

    assertThat(aws.versionIdWithStage("prod/carto", AWSCURRENT)).contains(v1);
    assertThat(aws.versionIdWithStage("prod/carto", AWSPENDING)).contains(put.versionId());
  }

  @Test
  void putSecretValue_retriedWithTheSameClientRequestToken_isIdempotent_butAnotherValueIsRefused() {
    aws.createSecret("prod/carto", TestTokens.apiAccessToken());
    String token = UUID.randomUUID().toString();
    String value = TestTokens.apiAccessToken();

    String first = sdk.putSecretValue(b -> b.secretId("prod/carto").clientRequestToken(token).secretString(value)).versionId();
    String again = sdk.putSecretValue(b -> b.secretId("prod/carto").clientRequestToken(token).secretString(value)).versionId();

    assertThat(again).isEqualTo(first).isEqualTo(token);
    assertThatThrownBy(() -> sdk.putSecretValue(
        b -> b.secretId("prod/carto").clientRequestToken(token).secretString(TestTokens.apiAccessToken())))
        .isInstanceOf(ResourceExistsException.class);
  }

  @Test
  void updateSecretVersionStage_movesAwsCurrentBack_andChecksRemoveFromVersionId() {
    String v1 = aws.createSecret("prod/carto", TestTokens.apiAccessToken());
    String v2 = aws.putSecretValue("prod/carto", TestTokens.apiAccessToken());

    assertThatThrownBy(() -> sdk.updateSecretVersionStage(b -> b.secretId("prod/carto")
        .versionStage(AWSCURRENT).moveToVersionId(v1).removeFromVersionId(v1)))
        .isInstanceOf(InvalidParameterException.class);
    sdk.updateSecretVersionStage(b -> b.secretId("prod/carto")
        .versionStage(AWSCURRENT).moveToVersionId(v1).removeFromVersionId(v2));

    assertThat(aws.stagesOf("prod/carto", v1)).containsExactly(AWSCURRENT);
    assertThat(aws.stagesOf("prod/carto", v2)).containsExactly(AWSPREVIOUS);
  }

  @Test
  void rotate_stagesThenPromotes_likeARotationFunction() {
    String v1 = aws.createSecret("prod/carto", TestTokens.apiAccessToken());
    String next = TestTokens.apiAccessToken();

    String v2 = aws.rotate("prod/carto", next);

    assertThat(sdk.describeSecret(b -> b.secretId("prod/carto")).versionIdsToStages())
        .containsOnlyKeys(v1, v2)
        .containsEntry(v2, List.of(AWSCURRENT))
        .containsEntry(v1, List.of(AWSPREVIOUS));
    assertThat(sdk.getSecretValue(b -> b.secretId("prod/carto")).secretString()).isEqualTo(next);
  }

  @Test
  void createSecret_andBinaryValues_roundTripOverTheWire() {
    byte[] bytes = TestTokens.apiAccessToken().getBytes(StandardCharsets.UTF_8);

    String versionId = sdk.createSecret(b -> b.name("bin/carto").secretBinary(SdkBytes.fromByteArray(bytes))).versionId();

    GetSecretValueResponse r = sdk.getSecretValue(b -> b.secretId("bin/carto"));
    assertThat(r.secretBinary().asByteArray()).isEqualTo(bytes);
    assertThat(r.secretString()).isNull();
    assertThat(r.versionId()).isEqualTo(versionId);
    assertThat(aws.calls(Operation.CREATE_SECRET)).isEqualTo(1);
  }
}
