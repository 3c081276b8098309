package io.cartosecrets.aws;

import static io.cartosecrets.testkit.canary.Leakproof.catchThrowable;
import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.Secret;
import io.cartosecrets.SecretException;
import io.cartosecrets.SecretFormatException;
import io.cartosecrets.SecretUnavailableException;
import io.cartosecrets.testkit.Canaries;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.aws.FakeSecretsManager;
import io.cartosecrets.testkit.aws.FakeSecretsManager.Fault;
import io.cartosecrets.testkit.aws.FakeSecretsManager.Operation;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** hostile or odd GetSecretValue answers, served byte for byte by the stand-in. */
class AwsHostileAnswersTest {
  private static final String JSON_11 = "application/x-amz-json-1.1";
  private FakeSecretsManager aws;
  private String versionId;

  @BeforeEach
  void start() {
    aws = FakeSecretsManager.start();
    versionId = aws.createSecret("prod/carto", TestTokens.apiAccessToken());
  }

  @AfterEach
  void stop() {
    aws.close();
  }

  private String answer(String extraFields) {
    return "{\"ARN\":\"" + aws.arn("prod/carto") + "\",\"Name\":\"prod/carto\",\"VersionId\":\"" + versionId
        + "\",\"VersionStages\":[\"AWSCURRENT\"],\"CreatedDate\":1.7E9" + extraFields + "}";
  }

  private Throwable fetchFails(String field, Fault fault) {
    aws.failNext(Operation.GET_SECRET_VALUE, 1, fault);
    AwsSecretsManagerProvider.Builder b = AwsFixtures.provider(aws, "prod/carto");
    if (field != null) {
      b.field(field);
    }
    try (AwsSecretsManagerProvider p = b.build()) {
      Throwable t = catchThrowable(p::fetch);
      assertThat(t).as("fetch must fail").isNotNull();
      assertThat(t).isInstanceOf(SecretException.class);
      assertThat(((SecretException) t).source()).isEqualTo(p.description());
      StringWriter trace = new StringWriter();
      t.printStackTrace(new PrintWriter(trace));
      assertThat(Canaries.findIn(trace + t.toString() + ((SecretException) t).errorCode().orElse(""))).isEmpty();
      return t;
    }
  }

  private Secret fetch(String field, Fault fault) {
    aws.failNext(Operation.GET_SECRET_VALUE, 1, fault);
    AwsSecretsManagerProvider.Builder b = AwsFixtures.provider(aws, "prod/carto");
    if (field != null) {
      b.field(field);
    }
    try (AwsSecretsManagerProvider p = b.build()) {
      return p.fetch();
    }
  }

  @Test
  void secretStringNull_andNoBinary_isAFormatError() {
    Throwable t = fetchFails(null, Fault.rawAnswer(200, JSON_11, answer(",\"SecretString\":null")));
    assertThat(t).isInstanceOf(SecretFormatException.class).hasMessageContaining("neither");
  }

  @Test
  void bothStringAndBinary_isNotAnNpe_andDoesNotLeak() {
    String token = TestTokens.apiAccessToken();
    String other = TestTokens.secret();
    Fault f = Fault.rawAnswer(200, JSON_11, answer(",\"SecretString\":\"" + token + "\",\"SecretBinary\":\""
        + Base64.getEncoder().encodeToString(other.getBytes(StandardCharsets.UTF_8)) + "\""));
    Throwable t = catchThrowable(() -> fetch(null, f));
    if (t != null) {
      assertThat(t).isInstanceOf(SecretException.class);
    }
  }

  @Test
  void binaryWithNul_isAFormatError() {
    String token = TestTokens.secret();
    byte[] bytes = (token + "\0").getBytes(StandardCharsets.UTF_8);
    Throwable t = fetchFails(null, Fault.rawAnswer(200, JSON_11,
        answer(",\"SecretBinary\":\"" + Base64.getEncoder().encodeToString(bytes) + "\"")));
    assertThat(t).isInstanceOf(SecretFormatException.class);
  }

  @Test
  void binaryNotUtf8_isAFormatError() {
    byte[] bytes = new byte[] {'a', (byte) 0xc3, (byte) 0x28, 'b'};
    Throwable t = fetchFails(null, Fault.rawAnswer(200, JSON_11,
        answer(",\"SecretBinary\":\"" + Base64.getEncoder().encodeToString(bytes) + "\"")));
    assertThat(t).isInstanceOf(SecretFormatException.class);
  }

