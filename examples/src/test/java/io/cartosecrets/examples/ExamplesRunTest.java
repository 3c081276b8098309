package io.cartosecrets.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.testkit.Canaries;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * Runs each example the way the README's command does, on its embedded default, and checks what it
 * prints: the README's run commands keep working, and no example prints a secret.
 */
@Isolated
class ExamplesRunTest {

  interface Main {
    void run() throws Exception;
  }

  private static String capture(Main main) throws Exception {
    PrintStream original = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      main.run();
    } finally {
      System.setOut(original);
    }
    String printed = out.toString(StandardCharsets.UTF_8);
    original.print(printed);
    return printed;
  }

  @Test
  void quickStart_printsRowsBeforeAndAfterRotatingTheToken() throws Exception {
    String out = capture(() -> QuickStart.main(new String[0]));
    assertThat(out).contains("[event] token loaded: fp=").contains("[event] token rotated: fp=");
    assertThat(out.split("3 rows:", -1)).hasSize(3);
    assertThat(out).contains("Tokyo").contains("rotations=1, failures=0");
    assertThat(Canaries.findIn(out)).isEmpty();
  }

  @Test
  void oauthExample_exchangesCreatesUsesAndDeletesAToken() throws Exception {
    String out = capture(() -> OAuthExample.main(new String[0]));
    assertThat(out).contains("kind=OAUTH_ACCESS_TOKEN").contains("SQL with the new token").contains("CartoAuthenticationException");
    assertThat(out).contains("Token exchanges so far: 1");
    assertThat(Canaries.findIn(out)).isEmpty();
  }

  @Test
  void awsExample_picksUpARotationThroughSecretsManager() throws Exception {
    String out = capture(() -> AwsSecretsManagerExample.main(new String[0]));
    assertThat(out).contains("running against the local stand-ins").contains("rotated the secret");
    assertThat(out).contains("source=aws-sm:prod/carto#api_token, version=");
    assertThat(out.split("largest cities", -1)).hasSize(3);
    assertThat(Canaries.findIn(out)).isEmpty();
  }

  @Test
  void conjurExample_picksUpARotationThroughConjur() throws Exception {
    String out = capture(() -> ConjurExample.main(new String[0]));
    assertThat(out).contains("running against the local stand-ins").contains("rotated the variable");
    assertThat(out.split("largest cities", -1)).hasSize(3);
    assertThat(Canaries.findIn(out)).isEmpty();
  }

  @Test
  void vaultExample_readsFromVault_rotatesByANewKvVersion_andPrintsNoSecret() throws Exception {
    String out = capture(() -> VaultExample.main(new String[0]));
    assertThat(out).contains("[event] token loaded: fp=").contains("[event] token rotated: fp=");
    assertThat(out.split("3 rows:", -1)).hasSize(3);
    assertThat(out).contains("source=vault:kv/team/carto/prod#api_token, version=1")
        .contains("source=vault:kv/team/carto/prod#api_token, version=2")
        .contains("rotations=1, failures=0")
        .contains("POST /v1/auth/approle/login -> 200")
        .contains("GET /v1/kv/team/carto/data/prod");
    assertThat(Canaries.findIn(out)).isEmpty();
  }
}
