package io.cartosecrets.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.catchThrowableOfType;

import io.cartosecrets.testkit.canary.Leakproof;
import io.cartosecrets.SecretAccessDeniedException;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.vault.AppRole;
import io.cartosecrets.testkit.vault.FakeVault;
import io.cartosecrets.testkit.vault.KubernetesRole;
import io.cartosecrets.testkit.vault.RecordedVaultRequest;
import io.cartosecrets.testkit.vault.VaultTokenSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Vault token's life on a fake clock shared with the stand-in: login, renewal inside the
 * window, re-login when renewal cannot help, replacement after Vault rejects a token.
 */
class TokenLifecycleTest {
  private final Fixture f = new Fixture();
  @TempDir Path dir;
  private String carto;

  @BeforeEach
  void secret() {
    carto = f.kv2WithToken();
  }

  @AfterEach
  void close() {
    f.close();
  }

  private VaultAuth appRole(AppRole role) {
    return VaultAuth.appRole(
        Fixture.write(dir.resolve("role_id"), role.roleId() + "\n"),
        Fixture.write(dir.resolve("secret_id"), role.newSecretId() + "\n"));
  }

  private List<RecordedVaultRequest> logins() {
    return f.vault.requestsTo("/login");
  }

  private List<RecordedVaultRequest> renewals() {
    return f.vault.requestsTo("auth/token/renew-self");
  }

  /** The accessor of the token the last KV read used. */
  private String lastReadAccessor() {
    List<RecordedVaultRequest> reads = f.vault.requestsTo("data/prod");
    return reads.get(reads.size() - 1).tokenAccessor().orElseThrow();
  }

  @Test
  void appRole_logsInOnce_andLaterReadsReuseTheToken() {
    AppRole role = f.vault.appRole("carto", VaultTokenSpec.withPolicies("carto-read"));
    try (VaultSecretProvider p = f.build(f.builder().auth(appRole(role)))) {
      for (int i = 0; i < 3; i++) {
        assertThat(p.fetch().reveal()).isEqualTo(carto);
        f.clock.advance(Duration.ofMinutes(5));
      }
    }
    assertThat(logins()).singleElement().satisfies(r -> {
      assertThat(r.path()).isEqualTo("auth/approle/login");
      assertThat(r.bodyFields()).containsExactlyInAnyOrder("role_id", "secret_id");
      assertThat(r.tokenPresented()).isFalse();
    });
    assertThat(renewals()).isEmpty();
  }

  @Test
  void loginToken_isRenewedOnTheFirstReadInsideTheLastThirdOfItsTtl_keepingTheSameToken() {
    AppRole role = f.vault.appRole("carto", VaultTokenSpec.withPolicies("carto-read").ttl(Duration.ofHours(1)));
    try (VaultSecretProvider p = f.build(f.builder().auth(appRole(role)))) {
      p.fetch();
      String accessor = lastReadAccessor();
      f.clock.advance(Duration.ofMinutes(39));
      p.fetch();
      assertThat(renewals()).isEmpty();

      f.clock.advance(Duration.ofMinutes(2));
      assertThat(p.fetch().reveal()).isEqualTo(carto);

      assertThat(renewals()).singleElement().satisfies(r -> {
        assertThat(r.tokenAccessor()).contains(accessor);
        assertThat(r.bodyFields()).containsExactly("increment");
        assertThat(r.status()).isEqualTo(200);
      });
      assertThat(lastReadAccessor()).isEqualTo(accessor);
      assertThat(logins()).hasSize(1);
    }
  }

  @Test
  void renewBefore_movesTheRenewalWindow() {
    AppRole role = f.vault.appRole("carto", VaultTokenSpec.withPolicies("carto-read").ttl(Duration.ofHours(1)));
    try (VaultSecretProvider p = f.build(f.builder().auth(appRole(role)).renewBefore(Duration.ofMinutes(5)))) {
      p.fetch();
      f.clock.advance(Duration.ofMinutes(54));
      p.fetch();
      assertThat(renewals()).isEmpty();

      f.clock.advance(Duration.ofMinutes(2));
      p.fetch();

      assertThat(renewals()).hasSize(1);
    }
  }

  @Test
  void renewalCutShortByTheMaxTtl_leadsToANewLoginOnceInsideTheWindow() {
    AppRole role = f.vault.appRole("carto",
        VaultTokenSpec.withPolicies("carto-read").ttl(Duration.ofHours(1)).maxTtl(Duration.ofMinutes(70)));
    try (VaultSecretProvider p = f.build(f.builder().auth(appRole(role)))) {
      p.fetch();
      String first = lastReadAccessor();
      f.clock.advance(Duration.ofMinutes(45));
      p.fetch();
      // Vault granted 25 minutes instead of the hour asked for: the maximum TTL is near.
      assertThat(renewals()).hasSize(1);
      assertThat(logins()).hasSize(1);

      f.clock.advance(Duration.ofMinutes(6));
      assertThat(p.fetch().reveal()).isEqualTo(carto);

      assertThat(renewals()).hasSize(1);
      assertThat(logins()).hasSize(2);
      assertThat(lastReadAccessor()).isNotEqualTo(first);
    }
  }

