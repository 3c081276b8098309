package io.cartosecrets.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.testkit.Canaries;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/** Runs VaultExample on its embedded stand-ins as the README's command does, and checks what it prints. */
@Isolated
class VaultExampleRunTest {

  @Test
  void vaultExample_readsFromVault_rotatesByANewKvVersion_andPrintsNoSecret() throws Exception {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      VaultExample.main(new String[0]);
    } finally {
      System.setOut(original);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    original.print(out);

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
