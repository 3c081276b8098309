package io.cartosecrets.examples;

import io.cartosecrets.CartoClient;
import io.cartosecrets.CartoSecretsException;
import io.cartosecrets.CartoToken;
import io.cartosecrets.RefreshingTokenProvider;
import io.cartosecrets.SqlResult;
import io.cartosecrets.TokenEvent;
import io.cartosecrets.env.FileSecretProvider;
import io.cartosecrets.testkit.FakeCartoServer;
import io.cartosecrets.testkit.vault.AppRole;
import io.cartosecrets.testkit.vault.FakeVault;
import io.cartosecrets.testkit.vault.VaultTokenSpec;
import io.cartosecrets.vault.VaultAuth;
import io.cartosecrets.vault.VaultSecretProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Loads the CARTO token from HashiCorp Vault (KV v2 at a nested mount, AppRole login), queries
 * CARTO, rotates the token by writing a new KV version, and queries again.
 *
 * <p>With no configuration it starts an embedded Vault stand-in ({@link FakeVault}) and an embedded
 * CARTO stand-in ({@link FakeCartoServer}): no account, no network.
 *
 * <p>With {@code VAULT_ADDR} set it reads from that Vault instead: the path comes from the first
 * argument or {@code CARTO_VAULT_PATH} (e.g. {@code kv/team/carto/prod}, mount included), the field
 * from {@code CARTO_VAULT_FIELD} (default {@code token}); it authenticates with AppRole when {@code
 * VAULT_ROLE_ID} and {@code VAULT_SECRET_ID_FILE} are set, with Kubernetes when {@code
 * VAULT_K8S_ROLE} is set, else with {@code VAULT_TOKEN}. {@code VAULT_NAMESPACE}, {@code
 * VAULT_CACERT} and {@code VAULT_CLIENT_TIMEOUT} apply as for the Vault CLI. It prints the loaded
 * token's label (never the token), and runs {@code CARTO_SQL} (default {@code SELECT 1 AS one}) on
 * {@code CARTO_CONNECTION} when {@code CARTO_API_BASE_URL} is set too.
 */
public final class VaultExample {
  private static final String PATH = "kv/team/carto/prod";
  private static final String SQL = "SELECT name, country, population FROM cities ORDER BY population DESC LIMIT 3";

  private VaultExample() {}

  public static void main(String[] args) throws IOException {
    if (System.getenv("VAULT_ADDR") != null) {
      againstVault(args.length > 0 ? args[0] : System.getenv("CARTO_VAULT_PATH"));
    } else {
      embedded();
    }
  }

  private static void againstVault(String path) {
    if (path == null || path.isBlank()) {
      System.err.println("Give the secret's path (mount included) as the first argument or in CARTO_VAULT_PATH");
      System.exit(2);
    }
    VaultAuth auth;
    if (System.getenv("VAULT_ROLE_ID") != null && System.getenv("VAULT_SECRET_ID_FILE") != null) {
      auth = VaultAuth.appRole(System.getenv("VAULT_ROLE_ID"),
          FileSecretProvider.of(Path.of(System.getenv("VAULT_SECRET_ID_FILE"))));
    } else if (System.getenv("VAULT_K8S_ROLE") != null) {
      auth = VaultAuth.kubernetes(System.getenv("VAULT_K8S_ROLE"));
    } else {
      auth = VaultAuth.token();
    }
    VaultSecretProvider vault = VaultSecretProvider.builder(path)
        .field(envOr("CARTO_VAULT_FIELD", "token"))
        .auth(auth)
        .build();
    System.out.println("Reading " + vault.description() + " with " + auth);
    try (RefreshingTokenProvider tokens = RefreshingTokenProvider.builder(vault).listener(VaultExample::printEvent).build()) {
      CartoToken token = tokens.currentToken();
      System.out.println("Loaded " + token);
      String baseUrl = System.getenv("CARTO_API_BASE_URL");
      if (baseUrl != null) {
        try (CartoClient carto = CartoClient.builder().baseUrl(baseUrl).tokenProvider(tokens).build()) {
          print(carto.sql(envOr("CARTO_CONNECTION", "carto_dw")).query(envOr("CARTO_SQL", "SELECT 1 AS one")));
        }
      }
    } catch (CartoSecretsException e) {
      // The message names the path and what to fix; it never holds a token.
      System.err.println("Failed: " + e.getMessage());
      System.exit(1);
    }
  }

  private static void embedded() throws IOException {
    Path dir = Files.createTempDirectory("carto-secrets-vault-example");
    try (FakeCartoServer carto = FakeCartoServer.start(); FakeVault vault = FakeVault.start()) {
      // What an operator would do once with the Vault CLI:
      //   vault secrets enable -path=kv/team/carto -version=2 kv
      //   vault kv put kv/team/carto/prod api_token=...
      //   vault policy write carto-read - <<< 'path "kv/team/carto/data/prod" { capabilities = ["read"] }'
      //   vault write auth/approle/role/carto token_policies=carto-read token_ttl=1h token_max_ttl=24h
      String first = carto.mintToken();
      vault.mountKv("kv/team/carto", 2);
      vault.write(PATH, Map.of("api_token", first));
      vault.policy("carto-read", "kv/team/carto/data/prod", "read");
      AppRole role = vault.appRole("carto", VaultTokenSpec.withPolicies("carto-read"));
      // What a deployment delivers to the application: the role id and a secret id, as files.
      Path roleId = writePrivate(dir.resolve("role_id"), role.roleId());
      Path secretId = writePrivate(dir.resolve("secret_id"), role.newSecretId());
      System.out.println("Stand-in Vault at " + vault.address() + ", stand-in CARTO at " + carto.baseUrl());

      VaultSecretProvider source = VaultSecretProvider.builder(PATH)
          .address(vault.address())
          .field("api_token")
          .auth(VaultAuth.appRole(roleId, secretId))
          .build();
      RefreshingTokenProvider tokens =
          RefreshingTokenProvider.builder(source).listener(VaultExample::printEvent).build();
      try (CartoClient client = CartoClient.builder().baseUrl(carto.baseUrl()).tokenProvider(tokens).build()) {
        print(client.sql(FakeCartoServer.DEFAULT_CONNECTION).query(SQL));
        System.out.println("Used " + tokens.currentToken());

        System.out.println("\nRotating: a new KV version holds a new token...");
        vault.write(PATH, Map.of("api_token", carto.mintToken()));
        // The cache checks Vault every 5 minutes; refreshNow() is that check, done at once.
        tokens.refreshNow();
        carto.revokeToken(first);
        print(client.sql(FakeCartoServer.DEFAULT_CONNECTION).query(SQL));
        System.out.println("Used " + tokens.currentToken());
        System.out.println("Counters: " + tokens.metrics());
        System.out.println("\nRequests Vault saw:");
        vault.requests().forEach(r -> System.out.println("  " + r));
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static Path writePrivate(Path file, String value) throws IOException {
    Files.createFile(file);
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException notPosix) {
      // Windows: the temp directory is private to the user already.
    }
    Files.writeString(file, value + "\n");
    return file;
  }

  private static void printEvent(TokenEvent e) {
    switch (e.type()) {
      case LOADED:
        System.out.println("[event] token loaded: fp=" + e.fingerprint().orElse("?"));
        break;
      case ROTATED:
        System.out.println("[event] token rotated: fp=" + e.previousFingerprint().orElse("?")
            + " -> fp=" + e.fingerprint().orElse("?"));
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
