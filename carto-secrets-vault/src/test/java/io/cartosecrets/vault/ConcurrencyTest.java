package io.cartosecrets.vault;

import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.Secret;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.vault.AppRole;
import io.cartosecrets.testkit.vault.FakeVault;
import io.cartosecrets.testkit.vault.RecordedVaultRequest;
import io.cartosecrets.testkit.vault.VaultTokenSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many threads reading at once: login, renewal, replacement and mount detection happen once, and
 * providers with different settings never disturb each other (the driver's configuration is shared
 * mutable state, which the provider never changes per call).
 */
class ConcurrencyTest {
  private static final int THREADS = 24;

  private final Fixture f = new Fixture();
  private final ExecutorService pool = Executors.newFixedThreadPool(THREADS);
  @TempDir Path dir;
  private String carto;
  private AppRole role;

  @BeforeEach
  void setUp() {
    carto = f.kv2WithToken();
    role = f.vault.appRole("carto", VaultTokenSpec.withPolicies("carto-read").ttl(Duration.ofHours(1)));
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    pool.shutdownNow();
    assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    f.close();
  }

  private VaultSecretProvider appRoleProvider() {
    return f.build(f.builder().auth(VaultAuth.appRole(
        Fixture.write(dir.resolve("role_id"), role.roleId()),
        Fixture.write(dir.resolve("secret_id"), role.newSecretId()))));
  }

  /** Runs {@code task} on every thread at the same moment and returns the results. */
  private <T> List<T> together(Callable<T> task) throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    List<Future<T>> futures = new ArrayList<>();
    for (int i = 0; i < THREADS; i++) {
      futures.add(pool.submit(() -> {
        start.await();
        return task.call();
      }));
    }
    start.countDown();
    List<T> results = new ArrayList<>();
    for (Future<T> fu : futures) {
      results.add(fu.get(30, TimeUnit.SECONDS));
    }
    return results;
  }

  @Test
  void concurrentFirstUse_logsInOnce_andDetectsTheMountOnce() throws Exception {
    try (VaultSecretProvider p = appRoleProvider()) {
      List<Secret> secrets = together(p::fetch);

      assertThat(secrets).hasSize(THREADS).allSatisfy(s -> assertThat(s.reveal()).isEqualTo(carto));
    }
    assertThat(f.vault.requestsTo("/login")).hasSize(1);
    assertThat(f.vault.requests(r -> r.path().startsWith("sys/internal/ui/mounts/"))).hasSize(1);
    assertThat(f.vault.requestsTo("data/prod")).hasSize(THREADS);
  }

  @Test
  void concurrentReadersInsideTheRenewalWindow_causeExactlyOneRenewal() throws Exception {
    try (VaultSecretProvider p = appRoleProvider()) {
      p.fetch();
      f.clock.advance(Duration.ofMinutes(45));

      List<Secret> secrets = together(p::fetch);

      assertThat(secrets).allSatisfy(s -> assertThat(s.reveal()).isEqualTo(carto));
    }
    assertThat(f.vault.requestsTo("auth/token/renew-self")).hasSize(1);
    assertThat(f.vault.requestsTo("/login")).hasSize(1);
  }

  @Test
  void concurrentReadersOfARevokedToken_causeExactlyOneNewLogin() throws Exception {
    try (VaultSecretProvider p = appRoleProvider()) {
      p.fetch();
      List<RecordedVaultRequest> reads = f.vault.requestsTo("data/prod");
      f.vault.revokeAccessor(reads.get(0).tokenAccessor().orElseThrow());

      List<Secret> secrets = together(p::fetch);

      assertThat(secrets).allSatisfy(s -> assertThat(s.reveal()).isEqualTo(carto));
    }
    assertThat(f.vault.requestsTo("/login")).hasSize(2);
  }

  @Test
  void readersDuringRotation_seeTheOldOrANewValue_neverAnError() throws Exception {
    Set<String> written = ConcurrentHashMap.newKeySet();
    written.add(carto);
    try (VaultSecretProvider p = appRoleProvider()) {
      p.fetch();
      Future<?> writer = pool.submit(() -> {
        for (int i = 0; i < 20; i++) {
          String next = TestTokens.apiAccessToken();
          written.add(next);
          f.vault.write(Fixture.PATH, Map.of("api_token", next));
        }
      });

      List<List<String>> seen = together(() -> {
        List<String> values = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
          values.add(p.fetch().reveal());
        }
        return values;
      });
      writer.get(30, TimeUnit.SECONDS);

      assertThat(seen).allSatisfy(values -> assertThat(written).containsAll(values));
      assertThat(p.fetch().version()).contains("21");
    }
  }

  @Test
  void providersWithDifferentNamespacesAndVersions_readConcurrently_withoutDisturbingEachOther() throws Exception {
    String second = TestTokens.apiAccessToken();
    f.vault.write(Fixture.PATH, Map.of("api_token", second));
    FakeVault.Namespace ns = f.vault.namespace("team-a");
    ns.mountKv(Fixture.MOUNT, 2);
    String inNamespace = TestTokens.apiAccessToken();
    ns.write(Fixture.PATH, Map.of("api_token", inNamespace));
    ns.policy("carto-read", Fixture.API_PATH, "read");
    AppRole nsRole = ns.appRole("approle", "carto", VaultTokenSpec.withPolicies("carto-read"));

    try (VaultSecretProvider latest = appRoleProvider();
        VaultSecretProvider pinned = f.build(f.builder().version(1).auth(VaultAuth.appRole(
            Fixture.write(dir.resolve("role_id_1"), role.roleId()),
            Fixture.write(dir.resolve("secret_id_1"), role.newSecretId()))));
        VaultSecretProvider namespaced = f.build(f.builder().namespace("team-a").auth(VaultAuth.appRole(
            Fixture.write(dir.resolve("role_id_ns"), nsRole.roleId()),
            Fixture.write(dir.resolve("secret_id_ns"), nsRole.newSecretId()))))) {
      VaultSecretProvider[] providers = {latest, pinned, namespaced};
      String[] expected = {second, carto, inNamespace};

      List<Boolean> ok = together(() -> {
        boolean all = true;
        for (int i = 0; i < 9; i++) {
          int which = (int) (Thread.currentThread().getId() + i) % 3;
          all &= providers[which].fetch().reveal().equals(expected[which]);
        }
        return all;
      });

      assertThat(ok).containsOnly(true);
    }
  }
}
