package io.cartosecrets.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.catchThrowableOfType;

import io.cartosecrets.SecretFormatException;
import io.cartosecrets.testkit.Canaries;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.aws.FakeSecretsManager;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A secret that is read but unusable gives a {@link SecretFormatException} naming the secret id and
 * the field, never the content: each stored value here contains a canary token.
 */
class AwsSecretFormatTest {
  private FakeSecretsManager aws;

  @BeforeEach
  void start() {
    aws = FakeSecretsManager.start();
  }

  @AfterEach
  void stop() {
    aws.close();
  }

  private SecretFormatException fails(String secretString, String field) {
    aws.createSecret("prod/carto", secretString);
    AwsSecretsManagerProvider.Builder b = AwsFixtures.provider(aws, "prod/carto");
    if (field != null) {
      b.field(field);
    }
    try (AwsSecretsManagerProvider p = b.build()) {
      SecretFormatException e = catchThrowableOfType(SecretFormatException.class, p::fetch);
      assertThat(e).isNotNull();
      assertThat(e.retryable()).isFalse();
      assertThat(e.source()).isEqualTo(p.description());
      assertThat(e.getMessage()).startsWith(p.description() + ": ");
      StringWriter trace = new StringWriter();
      e.printStackTrace(new PrintWriter(trace));
      assertThat(Canaries.findIn(trace + e.toString())).isEmpty();
      return e;
    }
  }

  @Test
  void missingField_namesSecretAndField() {
    SecretFormatException e = fails("{\"token\":\"" + TestTokens.apiAccessToken() + "\"}", "api_token");

    assertThat(e.field()).contains("api_token");
    assertThat(e.getMessage()).isEqualTo("aws-sm:prod/carto#api_token: field 'api_token': no field 'api_token' in the secret");
  }

  @Test
  void missingNestedField_namesHowFarThePathWent() {
    SecretFormatException e = fails("{\"carto\":{\"token\":\"" + TestTokens.apiAccessToken() + "\"}}", "carto.api_token");

    assertThat(e.getMessage()).contains("no field 'carto.api_token'");
  }

  @Test
  void nonStringField_isAFormatError() {
    SecretFormatException e = fails("{\"api_token\":[\"" + TestTokens.apiAccessToken() + "\"]}", "api_token");

    assertThat(e.getMessage()).contains("field 'api_token'", "is a JSON array, not a string");
  }

  @Test
  void invalidJson_isAFormatError_thatDoesNotQuoteThePayload() {
    SecretFormatException e = fails("{\"api_token\":\"" + TestTokens.apiAccessToken() + "\"", "api_token");

    assertThat(e.getMessage()).contains("not valid JSON");
  }

  @Test
  void plainTokenWhereJsonWasExpected_isAFormatError() {
    SecretFormatException e = fails(TestTokens.apiAccessToken(), "api_token");

    assertThat(e.getMessage()).contains("not valid JSON");
  }

  @Test
  void emptyField_isAFormatError() {
    SecretFormatException e = fails("{\"api_token\":\"\",\"other\":\"" + TestTokens.secret() + "\"}", "api_token");

    assertThat(e.getMessage()).contains("field 'api_token'", "the field is empty");
  }

  @Test
  void emptySecretString_isAFormatError() {
    assertThat(fails("", null).getMessage()).isEqualTo("aws-sm:prod/carto: the secret is empty");
  }

  @Test
  void blankSecretString_isAFormatError() {
    assertThat(fails("   ", null).getMessage()).contains("whitespace only");
  }

  @Test
  void controlCharacterInsideTheValue_isAFormatError_givingOnlyItsPosition() {
    String token = TestTokens.apiAccessToken();

    SecretFormatException e = fails(token + "\n" + TestTokens.secret(), null);

    assertThat(e.getMessage()).contains("control character at position " + token.length());
  }

  @Test
  void binaryThatIsNotUtf8_isAFormatError() {
    aws.createBinarySecret("bin/carto", new byte[] {(byte) 0xC3, (byte) 0x28, 0x41});
    try (AwsSecretsManagerProvider p = AwsFixtures.provider(aws, "bin/carto").build()) {
      SecretFormatException e = catchThrowableOfType(SecretFormatException.class, p::fetch);

      assertThat(e.getMessage()).isEqualTo("aws-sm:bin/carto: the SecretBinary is not UTF-8 text");
    }
  }
}
