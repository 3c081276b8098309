package io.cartosecrets.vault;

import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.Secret;
import io.cartosecrets.SecretProvider;
import io.cartosecrets.SecretProviders;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.vault.FakeVault;
import io.cartosecrets.testkit.vault.RecordedVaultRequest;
import io.cartosecrets.testkit.vault.VaultTokenSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the provider reads: KV v1 and v2, nested mounts, detection, versions, fields, namespaces. */
class KvReadTest {
  private final Fixture f = new Fixture();

  @AfterEach
  void close() {
    f.close();
  }

  private List<String> paths() {
    return f.vault.requests().stream().map(RecordedVaultRequest::path).collect(Collectors.toList());
  }

  @Test
  void nestedKv2Mount_isDetected_andDataSegmentGoesAfterTheWholeMount() {
    String token = f.kv2WithToken();
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("carto-read"));

    try (VaultSecretProvider p = f.build(f.builder())) {
      Secret s = p.fetch();

      assertThat(s.reveal()).isEqualTo(token);
      assertThat(s.version()).contains("1");
      assertThat(s.source()).isEqualTo("vault:kv/team/carto/prod#api_token");
    }
    assertThat(paths())
        .containsSubsequence("sys/internal/ui/mounts/kv/team/carto/prod", "kv/team/carto/data/prod")
        .doesNotContain("kv/data/team/carto/prod");
  }

  @Test
  void explicitMountAndKv2_readWithoutAnyDetectionRequest() {
    String token = f.kv2WithToken();
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("carto-read"));

    try (VaultSecretProvider p = f.build(f.builder().mount("kv/team/carto").kvVersion(2))) {
      assertThat(p.fetch().reveal()).isEqualTo(token);
    }
    assertThat(paths()).noneMatch(path -> path.startsWith("sys/"));
    assertThat(paths()).contains("kv/team/carto/data/prod");
  }

  @Test
  void kv1Mount_isDetected_andReadByItsPlainPath_withAContentHashAsVersion() {
    f.vault.mountKv("legacy", 1);
    String token = TestTokens.apiAccessToken();
    f.vault.write("legacy/carto", Map.of("token", token));
    f.vault.policy("legacy-read", "legacy/carto", "read");
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("legacy-read"));

    try (VaultSecretProvider p = f.build(VaultSecretProvider.builder("legacy/carto").clock(f.clock))) {
      Secret s = p.fetch();

      assertThat(s.reveal()).isEqualTo(token);
      assertThat(s.version()).contains("sha256:" + s.fingerprint());
      assertThat(p.description()).isEqualTo("vault:legacy/carto#token");
    }
    assertThat(paths()).contains("legacy/carto").noneMatch(path -> path.contains("/data/"));
  }

  @Test
  void explicitKv1_needsNoDetection() {
    f.vault.mountKv("legacy", 1);
    String token = TestTokens.apiAccessToken();
    f.vault.write("legacy/carto", Map.of("token", token));
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("root"));

    try (VaultSecretProvider p = f.build(VaultSecretProvider.builder("legacy/carto").kvVersion(1).clock(f.clock))) {
      assertThat(p.fetch().reveal()).isEqualTo(token);
    }
    assertThat(paths()).noneMatch(path -> path.startsWith("sys/"));
  }

  @Test
  void pinnedVersion_readsThatVersionEvenAfterNewerOnesAreWritten() {
    String first = f.kv2WithToken();
    f.vault.write(Fixture.PATH, Map.of("api_token", TestTokens.apiAccessToken()));
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("carto-read"));

    try (VaultSecretProvider p = f.build(f.builder().version(1))) {
      Secret s = p.fetch();

      assertThat(s.reveal()).isEqualTo(first);
      assertThat(s.version()).contains("1");
      assertThat(p.description()).endsWith("?version=1");
    }
    assertThat(f.vault.requestsTo("data/prod")).singleElement()
        .satisfies(r -> assertThat(r.query()).containsEntry("version", "1"));
  }

  @Test
  void defaultField_isToken_andDottedFieldsWalkIntoNestedObjects() {
    f.vault.mountKv("secret", 2);
    String plain = TestTokens.apiAccessToken();
    String nested = TestTokens.apiAccessToken();
    f.vault.write("secret/carto", Map.of("token", plain, "carto", Map.of("api_token", nested)));
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("root"));

    try (VaultSecretProvider byDefault = f.build(VaultSecretProvider.builder("secret/carto").clock(f.clock));
        VaultSecretProvider dotted =
            f.build(VaultSecretProvider.builder("secret/carto").field("carto.api_token").clock(f.clock))) {
      assertThat(byDefault.fetch().reveal()).isEqualTo(plain);
      assertThat(dotted.fetch().reveal()).isEqualTo(nested);
    }
  }

  @Test
  void refresh_returnsTheCurrentSecretItself_whenVersionAndValueAreUnchanged() {
    f.kv2WithToken();
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("carto-read"));

    try (VaultSecretProvider p = f.build(f.builder())) {
      Secret current = p.fetch();

      assertThat(p.refresh(current)).isSameAs(current);
    }
  }

  @Test
  void refresh_afterANewKv2Version_returnsTheNewTokenWithTheNewVersion() {
    f.kv2WithToken();
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("carto-read"));

    try (VaultSecretProvider p = f.build(f.builder())) {
      Secret current = p.fetch();
      String rotated = TestTokens.apiAccessToken();
      f.vault.write(Fixture.PATH, Map.of("api_token", rotated));

      Secret next = p.refresh(current);

      assertThat(next).isNotSameAs(current);
      assertThat(next.reveal()).isEqualTo(rotated);
      assertThat(next.version()).contains("2");
    }
  }

  @Test
  void refresh_onKv1_seesAChangedValueThroughItsContentHash() {
    f.vault.mountKv("legacy", 1);
    f.vault.write("legacy/carto", Map.of("token", TestTokens.apiAccessToken()));
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("root"));

    try (VaultSecretProvider p = f.build(VaultSecretProvider.builder("legacy/carto").clock(f.clock))) {
      Secret current = p.fetch();
      assertThat(p.refresh(current)).isSameAs(current);
      f.vault.write("legacy/carto", Map.of("token", TestTokens.apiAccessToken()));

      Secret next = p.refresh(current);

      assertThat(next.sameValueAs(current)).isFalse();
      assertThat(next.version()).isNotEqualTo(current.version());
    }
  }

  @Test
  void namespace_isSentAsHeader_andTheSecretIsReadInThatNamespace() {
    FakeVault.Namespace ns = f.vault.namespace("team-a");
    ns.mountKv(Fixture.MOUNT, 2);
    String token = TestTokens.apiAccessToken();
    ns.write(Fixture.PATH, Map.of("api_token", token));
    ns.policy("carto-read", Fixture.API_PATH, "read");
    f.env.put("VAULT_TOKEN", ns.createToken(VaultTokenSpec.withPolicies("carto-read")));

    try (VaultSecretProvider p = f.build(f.builder().namespace("team-a"))) {
      assertThat(p.fetch().reveal()).isEqualTo(token);
      assertThat(p.description()).isEqualTo("vault:kv/team/carto/prod#api_token?namespace=team-a");
    }
    assertThat(f.vault.requests()).allSatisfy(r -> assertThat(r.namespace()).isEqualTo("team-a"));
  }

  @Test
  void namespace_comesFromVaultNamespaceInTheEnvironment() {
    FakeVault.Namespace ns = f.vault.namespace("org/team-b");
    ns.mountKv("secret", 2);
    String token = TestTokens.apiAccessToken();
    ns.write("secret/carto", Map.of("token", token));
    f.env.put("VAULT_TOKEN", ns.createToken(VaultTokenSpec.withPolicies("root")));
    f.env.put("VAULT_NAMESPACE", "org/team-b/");

    try (VaultSecretProvider p = f.build(VaultSecretProvider.builder("secret/carto").clock(f.clock))) {
      assertThat(p.fetch().reveal()).isEqualTo(token);
    }
    assertThat(f.vault.requests()).allSatisfy(r -> assertThat(r.namespace()).isEqualTo("org/team-b"));
  }

  @Test
  void everyRequest_carriesTheVaultRequestHeader_andReadsCarryTheToken() {
    f.kv2WithToken();
    String token = f.readerTokenInEnv(VaultTokenSpec.withPolicies("carto-read"));

    try (VaultSecretProvider p = f.build(f.builder())) {
      p.fetch();
    }
    assertThat(f.vault.requests()).allSatisfy(r -> {
      assertThat(r.vaultRequestHeader()).isTrue();
      assertThat(r.tokenAccessor()).isEqualTo(f.vault.accessorOf(token));
    });
  }

  @Test
  void uriReference_isFoundThroughCoreDiscovery_andReadsTheField(@TempDir Path dir) {
    String token = f.kv2WithToken();
    Path tokenFile = Fixture.write(dir.resolve("vault-token"), f.vault.createToken(VaultTokenSpec.withPolicies("carto-read")) + "\n");

    try (SecretProvider p = SecretProviders.fromUri("vault:kv/team/carto/prod#api_token?kv=2&addr="
        + f.vault.address() + "&token_file=" + tokenFile)) {
      assertThat(p).isInstanceOf(VaultSecretProvider.class);
      assertThat(p.description()).isEqualTo("vault:kv/team/carto/prod#api_token");
      assertThat(p.fetch().reveal()).isEqualTo(token);
    }
  }

  @Test
  void uriReference_withMountAndKv_readsWithoutDetection(@TempDir Path dir) {
    String token = f.kv2WithToken();
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("carto-read"));

    try (VaultSecretProvider p = VaultSecretProvider.fromUri(
        io.cartosecrets.spi.SecretUri.parse("vault:kv/team/carto/prod#api_token?kv=2&mount=kv/team/carto"),
        f.env::get)) {
      assertThat(p.fetch().reveal()).isEqualTo(token);
    }
    assertThat(paths()).noneMatch(path -> path.startsWith("sys/"));
  }
}
