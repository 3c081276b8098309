package io.cartosecrets.conjur;

import static io.cartosecrets.conjur.ConjurFixture.ACCOUNT;
import static io.cartosecrets.conjur.ConjurFixture.LOGIN;
import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.conjur.FakeConjur;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Variable ids and logins travel as one percent-encoded path segment each: the stand-in decodes
 * them as Conjur does, so a wrong encoding reads another variable (404) or fails to log in (401);
 * the raw request target shows the exact bytes on the wire.
 */
class VariableIdEncodingTest {
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

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "prod/carto/api token          | prod%2Fcarto%2Fapi%20token",
        "prod/carto+backup             | prod%2Fcarto%2Bbackup",
        "team@example.com/token        | team%40example.com%2Ftoken",
        "a&b=c                         | a%26b%3Dc",
        "100%/token                    | 100%25%2Ftoken",
        "prod%2Fcarto                  | prod%252Fcarto",
        "prod/café/トークン             | prod%2Fcaf%C3%A9%2F%E3%83%88%E3%83%BC%E3%82%AF%E3%83%B3",
        "key 🔑                        | key%20%F0%9F%94%91",
        "a?b#c                         | a%3Fb%23c",
        "x;y,z:w                       | x%3By%2Cz%3Aw",
        "all: a b+c@d&e%f/g é          | all%3A%20a%20b%2Bc%40d%26e%25f%2Fg%20%C3%A9",
      })
  void variableId_isOnePercentEncodedSegment_andReadsTheRightVariable(String id, String encoded) {
    String token = TestTokens.apiAccessToken();
    f.conjur.setValue(ACCOUNT, id, token).permit(ACCOUNT, LOGIN, id, "read", "execute");

    try (ConjurSecretProvider p = f.builder().variable(id).build()) {
      assertThat(p.fetch().reveal()).isEqualTo(token);
    }
    assertThat(reads()).containsExactly("/secrets/myorg/variable/" + encoded);
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "alice smith+ops@example.com   | alice%20smith%2Bops%40example.com",
        "host/apps/carto reporter/é    | host%2Fapps%2Fcarto%20reporter%2F%C3%A9",
        "host/ci/job&1%2              | host%2Fci%2Fjob%261%252",
      })
  void login_isOnePercentEncodedSegment_andAuthenticates(String login, String encoded) {
    String key = f.conjur.addUser(ACCOUNT, login);
    f.conjur.permit(ACCOUNT, login, ConjurFixture.VARIABLE, "read", "execute");
    Path keyFile = dir.resolve("key");
    ConjurFixture.write(keyFile, key);

    try (ConjurSecretProvider p = f.builder().login(login).apiKeyFile(keyFile).build()) {
      assertThat(p.fetch().reveal()).isEqualTo(f.cartoToken);
    }
    assertThat(f.conjur.calls().get(0).path()).isEqualTo("/authn/myorg/" + encoded + "/authenticate");
  }

  private List<String> reads() {
    return f.conjur.calls().stream()
        .filter(c -> c.method().equals("GET"))
        .map(FakeConjur.Call::path)
        .toList();
  }
}