  /** The file provider refuses a BOM because the token would be sent with U+FEFF and fail with 401. */
  @Test
  void binaryStartingWithAUtf8Bom_isAFormatError_likeASecretFile() {
    String token = TestTokens.apiAccessToken();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0xef);
    out.write(0xbb);
    out.write(0xbf);
    out.writeBytes(token.getBytes(StandardCharsets.UTF_8));
    Throwable t = fetchFails(null, Fault.rawAnswer(200, JSON_11,
        answer(",\"SecretBinary\":\"" + Base64.getEncoder().encodeToString(out.toByteArray()) + "\"")));
    assertThat(t).isInstanceOf(SecretFormatException.class);
  }

  @Test
  void secretStringStartingWithABom_isAFormatError_likeASecretFile() {
    String token = TestTokens.apiAccessToken();
    Throwable t = fetchFails(null, Fault.rawAnswer(200, JSON_11, answer(",\"SecretString\":\"\\ufeff" + token + "\"")));
    assertThat(t).isInstanceOf(SecretFormatException.class);
  }

  @Test
  void hugeSecretString_isRefusedOrReadWithoutTrouble() {
    String token = TestTokens.secret();
    StringBuilder big = new StringBuilder(token);
    while (big.length() < 2_000_000) {
      big.append('A');
    }
    aws.failNext(Operation.GET_SECRET_VALUE, 1, Fault.rawAnswer(200, JSON_11, answer(",\"SecretString\":\"" + big + "\"")));
    try (AwsSecretsManagerProvider p = AwsFixtures.provider(aws, "prod/carto").build()) {
      Throwable t = catchThrowable(p::fetch);
      // A secret file is bounded to 1 MiB; Secrets Manager itself stores at most 65536 bytes.
      assertThat(t).as("a 2 MB SecretString, 30x what AWS can store, should be refused").isInstanceOf(SecretFormatException.class);
    }
  }

  @Test
  void jsonFieldThatIsObjectArrayNumberOrNull_isAFormatErrorNamingTheField() {
    String token = TestTokens.apiAccessToken();
    for (String v : new String[] {"{\"t\":\"" + token + "\"}", "[\"" + token + "\"]", "12345", "null", "true"}) {
      String json = "{\"api_token\":" + v + ",\"other\":\"" + token + "\"}";
      String escaped = json.replace("\\", "\\\\").replace("\"", "\\\"");
      Throwable t = fetchFails("api_token", Fault.rawAnswer(200, JSON_11, answer(",\"SecretString\":\"" + escaped + "\"")));
      assertThat(t).isInstanceOf(SecretFormatException.class);
      assertThat(((SecretFormatException) t).field()).contains("api_token");
    }
  }

  @Test
  void secretStringThatIsNotAJsonString_isTypedOrRead_neverAnNpe() {
    String token = TestTokens.secret();
    for (String v : new String[] {"{\"t\":\"" + token + "\"}", "[\"" + token + "\"]", "12345", "true"}) {
      Fault f = Fault.rawAnswer(200, JSON_11, answer(",\"SecretString\":" + v));
      Throwable t = catchThrowable(() -> fetch(null, f));
      if (t != null) {
        assertThat(t).isInstanceOf(SecretException.class);
      }
    }
  }

  @Test
  void secretBinaryThatIsNotBase64_isTyped_withoutQuotingIt() {
    String token = TestTokens.secret();
    Throwable t = fetchFails(null, Fault.rawAnswer(200, JSON_11, answer(",\"SecretBinary\":\"" + token + "!!!\"")));
    assertThat(t).isInstanceOf(SecretException.class);
  }

  @Test
  void errorWhoseMessageEchoesTheSecret_isTypedWithoutTheSecret() {
    String token = TestTokens.secret();
    Throwable t = fetchFails(null, Fault.error(400, "ValidationException", "bad value " + token));
    assertThat(t).isInstanceOf(SecretException.class);
    Throwable raw = fetchFails(null, Fault.rawAnswer(400, JSON_11,
        "{\"__type\":\"AccessDeniedException\",\"message\":\"no: " + token + "\",\"Message\":\"" + token + "\"}"));
    assertThat(raw).isInstanceOf(SecretException.class);
  }

  /** A hostile or broken endpoint echoing the secret in the error code (x-amzn-ErrorType / __type). */
  @Test
  void errorCodeEchoingTheSecret_isNotCopiedIntoErrorCodeOrMessage() {
    String token = TestTokens.secret();
    fetchFails(null, Fault.rawAnswer(400, JSON_11, "{\"__type\":\"" + token + "\",\"message\":\"x\"}"));
  }

  @Test
  void nonJson200_isTyped() {
    String token = TestTokens.apiAccessToken();
    Throwable t = fetchFails(null, Fault.rawAnswer(200, JSON_11, "<html>" + token + "</html>"));
    assertThat(t).isInstanceOf(SecretException.class);
    Throwable t2 = fetchFails(null, Fault.rawAnswer(200, "text/html", token));
    assertThat(t2).isInstanceOf(SecretException.class);
    Throwable t3 = fetchFails(null, Fault.rawAnswer(200, JSON_11, ""));
    assertThat(t3).isInstanceOf(SecretException.class);
    Throwable t4 = fetchFails(null, Fault.rawAnswer(200, JSON_11, "null"));
    assertThat(t4).isInstanceOf(SecretException.class);
    Throwable t5 = fetchFails(null, Fault.rawAnswer(200, JSON_11, "[\"" + token + "\"]"));
    assertThat(t5).isInstanceOf(SecretException.class);
  }

  @Test
  void throttlingThenRecovery() {
    try (AwsSecretsManagerProvider p = AwsFixtures.provider(aws, "prod/carto").build()) {
      aws.failNext(Operation.GET_SECRET_VALUE, 2, Fault.THROTTLING);
      assertThat(catchThrowable(p::fetch)).isInstanceOf(SecretUnavailableException.class);
      assertThat(catchThrowable(p::fetch)).isInstanceOf(SecretUnavailableException.class);
      assertThat(p.fetch().version()).contains(versionId);
    }
  }

  @Test
  void missingVersionId_isNotAnNpe() {
    String token = TestTokens.apiAccessToken();
    Fault f = Fault.rawAnswer(200, JSON_11, "{\"Name\":\"prod/carto\",\"SecretString\":\"" + token + "\"}");
    Throwable t = catchThrowable(() -> fetch(null, f));
    if (t != null) {
      assertThat(t).isInstanceOf(SecretException.class);
    }
  }

  /** The version id comes from the answer and is logged and shown by Secret.toString(). */
  @Test
  void versionIdEchoingTheSecret_isNotLoggedNorShownInToString() {
    String token = TestTokens.secret();
    Fault f = Fault.rawAnswer(200, JSON_11, "{\"Name\":\"prod/carto\",\"VersionId\":\"" + token
        + "\",\"SecretString\":\"" + TestTokens.apiAccessToken() + "\"}");
    Throwable t = catchThrowable(() -> io.cartosecrets.testkit.canary.Leakproof.track(fetch(null, f)));
    if (t != null) {
      assertThat(t).isInstanceOf(SecretException.class);
    }
  }

  @Test
  void describeSecretNamingTheSecretAsTheCurrentVersion_isNotLogged() {
    String token = TestTokens.secret();
    try (AwsSecretsManagerProvider p = AwsFixtures.provider(aws, "prod/carto").build()) {
      Secret first = p.fetch();
      aws.failNext(Operation.DESCRIBE_SECRET, 1, Fault.rawAnswer(200, JSON_11,
          "{\"Name\":\"prod/carto\",\"VersionIdsToStages\":{\"" + token + "\":[\"AWSCURRENT\"]}}"));
      Throwable t = catchThrowable(() -> io.cartosecrets.testkit.canary.Leakproof.track(p.refresh(first)));
      if (t != null) {
        assertThat(t).isInstanceOf(SecretException.class);
      }
    }
  }

  @Test
  void oddDescribeSecretAnswers_areTypedOrUnchanged_neverAnNpe() {
    try (AwsSecretsManagerProvider p = AwsFixtures.provider(aws, "prod/carto").build()) {
      Secret first = p.fetch();
      for (String body : new String[] {"{}", "{\"VersionIdsToStages\":null}", "{\"VersionIdsToStages\":{\"v\":null}}",
          "{\"VersionIdsToStages\":[]}", "{\"DeletedDate\":\"yesterday\"}", "not json", "null"}) {
        aws.failNext(Operation.DESCRIBE_SECRET, 1, Fault.rawAnswer(200, JSON_11, body));
        Throwable t = catchThrowable(() -> p.refresh(first));
        if (t != null) {
          assertThat(t).as(body).isInstanceOf(SecretException.class);
        }
      }
    }
  }
}
