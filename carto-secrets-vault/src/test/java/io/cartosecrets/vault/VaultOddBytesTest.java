package io.cartosecrets.vault;

import static io.cartosecrets.testkit.canary.Leakproof.catchThrowable;
import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.SecretFormatException;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.vault.VaultTokenSpec;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** NUL, BOM and CR-only line endings in a Vault KV value. */
class VaultOddBytesTest {

  private Throwable read(String value) {
    try (Fixture f = new Fixture()) {
      f.vault.mountKv(Fixture.MOUNT, 2);
      f.vault.write(Fixture.PATH, Map.of("api_token", value));
      f.vault.policy("carto-read", Fixture.API_PATH, "read");
      f.readerTokenInEnv(VaultTokenSpec.withPolicies("carto-read"));
      try (VaultSecretProvider p = f.build(f.builder())) {
        return catchThrowable(p::fetch);
      }
    }
  }

  @Test
  void nulInTheValue_isAFormatError() {
    assertThat(read(TestTokens.apiAccessToken() + "\0")).isInstanceOf(SecretFormatException.class);
  }

  @Test
  void crOnlyLineEnding_isAFormatError() {
    assertThat(read(TestTokens.apiAccessToken() + "\r")).isInstanceOf(SecretFormatException.class);
  }

  /** As for secret files: U+FEFF is not a control character, and would be sent (then 401). */
  @Test
  void leadingByteOrderMark_isAFormatError_likeASecretFile() {
    assertThat(read("\uFEFF" + TestTokens.secret())).isInstanceOf(SecretFormatException.class);
  }
}