  @Test
  void renewalReturningATtlInsideTheWindow_logsInAgainInTheSameRead() {
    AppRole role = f.vault.appRole("carto",
        VaultTokenSpec.withPolicies("carto-read").ttl(Duration.ofHours(1)).maxTtl(Duration.ofMinutes(50)));
    try (VaultSecretProvider p = f.build(f.builder().auth(appRole(role)))) {
      p.fetch();
      String first = lastReadAccessor();
      f.clock.advance(Duration.ofMinutes(34));

      assertThat(p.fetch().reveal()).isEqualTo(carto);

      assertThat(renewals()).hasSize(1);
      assertThat(logins()).hasSize(2);
      assertThat(lastReadAccessor()).isNotEqualTo(first);
    }
  }

  @Test
  void nonRenewableLoginToken_isReplacedByANewLogin_beforeItExpires() {
    AppRole role = f.vault.appRole("carto",
        VaultTokenSpec.withPolicies("carto-read").ttl(Duration.ofMinutes(30)).renewable(false));
    try (VaultSecretProvider p = f.build(f.builder().auth(appRole(role)))) {
      p.fetch();
      f.clock.advance(Duration.ofMinutes(21));

      p.fetch();

      assertThat(renewals()).isEmpty();
      assertThat(logins()).hasSize(2);
      assertThat(f.vault.requests(r -> r.status() == 403)).isEmpty();
    }
  }

  @Test
  void tokenThatExpiredWhileNobodyRead_isReplacedWithoutARenewalAttemptOrA403() {
    AppRole role = f.vault.appRole("carto", VaultTokenSpec.withPolicies("carto-read").ttl(Duration.ofMinutes(10)));
    try (VaultSecretProvider p = f.build(f.builder().auth(appRole(role)))) {
      p.fetch();
      f.clock.advance(Duration.ofHours(2));

      assertThat(p.fetch().reveal()).isEqualTo(carto);

      assertThat(renewals()).isEmpty();
      assertThat(logins()).hasSize(2);
      assertThat(f.vault.requests(r -> r.status() == 403)).isEmpty();
    }
  }

  @Test
  void revokedLoginToken_gets403InvalidToken_andTheProviderLogsInAgainOnce() {
    AppRole role = f.vault.appRole("carto", VaultTokenSpec.withPolicies("carto-read"));
    try (VaultSecretProvider p = f.build(f.builder().auth(appRole(role)))) {
      p.fetch();
      f.vault.revokeAccessor(lastReadAccessor());

      assertThat(p.fetch().reveal()).isEqualTo(carto);

      assertThat(logins()).hasSize(2);
      assertThat(f.vault.requests(r -> r.status() == 403)).singleElement()
          .satisfies(r -> assertThat(r.path()).isEqualTo(Fixture.API_PATH));
    }
  }

  @Test
  void appRoleSecretIdFile_isReadAgainAtEachLogin_soARotatedSecretIdIsUsed() {
    AppRole role = f.vault.appRole("carto", VaultTokenSpec.withPolicies("carto-read"));
    try (VaultSecretProvider p = f.build(f.builder().auth(appRole(role)))) {
      p.fetch();
      role.revokeSecretIds();
      Fixture.write(dir.resolve("secret_id"), role.newSecretId());
      f.vault.revokeAccessor(lastReadAccessor());

      assertThat(p.fetch().reveal()).isEqualTo(carto);

      assertThat(logins()).extracting(RecordedVaultRequest::status).containsExactly(200, 200);
    }
  }

  @Test
  void kubernetesLogin_readsTheServiceAccountTokenFileAgainAtEachLogin() {
    KubernetesRole role = f.vault.kubernetesRole("carto", VaultTokenSpec.withPolicies("carto-read"));
    Path jwt = Fixture.write(dir.resolve("token"), role.newServiceAccountJwt());
    try (VaultSecretProvider p = f.build(f.builder().auth(VaultAuth.kubernetes("carto", jwt)))) {
      assertThat(p.fetch().reveal()).isEqualTo(carto);
      role.revokeServiceAccountJwts();
      Fixture.write(jwt, role.newServiceAccountJwt());
      f.vault.revokeAccessor(lastReadAccessor());

      assertThat(p.fetch().reveal()).isEqualTo(carto);
    }
    assertThat(logins()).allSatisfy(r -> {
      assertThat(r.path()).isEqualTo("auth/kubernetes/login");
      assertThat(r.bodyFields()).containsExactlyInAnyOrder("role", "jwt");
      assertThat(r.status()).isEqualTo(200);
    }).hasSize(2);
  }

