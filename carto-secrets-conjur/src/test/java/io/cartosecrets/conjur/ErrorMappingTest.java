package io.cartosecrets.conjur;

import static io.cartosecrets.conjur.ConjurFixture.ACCOUNT;
import static io.cartosecrets.conjur.ConjurFixture.LOGIN;
import static io.cartosecrets.conjur.ConjurFixture.VARIABLE;
import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.catchThrowable;

import io.cartosecrets.testkit.canary.Leakproof;
import io.cartosecrets.SecretAccessDeniedException;
import io.cartosecrets.SecretException;
import io.cartosecrets.SecretFormatException;
import io.cartosecrets.SecretNotFoundException;
import io.cartosecrets.SecretUnavailableException;
import io.cartosecrets.testkit.TestTokens;
import java.io.IOException;
import java.nio.file.Path;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way a Conjur read can fail, and the typed exception it becomes: its type, whether it is
 * retryable, its source, what its message says, and that nothing secret is in it.
 */
class ErrorMappingTest {
  static final String DESCRIPTION = "conjur:myorg:variable:prod/carto/api-token";

  @TempDir Path dir;
  ConjurFixture f;

  @BeforeEach
  void start() {
    f = new ConjurFixture(dir);
  }

  @AfterEach
  void stop() {
    f.close();
  }

  @Test
  void wrongApiKey_isAccessDenied_notRetryable() {
    f.writeApiKeyFile(TestTokens.secret());

    SecretException e = fetchFails(f.builder());

    assertThat(e).isInstanceOf(SecretAccessDeniedException.class);
    assertThat(e.retryable()).isFalse();
    assertThat(e.getMessage())
        .contains("refused to authenticate login 'host/apps/carto-reporter'", "account 'myorg'", "HTTP 401");
  }

  @Test
  void unknownLogin_isAccessDenied() {
    SecretException e = fetchFails(f.builder().login("host/apps/nobody"));

    assertThat(e).isInstanceOf(SecretAccessDeniedException.class);
    assertThat(e.getMessage()).contains("login 'host/apps/nobody'", "HTTP 401");
  }

  @Test
  void unknownAccount_isAccessDenied_atAuthentication() {
    SecretException e = fetchFails(f.builder().account("no-such-org"));

    assertThat(e).isInstanceOf(SecretAccessDeniedException.class);
    assertThat(e.getMessage()).contains("account 'no-such-org'", "HTTP 401");
    assertThat(e.source()).isEqualTo("conjur:no-such-org:variable:prod/carto/api-token");
  }

  @Test
  void tokenForOneAccount_readingAnother_isNotFound_namingTheAccount() {
    Path tokenFile = dir.resolve("access-token");
    ConjurFixture.write(tokenFile, f.conjur.issueAccessToken(ACCOUNT, LOGIN));

    SecretException e = fetchFails(tokenFileBuilder(tokenFile).account("other-org"));

    assertThat(e).isInstanceOf(SecretNotFoundException.class);
    assertThat(e.getMessage()).contains("does not exist in account 'other-org'", "HTTP 404");
  }

  @Test
  void readWithoutExecute_isAccessDenied_namingThePrivilege() {
    f.conjur.deny(ACCOUNT, LOGIN, VARIABLE, "execute");

    SecretException e = fetchFails(f.builder());

    assertThat(e).isInstanceOf(SecretAccessDeniedException.class);
    assertThat(e.retryable()).isFalse();
    assertThat(e.getMessage()).contains("lacks the execute privilege", "'prod/carto/api-token'", "HTTP 403");
  }

  @Test
  void noPrivilegeAtAll_isNotFound_asConjurHidesTheVariable() {
    f.conjur.deny(ACCOUNT, LOGIN, VARIABLE, "read", "execute");

    SecretException e = fetchFails(f.builder());

    assertThat(e).isInstanceOf(SecretNotFoundException.class);
    assertThat(e.getMessage()).contains("not visible to login 'host/apps/carto-reporter'", "HTTP 404");
  }

