package io.cartosecrets.examples;

import io.cartosecrets.CartoClient;
import io.cartosecrets.RefreshingTokenProvider;
import io.cartosecrets.SqlResult;
import io.cartosecrets.TokenEvent;
import io.cartosecrets.env.FileSecretProvider;
import io.cartosecrets.testkit.FakeCartoServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Loads a CARTO token from a secret file, runs a SQL query, rotates the token under the running
 * client, and queries again.
 *
 * <p>With no configuration it starts an embedded stand-in CARTO server ({@link FakeCartoServer}) and
 * writes a freshly minted token to a temporary secret file: no account, no network. With {@code
 * CARTO_API_BASE_URL} set it runs one query against that CARTO instead, with the token from {@code
 * CARTO_TOKEN_SOURCE} (a reference such as {@code file:/run/secrets/carto_token}) or {@code
 * CARTO_API_TOKEN}; {@code CARTO_CONNECTION} and {@code CARTO_SQL} pick the connection and query.
 */
public final class QuickStart {
  private QuickStart() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    if (System.getenv("CARTO_API_BASE_URL") != null) {
      againstCarto();
    } else {
      embedded();
    }
  }

  private static void againstCarto() {
    String connection = envOr("CARTO_CONNECTION", "carto_dw");
    String sql = envOr("CARTO_SQL", "SELECT 1 AS one");
    try (CartoClient carto = CartoClient.fromEnvironment()) {
      System.out.println("Token source: " + carto.tokenProvider().description());
      print(carto.sql(connection).query(sql));
      System.out.println("Token: " + carto.tokenProvider().currentToken());
    }
  }

  private static void embedded() throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("carto-secrets-quickstart");
    Path secretFile = dir.resolve("carto_token");
    try (FakeCartoServer server = FakeCartoServer.start()) {
      // The token exists only in the secret file and in the server: never in this code.
      String first = server.mintToken();
      writeSecret(secretFile, first);
      System.out.println("Stand-in CARTO at " + server.baseUrl() + ", token in " + secretFile);

      CountDownLatch rotated = new CountDownLatch(1);
      RefreshingTokenProvider tokens =
          RefreshingTokenProvider.builder(FileSecretProvider.of(secretFile))
              .listener(e -> {
                printEvent(e);
                if (e.type() == TokenEvent.Type.ROTATED) {
                  rotated.countDown();
                }
              })
              .build();
      try (CartoClient carto = CartoClient.builder().baseUrl(server.baseUrl()).tokenProvider(tokens).build()) {
        String sql = "SELECT name, country, population FROM cities ORDER BY population DESC LIMIT 3";
        print(carto.sql("carto_dw").query(sql));
        System.out.println("Used token " + tokens.currentToken());

        System.out.println("\nRotating: a new token goes into the secret file, then the old one is revoked...");
        String second = server.mintToken();
        writeSecret(secretFile, second);
        server.revokeToken(first);

        print(carto.sql("carto_dw").query(sql));
        // Listeners run just after the callers a fetch served are released, on the fetching
        // thread: wait for the rotation event, so that it is printed before the summary.
        if (!rotated.await(5, TimeUnit.SECONDS)) {
          System.out.println("(no rotation event within 5 s)");
        }
        System.out.println("Used token " + tokens.currentToken());
        System.out.println("Counters: " + tokens.metrics());
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Replaces the file atomically, as secret managers and Kubernetes do, readable by the owner only. */
  private static void writeSecret(Path file, String token) throws IOException {
    Path tmp = Files.createTempFile(file.getParent(), ".carto_token", ".tmp");
    try {
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException notPosix) {
      // Windows: the temp directory is private to the user already.
    }
    Files.writeString(tmp, token + "\n");
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static void printEvent(TokenEvent e) {
    switch (e.type()) {
      case LOADED:
        System.out.println("[event] token loaded: fp=" + e.fingerprint().orElse("?"));
        break;
      case ROTATED:
        System.out.println(
            "[event] token rotated: fp=" + e.previousFingerprint().orElse("?") + " -> fp=" + e.fingerprint().orElse("?"));
        break;
      default:
        System.out.println("[event] " + e);
    }
  }

  private static void print(SqlResult result) {
    System.out.println(result.rowCount() + " rows:");
    result.rows().forEach(row -> System.out.println("  " + row));
  }

  private static String envOr(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
  }
}
