package io.cartosecrets.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy;
import static io.cartosecrets.testkit.canary.Leakproof.catchThrowableOfType;

import io.cartosecrets.testkit.canary.Leakproof;
import io.cartosecrets.ConfigurationException;
import io.cartosecrets.SecretAccessDeniedException;
import io.cartosecrets.SecretException;
import io.cartosecrets.SecretFormatException;
import io.cartosecrets.SecretNotFoundException;
import io.cartosecrets.SecretUnavailableException;
import io.cartosecrets.spi.SecretUri;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.vault.AppRole;
import io.cartosecrets.testkit.vault.VaultTokenSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every non-success becomes a typed exception that names the source and what is wrong, never a
 * secret or a response body; transient ones are retryable, the rest are not.
 */
class ErrorMappingTest {
  private final Fixture f = new Fixture();

  @AfterEach
  void close() {
    f.close();
  }

  private <T extends SecretException> T fetchFails(VaultSecretProvider.Builder b, Class<T> type) {
    try (VaultSecretProvider p = f.build(b)) {
      T e = catchThrowableOfType(type, p::fetch);
      assertThat(e).as("expected %s", type.getSimpleName()).isNotNull();
      assertThat(e.source()).isEqualTo(p.description());
      Leakproof.assertNoCanaryIn(e);
      return e;
    }
  }

  @Test
  void missingPolicy_isAccessDenied_namingThePathAndThePolicyItNeeds() {
    f.kv2WithToken();
    f.vault.policy("other", "kv/team/carto/data/staging", "read");
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("other"));

    SecretAccessDeniedException e =
        fetchFails(f.builder().mount(Fixture.MOUNT).kvVersion(2), SecretAccessDeniedException.class);