  @Test
  void missingVariable_isNotFound_notRetryable() {
    SecretException e = fetchFails(f.builder().variable("prod/carto/typo"));

    assertThat(e).isInstanceOf(SecretNotFoundException.class);
    assertThat(e.retryable()).isFalse();
    assertThat(e.getMessage()).contains("variable 'prod/carto/typo' does not exist in account 'myorg'");
  }

  @Test
  void variableWithoutValue_isNotFound() {
    f.conjur.addVariable(ACCOUNT, "prod/carto/unset").permit(ACCOUNT, LOGIN, "prod/carto/unset", "read", "execute");

    SecretException e = fetchFails(f.builder().variable("prod/carto/unset"));

    assertThat(e).isInstanceOf(SecretNotFoundException.class);
    assertThat(e.getMessage()).contains("or has no value yet");
  }

  @Test
  void emptyValue_isFormatError() {
    f.conjur.setValue(ACCOUNT, VARIABLE, "");

    SecretException e = fetchFails(f.builder());

    assertThat(e).isInstanceOf(SecretFormatException.class);
    assertThat(e.retryable()).isFalse();
    assertThat(e.getMessage()).isEqualTo(DESCRIPTION + ": the variable's value is empty");
  }

  @Test
  void blankOrControlCharacterValue_isFormatError_withoutEchoingIt() {
    f.conjur.setValue(ACCOUNT, VARIABLE, "   ");
    assertThat(fetchFails(f.builder())).isInstanceOf(SecretFormatException.class).hasMessageContaining("whitespace only");

    String token = TestTokens.apiAccessToken();
    f.conjur.setValue(ACCOUNT, VARIABLE, token + "\u0000" + token);
    SecretException e = fetchFails(f.builder());
    assertThat(e).isInstanceOf(SecretFormatException.class).hasMessageContaining("control character");
    Leakproof.assertNoCanaryIn(e);
  }

  @Test
  void jsonFieldMissing_isFormatError_namingTheField() {
    f.conjur.setValue(ACCOUNT, VARIABLE, "{\"other\":\"" + TestTokens.apiAccessToken() + "\"}");

    SecretException e = fetchFails(f.builder().field("api_token"));

    assertThat(e).isInstanceOf(SecretFormatException.class);
    assertThat(((SecretFormatException) e).field()).contains("api_token");
    assertThat(e.getMessage()).contains("no field 'api_token'");
  }

  @Test
  void serverError_isUnavailable_retryable() {
    try (ConjurSecretProvider p = f.provider()) {
      p.fetch();
      f.conjur.failNext(1, 503);

      SecretException e = fetchFails(p);

      assertThat(e).isInstanceOf(SecretUnavailableException.class);
      assertThat(e.retryable()).isTrue();
      assertThat(e.getMessage()).contains("Conjur is unavailable: HTTP 503 to read variable 'prod/carto/api-token'");
    }
  }

  @Test
  void serverErrorAtAuthentication_isUnavailable_retryable() {
    f.conjur.failNext(1, 500);

    SecretException e = fetchFails(f.builder());

    assertThat(e).isInstanceOf(SecretUnavailableException.class);
    assertThat(e.retryable()).isTrue();
    assertThat(e.getMessage()).contains("HTTP 500 to authenticate login 'host/apps/carto-reporter'");
  }

  @Test
  void conjurDown_isUnavailable_withTheConnectionFailureAsCause() {
    String url = f.conjur.applianceUrl();
    f.conjur.close();

    SecretException e = fetchFails(f.builder().applianceUrl(url));

    assertThat(e).isInstanceOf(SecretUnavailableException.class);
    assertThat(e.retryable()).isTrue();
    assertThat(e.getMessage()).contains("could not reach Conjur to authenticate");
    assertThat(e.getCause()).isInstanceOf(IOException.class);
  }

