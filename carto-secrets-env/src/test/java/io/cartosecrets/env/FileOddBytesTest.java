package io.cartosecrets.env;

import static io.cartosecrets.testkit.canary.Leakproof.catchThrowable;
import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.SecretFormatException;
import io.cartosecrets.testkit.TestTokens;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** NUL, BOM, non-UTF-8 and CR-only line endings in a secret file, whole and as a JSON field. */
class FileOddBytesTest {
  @TempDir Path dir;

  private Throwable read(byte[] content, String field) throws Exception {
    Path p = Files.write(dir.resolve("t" + System.nanoTime()), content);
    FileSecretProvider provider = field == null ? FileSecretProvider.of(p) : FileSecretProvider.builder().path(p.toString()).field(field).build();
    try (provider) {
      return catchThrowable(provider::fetch);
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void nul_bom_nonUtf8_crOnly_areFormatErrors() throws Exception {
    String t = TestTokens.apiAccessToken();
    assertThat(read(utf8(t + "\0"), null)).isInstanceOf(SecretFormatException.class);
    assertThat(read(utf8("\0" + t), null)).isInstanceOf(SecretFormatException.class);
    assertThat(read(utf8(t + "\r"), null)).isInstanceOf(SecretFormatException.class);
    assertThat(read(utf8("\uFEFF" + t), null)).isInstanceOf(SecretFormatException.class);
    ByteArrayOutputStream bad = new ByteArrayOutputStream();
    bad.writeBytes(utf8(t));
    bad.write(0xff);
    assertThat(read(bad.toByteArray(), null)).isInstanceOf(SecretFormatException.class);
    // UTF-16 with BOM, as Windows editors write it
    assertThat(read(t.getBytes(StandardCharsets.UTF_16), null)).isInstanceOf(SecretFormatException.class);
  }

  @Test
  void jsonField_withNulBomOrCr_isAFormatError() throws Exception {
    String t = TestTokens.apiAccessToken();
    assertThat(read(utf8("{\"token\":\"" + t + "\\u0000\"}"), "token")).isInstanceOf(SecretFormatException.class);
    assertThat(read(utf8("{\"token\":\"" + t + "\\r\"}"), "token")).isInstanceOf(SecretFormatException.class);
    assertThat(read(utf8("{\"token\":\"\\ufeff" + t + "\"}"), "token")).isInstanceOf(SecretFormatException.class);
    assertThat(read(utf8("{\"token\":\"\uFEFF" + t + "\"}"), "token")).isInstanceOf(SecretFormatException.class);
    // CR-only line endings in a JSON file are just whitespace to JSON
    assertThat(catchThrowable(() -> {
      Path p = Files.write(dir.resolve("cr.json"), utf8("{\r\"token\":\"" + t + "\"\r}\r"));
      try (FileSecretProvider fp = FileSecretProvider.builder().path(p.toString()).field("token").build()) {
        assertThat(fp.fetch().reveal()).isEqualTo(t);
      }
    })).isNull();
  }
}