  @Test
  void kubernetesLogin_atACustomMountAndInANamespace() {
    FakeVault.Namespace ns = f.vault.namespace("team-a");
    ns.mountKv(Fixture.MOUNT, 2);
    String token = TestTokens.apiAccessToken();
    ns.write(Fixture.PATH, Map.of("api_token", token));
    ns.policy("carto-read", Fixture.API_PATH, "read");
    KubernetesRole role = ns.kubernetesRole("k8s-prod", "carto", VaultTokenSpec.withPolicies("carto-read"));
    Path jwt = Fixture.write(dir.resolve("token"), role.newServiceAccountJwt());

    try (VaultSecretProvider p = f.build(
        f.builder().namespace("team-a").auth(VaultAuth.kubernetes("carto", jwt).atMount("auth/k8s-prod/")))) {
      assertThat(p.fetch().reveal()).isEqualTo(token);
    }
    assertThat(logins()).singleElement().satisfies(r -> {
      assertThat(r.path()).isEqualTo("auth/k8s-prod/login");
      assertThat(r.namespace()).isEqualTo("team-a");
    });
  }

  @Test
  void vaultTokenFromTheEnvironment_isLookedUp_andRenewedBeforeItExpires() {
    String token = f.readerTokenInEnv(VaultTokenSpec.withPolicies("carto-read").ttl(Duration.ofHours(1)));
    try (VaultSecretProvider p = f.build(f.builder())) {
      p.fetch();
      assertThat(f.vault.requestsTo("auth/token/lookup-self")).hasSize(1);
      f.clock.advance(Duration.ofMinutes(45));

      p.fetch();

      assertThat(renewals()).singleElement()
          .satisfies(r -> assertThat(r.tokenAccessor()).isEqualTo(f.vault.accessorOf(token)));
      assertThat(f.vault.remainingTtl(token)).contains(Duration.ofHours(1));
    }
  }

  @Test
  void revokedVaultTokenFromTheEnvironment_isAccessDenied_sayingNoOtherTokenCanBeHad() {
    String token = f.readerTokenInEnv(VaultTokenSpec.withPolicies("carto-read"));
    try (VaultSecretProvider p = f.build(f.builder())) {
      p.fetch();
      f.vault.revokeToken(token);

      SecretAccessDeniedException e = catchThrowableOfType(SecretAccessDeniedException.class, p::fetch);

      assertThat(e.getMessage()).contains("rejected the token from env:VAULT_TOKEN")
          .contains("cannot obtain another one");
      Leakproof.assertNoCanaryIn(e);
    }
  }

  @Test
  void vaultAgentTokenFile_isReadAgainWhenVaultRejectsTheToken_andNeverRenewedByTheProvider() {
    String first = f.vault.createToken(VaultTokenSpec.withPolicies("carto-read"));
    Path sink = Fixture.write(dir.resolve("sink"), first + "\n");
    try (VaultSecretProvider p = f.build(f.builder().auth(VaultAuth.tokenFile(sink)))) {
      p.fetch();
      // Vault Agent logs in again and rewrites its sink; the old token is revoked.
      String second = f.vault.createToken(VaultTokenSpec.withPolicies("carto-read"));
      Fixture.write(sink, second + "\n");
      f.vault.revokeToken(first);
      f.clock.advance(Duration.ofMinutes(50));

      assertThat(p.fetch().reveal()).isEqualTo(carto);

      assertThat(lastReadAccessor()).isEqualTo(f.vault.accessorOf(second).orElseThrow());
    }
    assertThat(renewals()).isEmpty();
    assertThat(f.vault.requestsTo("auth/token/lookup-self")).allSatisfy(r -> assertThat(r.status()).isEqualTo(403));
  }

  @Test
  void vaultAgentTokenFile_stillHoldingTheRejectedToken_isAccessDenied() {
    String first = f.vault.createToken(VaultTokenSpec.withPolicies("carto-read"));
    Path sink = Fixture.write(dir.resolve("sink"), first);
    try (VaultSecretProvider p = f.build(f.builder().auth(VaultAuth.tokenFile(sink)))) {
      p.fetch();
      f.vault.revokeToken(first);

      SecretAccessDeniedException e = catchThrowableOfType(SecretAccessDeniedException.class, p::fetch);

      assertThat(e.getMessage()).contains("file:" + sink).contains("still holds the same token");
    }
  }

  @Test
  void renewalFailingTransiently_keepsTheStillValidToken_andTriesAgainOnlyAfterAPause() {
    AppRole role = f.vault.appRole("carto", VaultTokenSpec.withPolicies("carto-read").ttl(Duration.ofHours(1)));
    try (VaultSecretProvider p = f.build(f.builder().auth(appRole(role)))) {
      p.fetch();
      f.clock.advance(Duration.ofMinutes(41));
      f.vault.failNext(1, 500);

      assertThat(p.fetch().reveal()).isEqualTo(carto);
      assertThat(p.fetch().reveal()).isEqualTo(carto);
      assertThat(renewals()).extracting(RecordedVaultRequest::status).containsExactly(500);

      f.clock.advance(VaultSecretProvider.RENEW_RETRY);
      p.fetch();

      assertThat(renewals()).extracting(RecordedVaultRequest::status).containsExactly(500, 200);
      assertThat(logins()).hasSize(1);
    }
  }
}