  @Test
  void certificateNotTrusted_isUnavailable_withTheTlsFailureAsCause() {
    // Without certFile only the JDK's CAs are trusted, and none of them signed the stand-in's.
    SecretException e = fetchFails(
        ConjurSecretProvider.builder()
            .applianceUrl(f.conjur.applianceUrl()).account(ACCOUNT).login(LOGIN)
            .apiKeyFile(f.apiKeyFile).variable(VARIABLE).clock(f.clock));

    assertThat(e).isInstanceOf(SecretUnavailableException.class);
    assertThat(e.getMessage()).contains("could not reach Conjur to authenticate");
    assertThat(e.getCause()).isInstanceOf(SSLException.class);
    assertThat(f.conjur.calls()).isEmpty();
  }

  @Test
  void missingApiKeyFile_isNotFound_namingTheFile() {
    SecretException e = fetchFails(f.builder().apiKeyFile(dir.resolve("absent")));

    assertThat(e).isInstanceOf(SecretNotFoundException.class);
    assertThat(e.source()).isEqualTo("file:" + dir.resolve("absent"));
  }

  @Test
  void jwtNotAccepted_isAccessDenied() throws Exception {
    Path jwtFile = dir.resolve("jwt");
    ConjurFixture.write(jwtFile, TestTokens.secret());
    f.conjur.enableJwt(ACCOUNT, "k8s");

    SecretException e = fetchFails(jwtBuilder(jwtFile));

    assertThat(e).isInstanceOf(SecretAccessDeniedException.class);
    assertThat(e.getMessage()).contains("the JWT in " + jwtFile + " at authn-jwt/k8s", "HTTP 401");
  }

  @Test
  void jwtFileMissing_isUnavailable_andEmptyJwtFile_isFormatError() {
    Path jwtFile = dir.resolve("jwt");
    assertThat(fetchFails(jwtBuilder(jwtFile)))
        .isInstanceOf(SecretUnavailableException.class)
        .hasMessageContaining("does not exist");

    ConjurFixture.write(jwtFile, "\n");
    assertThat(fetchFails(jwtBuilder(jwtFile)))
        .isInstanceOf(SecretFormatException.class)
        .hasMessageContaining("is empty");
  }

  @Test
  void tokenFileMissing_isUnavailable_andGarbageTokenFile_isFormatError() {
    Path tokenFile = dir.resolve("access-token");
    assertThat(fetchFails(tokenFileBuilder(tokenFile)))
        .isInstanceOf(SecretUnavailableException.class)
        .hasMessageContaining("written by the Conjur authenticator sidecar");

    ConjurFixture.write(tokenFile, TestTokens.secret());
    SecretException e = fetchFails(tokenFileBuilder(tokenFile));
    assertThat(e).isInstanceOf(SecretFormatException.class).hasMessageContaining("does not hold a Conjur access token");
    Leakproof.assertNoCanaryIn(e);
  }

  private ConjurSecretProvider.Builder jwtBuilder(Path jwtFile) {
    return ConjurSecretProvider.builder()
        .applianceUrl(f.conjur.applianceUrl()).account(ACCOUNT).certFile(f.caFile).clock(f.clock)
        .jwtServiceId("k8s").jwtFile(jwtFile).variable(VARIABLE);
  }

  private ConjurSecretProvider.Builder tokenFileBuilder(Path tokenFile) {
    return ConjurSecretProvider.builder()
        .applianceUrl(f.conjur.applianceUrl()).account(ACCOUNT).certFile(f.caFile).clock(f.clock)
        .accessTokenFile(tokenFile).variable(VARIABLE);
  }

  private static SecretException fetchFails(ConjurSecretProvider.Builder builder) {
    try (ConjurSecretProvider p = builder.build()) {
      return fetchFails(p);
    }
  }

  private static SecretException fetchFails(ConjurSecretProvider p) {
    Throwable t = catchThrowable(p::fetch);
    assertThat(t).isInstanceOf(SecretException.class);
    Leakproof.assertNoCanaryIn(t);
    return (SecretException) t;
  }
}
