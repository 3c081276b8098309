package io.cartosecrets.examples;

import io.cartosecrets.CartoClient;
import io.cartosecrets.SqlResult;
import io.cartosecrets.conjur.ConjurSecretProvider;
import io.cartosecrets.testkit.FakeCartoServer;
import io.cartosecrets.testkit.conjur.FakeConjur;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Queries CARTO with a token kept in a CyberArk Conjur variable, and keeps working across a
 * rotation.
 *
 * <p>By default everything runs on this machine: the Conjur and CARTO stand-ins from {@code
 * carto-secrets-testkit} take the place of Conjur and CARTO, and the provider talks to the first
 * over HTTPS, trusting its CA from a PEM file as {@code CONJUR_CERT_FILE} would. The example
 * stores a token, queries, rotates the variable, revokes the old token at CARTO, and queries again.
 *
 * <p>Against a real Conjur and CARTO, set Conjur's usual variables: {@code CONJUR_APPLIANCE_URL},
 * {@code CONJUR_ACCOUNT}, {@code CONJUR_CERT_FILE} (for a self-signed appliance), and to
 * authenticate either {@code CONJUR_AUTHN_LOGIN} and {@code CONJUR_AUTHN_API_KEY}, or {@code
 * CONJUR_AUTHN_JWT_SERVICE_ID} and {@code JWT_TOKEN_PATH}, or {@code CONJUR_AUTHN_TOKEN_FILE}; and
 * {@code CARTO_CONJUR_VARIABLE} (the variable id; or pass it as the first argument). Optionally
 * {@code CARTO_API_BASE_URL}, {@code CARTO_CONNECTION} (default {@code carto_dw}) and {@code
 * CARTO_SQL} (default {@code SELECT 1 AS ok}). The Conjur policy the application needs is in
 * {@code carto-secrets-conjur/README.md}.
 *
 * <pre>
 * mvn -q -pl examples -am compile exec:java -Dexec.mainClass=io.cartosecrets.examples.ConjurExample
 * </pre>
 */
public final class ConjurExample {
  private ConjurExample() {}

  public static void main(String[] args) throws IOException {
    String variable = args.length > 0 ? args[0] : env("CARTO_CONJUR_VARIABLE");
    if (env("CONJUR_APPLIANCE_URL") != null && variable != null) {
      againstConjur(variable);
    } else {
      System.out.println("CONJUR_APPLIANCE_URL and CARTO_CONJUR_VARIABLE are not both set: running against the local stand-ins.");
      againstStandIns();
    }
  }

  private static void againstConjur(String variable) {
    CartoClient.Builder client = CartoClient.builder().secretProvider(ConjurSecretProvider.fromEnvironment(variable));
    String baseUrl = env("CARTO_API_BASE_URL");
    if (baseUrl != null) {
      client.baseUrl(baseUrl);
    }
    String connection = env("CARTO_CONNECTION") != null ? env("CARTO_CONNECTION") : "carto_dw";
    String sql = env("CARTO_SQL") != null ? env("CARTO_SQL") : "SELECT 1 AS ok";
    try (CartoClient carto = client.build()) {
      SqlResult result = carto.sql(connection).query(sql);
      System.out.println("CARTO answered " + result.rowCount() + " row(s) at " + carto.baseUrl());
      // A token prints as its fingerprint, account and token id: never its value.
      System.out.println("token: " + carto.tokenProvider().currentToken());
    }
  }

  private static void againstStandIns() throws IOException {
    Path dir = Files.createTempDirectory("carto-secrets-conjur-example");
    try (FakeCartoServer cartoServer = FakeCartoServer.start(); FakeConjur conjur = FakeConjur.start()) {
      // What the Conjur policy in the module README sets up: a host that may read and execute one
      // variable. Its API key goes to a file, as a secret mount would provide it.
      String apiKey = conjur.addHost("myorg", "apps/carto-reporter");
      Path apiKeyFile = write(dir.resolve("conjur-api-key"), apiKey);
      Path caFile = conjur.writeCaCertificate(dir.resolve("conjur.pem"));
      conjur.permit("myorg", "host/apps/carto-reporter", "prod/carto/api-token", "read", "execute");
      String first = cartoServer.mintToken();
      conjur.setValue("myorg", "prod/carto/api-token", first);

      // Against a real Conjur this is ConjurSecretProvider.fromEnvironment("prod/carto/api-token").
      ConjurSecretProvider source = ConjurSecretProvider.builder()
          .applianceUrl(conjur.applianceUrl())
          .account("myorg")
          .certFile(caFile)
          .login("host/apps/carto-reporter")
          .apiKeyFile(apiKeyFile)
          .variable("prod/carto/api-token")
          .build();
      System.out.println("token source: " + source);

      try (CartoClient carto = CartoClient.builder().baseUrl(cartoServer.baseUrl()).secretProvider(source).build()) {
        query(carto);
        System.out.println("token: " + carto.tokenProvider().currentToken());

        // Rotation: a new token goes into the variable, then CARTO revokes the old one at once,
        // before the client's next scheduled check. The next request gets 401, the client reads
        // the variable again, and retries once with the new token.
        String second = cartoServer.mintToken();
        conjur.setValue("myorg", "prod/carto/api-token", second);
        cartoServer.revokeToken(first);
        System.out.println("rotated the variable and revoked the old token");

        query(carto);
        System.out.println("token: " + carto.tokenProvider().currentToken());
        System.out.println("Conjur: " + conjur.authentications() + " authentication(s), "
            + conjur.secretReads() + " variable read(s)");
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void query(CartoClient carto) {
    SqlResult result = carto.sql(FakeCartoServer.DEFAULT_CONNECTION)
        .query("SELECT name, country FROM cities ORDER BY population DESC LIMIT 3");
    System.out.println("largest cities: " + result.rows());
  }

  private static Path write(Path file, String text) {
    try {
      return Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String env(String name) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? null : v.trim();
  }
}
