package io.cartosecrets.env;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cartosecrets.CartoToken;
import io.cartosecrets.ConfigurationException;
import io.cartosecrets.Secret;
import io.cartosecrets.SecretException;
import io.cartosecrets.SecretProviders;
import io.cartosecrets.testkit.Canaries;
import io.cartosecrets.testkit.LogCapture;
import io.cartosecrets.testkit.TestTokens;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Canary checks: values minted by {@link TestTokens} are put where the providers fail or succeed,
 * and no exception (message, toString, cause chain, stack trace), toString, log line or thread
 * name may contain one, in any encoding {@link Canaries} knows.
 */
class NoSecretLeakTest {
  @TempDir Path dir;

  @BeforeEach
  void clearLogs() {
    LogCapture.clear();
  }

  private static String everything(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    return t + "\n" + w;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(UTF_8);
  }

  static Stream<Arguments> badFiles() {
    return Stream.of(
        Arguments.of("two trailing newlines", (Supplier<byte[]>) () -> utf8(TestTokens.apiAccessToken() + "\n\n"), null),
        Arguments.of("NUL inside", (Supplier<byte[]>) () -> utf8(TestTokens.secret() + "\0" + TestTokens.secret()), null),
        Arguments.of("tab inside", (Supplier<byte[]>) () -> utf8(TestTokens.apiAccessToken() + "\t" + TestTokens.secret()), null),
        Arguments.of("byte order mark", (Supplier<byte[]>) () -> concat(new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf}, utf8(TestTokens.apiAccessToken())), null),
        Arguments.of("invalid UTF-8", (Supplier<byte[]>) () -> concat(utf8(TestTokens.apiAccessToken()), new byte[] {(byte) 0xff}, utf8(TestTokens.secret())), null),
        Arguments.of("over 1 MiB", (Supplier<byte[]>) () -> {
          byte[] big = new byte[io.cartosecrets.spi.SecretFiles.MAX_BYTES + 10];
          Arrays.fill(big, (byte) 'x');
          byte[] t = utf8(TestTokens.apiAccessToken());
          System.arraycopy(t, 0, big, 0, t.length);
          return big;
        }, null),
        Arguments.of("JSON field missing", (Supplier<byte[]>) () -> utf8("{\"other\":\"" + TestTokens.apiAccessToken() + "\"}"), "api_token"),
        Arguments.of("JSON field not a string", (Supplier<byte[]>) () -> utf8("{\"api_token\":[\"" + TestTokens.apiAccessToken() + "\"]}"), "api_token"),
        Arguments.of("JSON cut short", (Supplier<byte[]>) () -> utf8("{\"api_token\":\"" + TestTokens.apiAccessToken()), "api_token"),
        Arguments.of("not JSON at all", (Supplier<byte[]>) () -> utf8(TestTokens.apiAccessToken()), "api_token"),
        Arguments.of("JSON field with a newline", (Supplier<byte[]>) () -> utf8("{\"api_token\":\"" + TestTokens.apiAccessToken() + "\\n\"}"), "api_token"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badFiles")
  void unusableFileContent_failsWithoutEchoingIt(String what, Supplier<byte[]> content, String field)
      throws IOException {
    Path f = dir.resolve("carto_token");
    Files.write(f, content.get()); // default mode: also exercises the permission warning
    FileSecretProvider.Builder b = FileSecretProvider.builder().path(f);
    if (field != null) {
      b.field(field);
    }
    FileSecretProvider p = b.build();

    SecretException e = null;
    try {
      p.fetch();
    } catch (SecretException thrown) {
      e = thrown;
    }

    assertThat(e).as(what).isNotNull();
    assertThat(e.source()).startsWith("file:" + f);
    assertThat(Canaries.findIn(everything(e))).as("exception").isEmpty();
    assertThat(Canaries.findIn(p.toString())).isEmpty();
    assertThat(Canaries.findIn(LogCapture.allText())).as("logs").isEmpty();
  }

  static Stream<Arguments> badEnvValues() {
    return Stream.of(
        Arguments.of("two trailing newlines", (Supplier<String>) () -> TestTokens.apiAccessToken() + "\n\n"),
        Arguments.of("CR inside", (Supplier<String>) () -> TestTokens.apiAccessToken() + "\r" + TestTokens.secret()),
        Arguments.of("DEL inside", (Supplier<String>) () -> TestTokens.secret() + "\u007f"),
        Arguments.of("escape sequence", (Supplier<String>) () -> "\u001b[31m" + TestTokens.apiAccessToken()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badEnvValues")
  void unusableVariableValue_failsWithoutEchoingIt(String what, Supplier<String> value) {
    EnvSecretProvider p = EnvSecretProvider.builder()
        .environment(Map.of("CARTO_API_TOKEN", value.get()))
        .build();

    SecretException e = null;
    try {
      p.fetch();
    } catch (SecretException thrown) {
      e = thrown;
    }

    assertThat(e).as(what).isNotNull();
    assertThat(Canaries.findIn(everything(e))).isEmpty();
    assertThat(Canaries.findIn(LogCapture.allText())).isEmpty();
  }

  @Test
  void tokenPastedWhereAReferenceBelongs_isRefusedWithoutEchoEverywhere() {
    String token = TestTokens.apiAccessToken();
    for (String ref : new String[] {token, " " + token + "\n", "env:" + token, "file:" + token,
        "file:///run/secrets/" + token}) {
      ConfigurationException e = null;
      try {
        SecretProviders.fromUri(ref);
      } catch (ConfigurationException thrown) {
        e = thrown;
      }
      assertThat(e).isNotNull();
      assertThat(Canaries.findIn(everything(e))).isEmpty();
    }
    assertThat(Canaries.findIn(LogCapture.allText())).isEmpty();
  }

  @Test
  void readingWatchingAndRotating_leaveNoSecretInToStringsLogsOrThreadNames() throws Exception {
    String first = TestTokens.apiAccessToken();
    KubernetesSecretVolume vol = KubernetesSecretVolume.create(dir, "carto_token", first + "\n");
    Semaphore changes = new Semaphore(0);
    StringBuilder seen = new StringBuilder();
    try (FileSecretProvider p = FileSecretProvider.of(vol.file())) {
      Secret current = p.fetch();
      seen.append(current).append(CartoToken.of(current)).append(p);
      try (FileWatch w = (FileWatch) p.watch(changes::release)) {
        seen.append(w).append(w.threadName());
        for (int i = 0; i < 3; i++) {
          String next = TestTokens.apiAccessToken() + " "; // an edge space: warned, not echoed
          vol.update(next);
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
          do {
            assertThat(changes.tryAcquire(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)).isTrue();
            current = p.refresh(current);
          } while (!current.reveal().equals(next));
          // A value with an edge space is a valid Secret (warned about) but no valid CARTO token.
          seen.append(current);
          Secret withSpace = current;
          assertThatThrownBy(() -> CartoToken.of(withSpace))
              .isInstanceOf(io.cartosecrets.SecretFormatException.class)
              .satisfies(e -> seen.append(e.getMessage()).append(e));
        }
        for (Thread t : Thread.getAllStackTraces().keySet()) {
          seen.append(t.getName()).append('\n');
        }
      }
    }
    EnvSecretProvider env = EnvSecretProvider.builder()
        .environment(Map.of("CARTO_API_TOKEN", TestTokens.apiAccessToken()))
        .build();
    seen.append(env).append(env.fetch()).append(env.refresh(env.fetch()));

    assertThat(LogCapture.lines()).isNotEmpty(); // the permission and edge-space warnings at least
    assertThat(Canaries.findIn(seen.toString())).isEmpty();
    assertThat(Canaries.findIn(LogCapture.allText())).isEmpty();
  }
}
