package io.cartosecrets.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.catchThrowableOfType;

import io.cartosecrets.testkit.canary.Leakproof;
import io.cartosecrets.testkit.FakeClock;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.vault.FakeVault;
import io.cartosecrets.testkit.vault.VaultTokenSpec;
import io.github.jopenlibs.vault.Vault;
import io.github.jopenlibs.vault.VaultConfig;
import io.github.jopenlibs.vault.VaultException;
import io.github.jopenlibs.vault.api.WriteOptions;
import io.github.jopenlibs.vault.response.AuthResponse;
import io.github.jopenlibs.vault.response.LogicalResponse;
import io.github.jopenlibs.vault.response.LookupResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Vault stand-in, driven by the real driver over HTTP for the endpoints the provider itself
 * does not use: writes with check-and-set, lists, version delete / undelete / destroy, metadata,
 * {@code sys/mounts}, token lookup and renewal limits, policies and namespace isolation. These are
 * what tests use to set up and rotate secrets the way an operator would.
 */
class FakeVaultProtocolTest {
  private final FakeClock clock = new FakeClock();
  private final FakeVault fake = FakeVault.start(clock);

  @AfterEach
  void close() {
    fake.close();
  }

  private Vault driver(String token, int kv, int prefixDepth, String namespace) throws VaultException {
    VaultConfig c = new VaultConfig().address(fake.address()).token(token).prefixPathDepth(prefixDepth);
    if (namespace != null) {
      c.nameSpace(namespace);
    }
    return Vault.create(c.build(), kv);
  }

  @Test
  void kv2WritesWithCheckAndSet_listsAndVersionOperations_behaveLikeVault() throws VaultException {
    fake.mountKv("kv/team/carto", 2);
    Vault v = driver(fake.rootToken(), 2, 3, null);
    String first = TestTokens.apiAccessToken();
    String second = TestTokens.apiAccessToken();

    LogicalResponse w1 = v.logical().write("kv/team/carto/prod", Map.of("api_token", first));
    LogicalResponse w2 = v.logical().write("kv/team/carto/prod", Map.of("api_token", second), null,
        new WriteOptions().checkAndSet(1L));
    LogicalResponse stale = v.logical().write("kv/team/carto/prod", Map.of("api_token", first), null,
        new WriteOptions().checkAndSet(1L));

    assertThat(w1.getRestResponse().getStatus()).isEqualTo(200);
    assertThat(w1.getData()).containsEntry("version", "1");
    assertThat(w2.getData()).containsEntry("version", "2");
    assertThat(stale.getRestResponse().getStatus()).isEqualTo(400);
    assertThat(fake.root().currentVersion("kv/team/carto/prod")).isEqualTo(2);
    assertThat(v.logical().list("kv/team/carto").getListData()).containsExactly("prod");

    v.logical().delete("kv/team/carto/prod", new int[] {2});
    LogicalResponse deleted = v.logical().read("kv/team/carto/prod");
    assertThat(deleted.getRestResponse().getStatus()).isEqualTo(404);
    assertThat(deleted.getDataMetadata().getMetadataMap().get("deletion_time")).isNotEmpty();

    v.logical().unDelete("kv/team/carto/prod", new int[] {2});
    assertThat(v.logical().read("kv/team/carto/prod").getData().get("api_token").equals(second)).isTrue();

    v.logical().destroy("kv/team/carto/prod", new int[] {1});
    LogicalResponse destroyed = v.logical().read("kv/team/carto/prod", true, 1);
    assertThat(destroyed.getRestResponse().getStatus()).isEqualTo(404);
    assertThat(destroyed.getDataMetadata().getMetadataMap()).containsEntry("destroyed", "true");
    assertThat(destroyed.getData()).isEmpty();
  }

  @Test
  void kv1WritesReadsListsAndDeletes() throws VaultException {
    fake.mountKv("legacy", 1);
    Vault v = driver(fake.rootToken(), 1, 1, null);
    String token = TestTokens.apiAccessToken();

    assertThat(v.logical().write("legacy/carto", Map.of("token", token)).getRestResponse().getStatus()).isEqualTo(204);
    LogicalResponse read = v.logical().read("legacy/carto");
    assertThat(read.getData().get("token").equals(token)).isTrue();
    assertThat(read.getLeaseDuration()).isEqualTo(VaultTokenSpec.SYSTEM_MAX_TTL.toSeconds());
    assertThat(v.logical().list("legacy").getListData()).containsExactly("carto");

    v.logical().delete("legacy/carto");
    assertThat(v.logical().read("legacy/carto").getRestResponse().getStatus()).isEqualTo(404);
  }

