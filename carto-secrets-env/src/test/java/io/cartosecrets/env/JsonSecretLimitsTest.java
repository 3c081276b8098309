package io.cartosecrets.env;

import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.SecretException;
import io.cartosecrets.SecretFormatException;
import io.cartosecrets.testkit.Canaries;
import io.cartosecrets.testkit.TestTokens;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JSON secrets past the parser's limits, odd keys and odd links: typed errors, never a bare exception. */
class JsonSecretLimitsTest {
  @TempDir Path dir;

  private Throwable fetch(FileSecretProvider p) {
    try {
      p.fetch();
      return null;
    } catch (Throwable t) {
      return t;
    }
  }

  /**
   * Regression: JsonFields.extract reports a parse error with e.getLocation().getLineNr(), but
   * Jackson's StreamConstraintsException (nesting deeper than 1000, a number longer than 1000
   * digits) has no location: a JSON secret nested too deep gives a bare NullPointerException
   * instead of a SecretFormatException naming source and field.
   */
  @Test
  void deeplyNestedJsonSecret_isAFormatError() throws Exception {
    Path f = dir.resolve("creds.json");
    String token = TestTokens.apiAccessToken();
    Files.writeString(f, "{\"token\":\"" + token + "\",\"x\":" + "[".repeat(2000) + "]".repeat(2000) + "}");
    Throwable t = fetch(FileSecretProvider.builder().path(f).field("token").build());
    assertThat(t).as("what a 2000-deep JSON secret gives").isInstanceOf(SecretFormatException.class);
    assertThat(t.getMessage()).contains("token");
    assertThat(Canaries.findIn(String.valueOf(t))).isEmpty();
  }

  @Test
  void hugeNumberInJsonSecret_isAFormatError() throws Exception {
    Path f = dir.resolve("creds.json");
    Files.writeString(f, "{\"n\":" + "9".repeat(5000) + ",\"token\":\"" + TestTokens.apiAccessToken() + "\"}");
    Throwable t = fetch(FileSecretProvider.builder().path(f).field("token").build());
    // Jackson refuses numbers longer than 1000 digits, even ones not asked for.
    assertThat(t).isInstanceOf(SecretFormatException.class).hasMessageContaining("too deep or too long");
    assertThat(Canaries.findIn(String.valueOf(t))).isEmpty();
  }

  /**
   * Observation (passes): duplicate keys are accepted silently and the LAST one wins; a secret
   * edited by hand with an old and a new token picks one without a warning.
   */
  @Test
  void duplicateKeys_lastOneWins_asJacksonReadsThem() throws Exception {
    Path f = dir.resolve("dup.json");
    String a = TestTokens.apiAccessToken();
    String b = TestTokens.apiAccessToken();
    Files.writeString(f, "{\"token\":\"" + a + "\",\"token\":\"" + b + "\"}");
    assertThat(FileSecretProvider.builder().path(f).field("token").build().fetch().fingerprint())
        .isEqualTo(io.cartosecrets.Secret.of(b, "x").fingerprint());
  }

  /** Control (held up): a symlink loop is a typed SecretException that does not leak. */
  @Test
  void symlinkLoop_isATypedError() throws Exception {
    Path a = dir.resolve("a");
    Path b = dir.resolve("b");
    Files.createSymbolicLink(a, b);
    Files.createSymbolicLink(b, a);
    Throwable t = fetch(FileSecretProvider.of(a));
    assertThat(t).isInstanceOf(SecretException.class);
  }
}
