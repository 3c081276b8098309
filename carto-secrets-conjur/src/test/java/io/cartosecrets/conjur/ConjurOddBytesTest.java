package io.cartosecrets.conjur;

import static io.cartosecrets.testkit.canary.Leakproof.catchThrowable;
import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.SecretFormatException;
import io.cartosecrets.testkit.TestTokens;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** NUL, BOM and CR-only line endings in a Conjur variable. */
class ConjurOddBytesTest {
  @TempDir Path dir;
  private ConjurFixture f;

  @BeforeEach
  void start() {
    f = new ConjurFixture(dir);
  }

  @AfterEach
  void stop() {
    f.close();
  }

  private Throwable read(String value) {
    f.conjur.setValue(ConjurFixture.ACCOUNT, ConjurFixture.VARIABLE, value);
    try (ConjurSecretProvider p = f.provider()) {
      return catchThrowable(p::fetch);
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

  @Test
  void leadingByteOrderMark_isAFormatError_likeASecretFile() {
    assertThat(read("\uFEFF" + TestTokens.secret())).isInstanceOf(SecretFormatException.class);
  }
}