  @Test
  void sysMounts_needsReadOnSysMounts_andReportsKvVersionsPerMount() throws VaultException {
    fake.mountKv("kv/team/carto", 2).mountKv("legacy", 1);

    Map<String, String> versions = driver(fake.rootToken(), 1, 1, null).getSecretEngineVersions();

    assertThat(versions).containsEntry("kv/team/carto/", "2").containsEntry("legacy/", "1");
    String app = fake.createToken(VaultTokenSpec.withPolicies("carto-read"));
    assertThat(driver(app, 1, 1, null).getSecretEngineVersions()).isNull();
    assertThat(fake.requestsTo("sys/mounts")).extracting(r -> r.status()).containsExactly(200, 403);
  }

  @Test
  void tokenLookupAndRenewal_followTheClock_andStopAtTheMaximumTtl() throws VaultException {
    String token = fake.createToken(VaultTokenSpec.withPolicies("p").ttl(Duration.ofHours(1)).maxTtl(Duration.ofMinutes(90)));
    Vault v = driver(token, 1, 1, null);
    clock.advance(Duration.ofMinutes(20));

    LookupResponse lookup = v.auth().lookupSelf();
    assertThat(lookup.getTTL()).isEqualTo(Duration.ofMinutes(40).toSeconds());
    assertThat(lookup.isRenewable()).isTrue();
    assertThat(lookup.getPolicies()).containsExactly("default", "p");

    AuthResponse renewed = v.auth().renewSelf(3600);
    assertThat(renewed.getAuthLeaseDuration()).isEqualTo(3600);
    clock.advance(Duration.ofMinutes(40));
    AuthResponse capped = v.auth().renewSelf(3600);
    assertThat(capped.getAuthLeaseDuration()).isEqualTo(Duration.ofMinutes(30).toSeconds());

    clock.advance(Duration.ofMinutes(30));
    VaultException expired = catchThrowableOfType(VaultException.class, () -> v.auth().lookupSelf());
    assertThat(expired.getHttpStatusCode()).isEqualTo(403);
  }

  @Test
  void nonRenewableToken_getsA400OnRenewal() throws VaultException {
    String token = fake.createToken(VaultTokenSpec.withPolicies("p").renewable(false));

    VaultException e = catchThrowableOfType(VaultException.class, () -> driver(token, 1, 1, null).auth().renewSelf(60));

    assertThat(e.getHttpStatusCode()).isEqualTo(400);
  }

  @Test
  void policies_matchExactPathsAndGlobs_mostSpecificWins_andDenyOverrides() throws VaultException {
    fake.mountKv("kv", 2);
    fake.write("kv/team/carto/prod", Map.of("token", TestTokens.apiAccessToken()));
    fake.write("kv/team/carto/staging", Map.of("token", TestTokens.apiAccessToken()));
    fake.policy("team", "kv/data/team/*", "read").policy("team", "kv/data/team/carto/staging", "deny");
    Vault v = driver(fake.createToken(VaultTokenSpec.withPolicies("team")), 2, 1, null);

    assertThat(v.logical().read("kv/team/carto/prod").getRestResponse().getStatus()).isEqualTo(200);
    assertThat(v.logical().read("kv/team/carto/staging").getRestResponse().getStatus()).isEqualTo(403);
    assertThat(v.logical().write("kv/team/carto/prod", Map.of("token", "x")).getRestResponse().getStatus())
        .isEqualTo(403);
  }

  @Test
  void namespaces_areIsolated_tokensWorkOnlyInTheirOwn() throws VaultException {
    FakeVault.Namespace a = fake.namespace("team-a");
    a.mountKv("secret", 2);
    a.write("secret/carto", Map.of("token", TestTokens.apiAccessToken()));
    String tokenA = a.createToken(VaultTokenSpec.withPolicies("root"));

    assertThat(driver(tokenA, 2, 1, "team-a").logical().read("secret/carto").getRestResponse().getStatus())
        .isEqualTo(200);
    assertThat(driver(tokenA, 2, 1, null).logical().read("secret/carto").getRestResponse().getStatus())
        .isEqualTo(403);
    assertThat(driver(fake.rootToken(), 2, 1, "team-a").logical().read("secret/carto").getRestResponse().getStatus())
        .isEqualTo(403);
  }

  @Test
  void everyRequestIsRecorded_withoutSecrets() throws VaultException {
    fake.mountKv("secret", 2);
    driver(fake.rootToken(), 2, 1, null).logical().write("secret/carto", Map.of("token", TestTokens.apiAccessToken()));

    assertThat(fake.requests()).singleElement().satisfies(r -> {
      assertThat(r.method()).isEqualTo("POST");
      assertThat(r.path()).isEqualTo("secret/data/carto");
      assertThat(r.bodyFields()).containsExactly("data");
      assertThat(r.tokenAccessor()).isEqualTo(fake.accessorOf(fake.rootToken()));
      assertThat(r.vaultRequestHeader()).isTrue();
      Leakproof.assertNoCanaryIn("recorded request", r.toString());
    });
  }
}