    assertThat(e.getMessage())
        .contains("Vault denied read on kv/team/carto/data/prod")
        .contains("403")
        .contains("path \"kv/team/carto/data/prod\" { capabilities = [\"read\"] }");
    assertThat(e.retryable()).isFalse();
    assertThat(e.errorCode()).contains("403");
  }

  @Test
  void noCapabilityUnderTheMount_failsDetection_withAccessDeniedSuggestingExplicitSettings() {
    f.kv2WithToken();
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("nothing"));

    SecretAccessDeniedException e = fetchFails(f.builder(), SecretAccessDeniedException.class);

    assertThat(e.getMessage()).contains("which mount holds kv/team/carto/prod").contains("mount=", "kv=");
  }

  @Test
  void noSecretAtThePath_isNotFound() {
    f.kv2WithToken();
    f.vault.policy("all", "kv/team/carto/*", "read");
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("all"));

    SecretNotFoundException e = fetchFails(
        VaultSecretProvider.builder("kv/team/carto/missing").clock(f.clock), SecretNotFoundException.class);

    assertThat(e.getMessage()).contains("no secret at kv/team/carto/data/missing");
    assertThat(e.retryable()).isFalse();
    assertThat(e.errorCode()).contains("404");
  }

  @Test
  void softDeletedLatestVersion_isNotFound_sayingDeletedAndHowToUndelete() {
    f.kv2WithToken();
    f.vault.write(Fixture.PATH, Map.of("api_token", TestTokens.apiAccessToken()));
    f.vault.softDelete(Fixture.PATH);
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("carto-read"));

    SecretNotFoundException e = fetchFails(f.builder(), SecretNotFoundException.class);

    assertThat(e.getMessage()).contains("version 2 of kv/team/carto/data/prod was deleted").contains("undelete");
  }

  @Test
  void undeletedVersion_isReadableAgain() {
    f.kv2WithToken();
    String second = TestTokens.apiAccessToken();
    f.vault.write(Fixture.PATH, Map.of("api_token", second));
    f.vault.softDelete(Fixture.PATH);
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("carto-read"));
    try (VaultSecretProvider p = f.build(f.builder())) {
      assertThatThrownBy(p::fetch).isInstanceOf(SecretNotFoundException.class);

      f.vault.undelete(Fixture.PATH, 2);

      assertThat(p.fetch().reveal()).isEqualTo(second);
    }
  }

  @Test
  void destroyedPinnedVersion_isNotFound_sayingDestroyed() {
    f.kv2WithToken();
    f.vault.write(Fixture.PATH, Map.of("api_token", TestTokens.apiAccessToken()));
    f.vault.destroy(Fixture.PATH, 1);
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("carto-read"));

    SecretNotFoundException e = fetchFails(f.builder().version(1), SecretNotFoundException.class);

    assertThat(e.getMessage()).contains("version 1 of kv/team/carto/data/prod was destroyed")
        .contains("pin another one");
  }

  @Test
  void pinnedVersionThatDoesNotExist_isNotFound() {
    f.kv2WithToken();
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("carto-read"));

    SecretNotFoundException e = fetchFails(f.builder().version(7), SecretNotFoundException.class);

    assertThat(e.getMessage()).contains("no secret at version 7 of kv/team/carto/data/prod");
  }

  @Test
  void secretWithEmptyData_isAFormatError() {
    f.kv2WithToken();
    f.vault.write(Fixture.PATH, Map.of());
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("carto-read"));

    SecretFormatException e = fetchFails(f.builder(), SecretFormatException.class);

    assertThat(e.getMessage()).contains("kv/team/carto/data/prod has no data");
  }

  @Test
  void missingField_isAFormatError_namingTheField() {
    f.kv2WithToken();
    f.vault.write(Fixture.PATH, Map.of("token", TestTokens.apiAccessToken()));
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("carto-read"));

    SecretFormatException e = fetchFails(f.builder(), SecretFormatException.class);

    assertThat(e.field()).contains("api_token");
    assertThat(e.getMessage()).contains("no field 'api_token'");
  }

  @Test
  void nonStringField_isAFormatError_namingItsType() {
    f.kv2WithToken();
    f.vault.write(Fixture.PATH, Map.of("api_token", 42, "other", TestTokens.secret()));
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("carto-read"));

    SecretFormatException e = fetchFails(f.builder(), SecretFormatException.class);

    assertThat(e.getMessage()).contains("is a number, not a string");
  }

  @Test
  void emptyStringField_isAFormatError() {
    f.kv2WithToken();
    f.vault.write(Fixture.PATH, Map.of("api_token", "  ", "other", TestTokens.secret()));
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("carto-read"));

    assertThat(fetchFails(f.builder(), SecretFormatException.class).getMessage()).contains("empty");
  }

  @Test
  void kv1ConfiguredOnAKv2Mount_isNotFound_withVaultsHintPassedOn() {
    f.kv2WithToken();
    f.vault.policy("carto-read", "kv/team/carto/prod", "read");
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("carto-read"));

    SecretNotFoundException e = fetchFails(f.builder().kvVersion(1), SecretNotFoundException.class);

    assertThat(e.getMessage()).contains("the mount is KV v2");
  }

  @Test
  void kv2ConfiguredOnAKv1Mount_isNotFound_suggestingKv1() {
    f.vault.mountKv("legacy", 1);
    f.vault.write("legacy/carto", Map.of("token", TestTokens.apiAccessToken()));
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("root"));

    SecretNotFoundException e = fetchFails(
        VaultSecretProvider.builder("legacy/carto").mount("legacy").kvVersion(2).clock(f.clock),
        SecretNotFoundException.class);

    assertThat(e.getMessage()).contains("no secret at legacy/data/carto").contains("set kv=1");
  }

  @Test
  void versionPinOnADetectedKv1Mount_isNotFound_explainingKv1HasNoVersions() {
    f.vault.mountKv("legacy", 1);
    f.vault.write("legacy/carto", Map.of("token", TestTokens.apiAccessToken()));
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("root"));

    SecretNotFoundException e = fetchFails(
        VaultSecretProvider.builder("legacy/carto").version(2).clock(f.clock), SecretNotFoundException.class);

    assertThat(e.getMessage()).contains("KV v1 mount, which has no versions");
  }

  @Test
  void sealedVault_isUnavailableAndRetryable_andWorksOnceUnsealed() {
    String token = f.kv2WithToken();
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("carto-read"));
    try (VaultSecretProvider p = f.build(f.builder())) {
      assertThat(p.fetch().reveal()).isEqualTo(token);
      f.vault.seal();

      SecretUnavailableException e = catchThrowableOfType(SecretUnavailableException.class, p::fetch);

      assertThat(e.retryable()).isTrue();
      assertThat(e.getMessage()).contains("503").contains("sealed");
      assertThat(e.errorCode()).contains("503");
      Leakproof.assertNoCanaryIn(e);
      f.vault.unseal();
      assertThat(p.fetch().reveal()).isEqualTo(token);
    }
  }

  @Test
  void serverError_isUnavailableAndRetryable_withoutTheResponseBody() {
    f.kv2WithToken();
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("carto-read"));
    try (VaultSecretProvider p = f.build(f.builder().mount(Fixture.MOUNT).kvVersion(2))) {
      p.fetch();
      f.vault.failNext(1, 500);

      SecretUnavailableException e = catchThrowableOfType(SecretUnavailableException.class, p::fetch);

      assertThat(e.retryable()).isTrue();
      assertThat(e.getMessage()).contains("Vault answered 500").doesNotContain("errors").doesNotContain("internal error");
      assertThat(e.getCause()).isNull();
      assertThat(e.errorCode()).contains("500");
    }
  }

  @Test
  void rateLimited_isUnavailableAndRetryable() {
    f.kv2WithToken();
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("carto-read"));
    try (VaultSecretProvider p = f.build(f.builder().mount(Fixture.MOUNT).kvVersion(2))) {
      p.fetch();
      f.vault.failNext(1, 429);

      SecretUnavailableException e = catchThrowableOfType(SecretUnavailableException.class, p::fetch);

      assertThat(e.getMessage()).contains("429").contains("rate limited");
    }
  }

  @Test
  void connectionRefused_isUnavailableAndRetryable_namingTheAddress() {
    f.kv2WithToken();
    f.readerTokenInEnv(VaultTokenSpec.withPolicies("carto-read"));
    f.vault.close();

    SecretUnavailableException e = fetchFails(f.builder(), SecretUnavailableException.class);

    assertThat(e.retryable()).isTrue();
    assertThat(e.getMessage()).contains("could not reach Vault at " + f.vault.address());
    assertThat(e.getCause()).isInstanceOf(IOException.class);
    assertThat(e.errorCode()).isEmpty();
  }

  @Test
  void appRoleWithAWrongSecretId_isAccessDenied_naming_theLoginAndWhatToCheck(@TempDir Path dir) {
    f.kv2WithToken();
    AppRole role = f.vault.appRole("carto", VaultTokenSpec.withPolicies("carto-read"));
    role.newSecretId();
    Path roleId = Fixture.write(dir.resolve("role_id"), role.roleId());
    Path secretId = Fixture.write(dir.resolve("secret_id"), TestTokens.secret());

    SecretAccessDeniedException e =
        fetchFails(f.builder().auth(VaultAuth.appRole(roleId, secretId)), SecretAccessDeniedException.class);

    assertThat(e.getMessage()).contains("AppRole login at auth/approle").contains("(400)")
        .contains("check the role id and secret id");
  }

  @Test
  void kubernetesLoginWithAnUnknownRole_isAccessDenied(@TempDir Path dir) {
    f.kv2WithToken();
    String jwt = f.vault.kubernetesRole("carto", VaultTokenSpec.withPolicies("carto-read")).newServiceAccountJwt();
    Path jwtFile = Fixture.write(dir.resolve("token"), jwt);

    SecretAccessDeniedException e = fetchFails(
        f.builder().auth(VaultAuth.kubernetes("not-carto", jwtFile)), SecretAccessDeniedException.class);

    assertThat(e.getMessage()).contains("Kubernetes login as role not-carto at auth/kubernetes");
  }

  @Test
  void kubernetesLoginWithAnUnacceptedServiceAccountToken_isAccessDenied(@TempDir Path dir) {
    f.kv2WithToken();
    f.vault.kubernetesRole("carto", VaultTokenSpec.withPolicies("carto-read"));
    Path jwtFile = Fixture.write(dir.resolve("token"), TestTokens.apiAccessToken());

    SecretAccessDeniedException e =
        fetchFails(f.builder().auth(VaultAuth.kubernetes("carto", jwtFile)), SecretAccessDeniedException.class);

    assertThat(e.getMessage()).contains("(403)").contains("bound to this pod's service account");
  }

  @Test
  void loginAtAnAuthMountThatDoesNotExist_isNotFound(@TempDir Path dir) {
    f.kv2WithToken();
    AppRole role = f.vault.appRole("carto", VaultTokenSpec.withPolicies("carto-read"));
    Path roleId = Fixture.write(dir.resolve("role_id"), role.roleId());
    Path secretId = Fixture.write(dir.resolve("secret_id"), role.newSecretId());

    SecretNotFoundException e = fetchFails(
        f.builder().auth(VaultAuth.appRole(roleId, secretId).atMount("approle-ci")), SecretNotFoundException.class);

    assertThat(e.getMessage()).contains("no auth method is mounted").contains("auth/approle-ci");
  }

  @Test
  void unsetVaultToken_isNotFound_namingTheVariable() {
    f.kv2WithToken();

    SecretNotFoundException e = catchThrowableOfType(SecretNotFoundException.class, () -> {
      try (VaultSecretProvider p = f.build(f.builder())) {
        p.fetch();
      }
    });

    assertThat(e.source()).isEqualTo("env:VAULT_TOKEN");
    assertThat(e.getMessage()).contains("not set");
  }

  @Test
  void missingServiceAccountTokenFile_isNotFound_namingTheFile(@TempDir Path dir) {
    f.kv2WithToken();
    Path jwtFile = dir.resolve("absent");

    SecretNotFoundException e = catchThrowableOfType(SecretNotFoundException.class, () -> {
      try (VaultSecretProvider p = f.build(f.builder().auth(VaultAuth.kubernetes("carto", jwtFile)))) {
        p.fetch();
      }
    });

    assertThat(e.source()).isEqualTo("file:" + jwtFile);
  }

  @Test
  void configurationMistakes_failAtBuild_withMessagesThatSayWhatIsWrong() {
    f.env.remove("VAULT_ADDR");
    assertThatThrownBy(() -> f.build(f.builder())).isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("VAULT_ADDR");
    assertThatThrownBy(() -> f.build(f.builder().address("http://vault.example.com:8200")))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("plain http");
    assertThatThrownBy(() -> f.build(f.builder().address("https://vault.example.com").skipTlsVerification(true)))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("only for a loopback");
    assertThatThrownBy(() -> f.build(f.builder().address("https://user:pw@vault.example.com")))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("must not carry a query, fragment or user info").hasMessageNotContaining("pw");
    assertThatThrownBy(() -> VaultSecretProvider.builder("carto")).isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("names the mount and the secret");
    assertThatThrownBy(() -> VaultSecretProvider.builder("kv//carto")).isInstanceOf(ConfigurationException.class);
    assertThatThrownBy(() -> f.builder().mount("kv/other")).isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("not a leading part");
    assertThatThrownBy(() -> f.builder().kvVersion(3)).isInstanceOf(ConfigurationException.class);
    f.env.put("VAULT_ADDR", f.vault.address());
    assertThatThrownBy(() -> f.build(f.builder().kvVersion(1).version(2)))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("only on KV v2");
    assertThatThrownBy(() -> VaultAuth.token().atMount("x")).isInstanceOf(ConfigurationException.class);
    f.env.put("VAULT_CLIENT_TIMEOUT", "soon");
    assertThatThrownBy(() -> f.build(f.builder())).isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("VAULT_CLIENT_TIMEOUT");
  }

  @Test
  void uriMistakes_failWithConfigurationErrors_thatNeverEchoAValue() {
    String secretId = TestTokens.secret();
    assertThatThrownBy(() -> VaultSecretProvider.fromUri(SecretUri.parse("vault:kv/carto?regoin=x"), f.env::get))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("unknown parameter 'regoin'");
    assertThatThrownBy(() -> VaultSecretProvider.fromUri(SecretUri.parse("vault:kv/carto?kv=two"), f.env::get))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("non-numeric kv");
    assertThatThrownBy(() -> VaultSecretProvider.fromUri(SecretUri.parse("vault:kv/carto?auth=ldap"), f.env::get))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("unknown auth 'ldap'");
    assertThatThrownBy(() -> VaultSecretProvider.fromUri(SecretUri.parse("vault:kv/carto?auth=kubernetes"), f.env::get))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("gives no role");
    assertThatThrownBy(() -> VaultSecretProvider.fromUri(SecretUri.parse("vault:kv/carto?role_id=r"), f.env::get))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("gives no secret_id");
    Throwable pasted = catchThrowableOfType(ConfigurationException.class, () -> VaultSecretProvider.fromUri(
        SecretUri.parse("vault:kv/carto?role_id=r&secret_id=" + secretId), f.env::get));
    assertThat(pasted).hasMessageContaining("a token value was given where a reference");
    Leakproof.assertNoCanaryIn(pasted);
  }
}
