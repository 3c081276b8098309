package io.cartosecrets.vault;

import io.cartosecrets.testkit.FakeClock;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.vault.FakeVault;
import io.cartosecrets.testkit.vault.VaultTokenSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * One Vault stand-in on a fake clock, an environment map standing in for the process environment,
 * and shortcuts for the setups most tests share.
 */
final class Fixture implements AutoCloseable {
  static final String PATH = "kv/team/carto/prod";
  static final String MOUNT = "kv/team/carto";
  static final String API_PATH = "kv/team/carto/data/prod";

  final FakeClock clock = new FakeClock();
  final FakeVault vault = FakeVault.start(clock);
  final Map<String, String> env = new HashMap<>();

  Fixture() {
    env.put("VAULT_ADDR", vault.address());
  }

  /** A KV v2 mount at kv/team/carto holding an API Access Token at prod#api_token; returns the token. */
  String kv2WithToken() {
    vault.mountKv(MOUNT, 2);
    String token = TestTokens.apiAccessToken();
    vault.write(PATH, Map.of("api_token", token, "owner", "team-carto"));
    vault.policy("carto-read", API_PATH, "read");
    return token;
  }

  /** A token allowed to read the secret, in VAULT_TOKEN. */
  String readerTokenInEnv(VaultTokenSpec spec) {
    String t = vault.createToken(spec);
    env.put("VAULT_TOKEN", t);
    return t;
  }

  VaultSecretProvider.Builder builder() {
    return VaultSecretProvider.builder(PATH).field("api_token").clock(clock);
  }

  VaultSecretProvider build(VaultSecretProvider.Builder b) {
    return b.build(env::get);
  }

  static Path write(Path file, String content) {
    try {
      Files.writeString(file, content);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    vault.close();
  }
}
