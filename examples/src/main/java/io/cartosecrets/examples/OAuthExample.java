package io.cartosecrets.examples;

import io.cartosecrets.ApiAccessToken;
import io.cartosecrets.CartoAuthenticationException;
import io.cartosecrets.CartoClient;
import io.cartosecrets.CartoOAuthProvider;
import io.cartosecrets.CartoToken;
import io.cartosecrets.Secret;
import io.cartosecrets.SecretProvider;
import io.cartosecrets.TokenProvider;
import io.cartosecrets.TokenSpec;
import io.cartosecrets.env.FileSecretProvider;
import io.cartosecrets.testkit.FakeCartoServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * M2M OAuth: exchanges client credentials kept in secret files for an OAuth access token, queries
 * with it, then uses the Tokens API to create a narrowly scoped API Access Token, uses that, and
 * deletes it.
 *
 * <p>By default it runs against an embedded stand-in CARTO with a freshly registered client. With
 * {@code CARTO_CLIENT_ID} and {@code CARTO_CLIENT_SECRET} set (and {@code CARTO_API_BASE_URL} for
 * your region) it runs {@code CartoClient.fromEnvironment()} against real CARTO and only lists your
 * tokens, changing nothing.
 */
public final class OAuthExample {
  private OAuthExample() {}

  public static void main(String[] args) throws IOException {
    if (System.getenv("CARTO_CLIENT_ID") != null) {
      try (CartoClient carto = CartoClient.fromEnvironment()) {
        System.out.println("OAuth token: " + carto.tokenProvider().currentToken());
        carto.tokens().list().forEach(t -> System.out.println("  " + t));
      }
      return;
    }
    Path dir = Files.createTempDirectory("carto-secrets-oauth");
    try (FakeCartoServer server = FakeCartoServer.start()) {
      FakeCartoServer.OAuthClient registered = server.registerOAuthClient();
      // The client credentials live in files, as a secret manager or Kubernetes would mount them.
      Path id = write(dir.resolve("client_id"), registered.clientId());
      Path secret = write(dir.resolve("client_secret"), registered.clientSecret());

      CartoOAuthProvider oauth =
          CartoOAuthProvider.builder()
              .clientId(FileSecretProvider.of(id))
              .clientSecret(FileSecretProvider.of(secret))
              .tokenUrl(server.oauthTokenUrl())
              .build();
      try (CartoClient admin = CartoClient.builder().baseUrl(server.baseUrl()).secretProvider(oauth).build()) {
        System.out.println("Token source: " + oauth.description());
        System.out.println("OAuth token:  " + admin.tokenProvider().currentToken());
        System.out.println("SQL as the OAuth identity: "
            + admin.sql("carto_dw").query("SELECT COUNT(*) AS n FROM cities").rows());

        ApiAccessToken created =
            admin.tokens().create(TokenSpec.builder().grant("carto_dw", "cities").allowedApis("sql").build());
        System.out.println("Created " + created);

        try (CartoClient app =
            CartoClient.builder().baseUrl(server.baseUrl()).tokenProvider(TokenProvider.uncached(fixed(created.token()))).build()) {
          System.out.println("SQL with the new token: "
              + app.sql("carto_dw").query("SELECT name FROM cities ORDER BY name LIMIT 2").rows());
          admin.tokens().delete(created.token());
          System.out.println("Deleted it; the next query is refused:");
          try {
            app.sql("carto_dw").query("SELECT name FROM cities LIMIT 1");
          } catch (CartoAuthenticationException e) {
            System.out.println("  " + e.getClass().getSimpleName() + ": " + e.error());
          }
        }
        System.out.println("Token exchanges so far: " + server.oauthTokenRequests());
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  // For the demo only: a token just created through the API, held in memory. In an application
  // it would be written to a secret store and read back through that store's provider.
  private static SecretProvider fixed(CartoToken token) {
    return new SecretProvider() {
      @Override
      public Secret fetch() {
        return token.secret();
      }

      @Override
      public String description() {
        return "memory:created-token";
      }
    };
  }

  private static Path write(Path file, String value) throws IOException {
    Files.writeString(file, value + "\n");
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException notPosix) {
      // Windows: the temp directory is private to the user already.
    }
    return file;
  }
}
