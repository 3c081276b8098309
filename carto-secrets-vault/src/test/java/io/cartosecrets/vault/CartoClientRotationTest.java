package io.cartosecrets.vault;

import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.CartoClient;
import io.cartosecrets.RefreshingTokenProvider;
import io.cartosecrets.Secret;
import io.cartosecrets.SqlResult;
import io.cartosecrets.testkit.FakeCartoServer;
import io.cartosecrets.testkit.ManualScheduler;
import io.cartosecrets.testkit.vault.AppRole;
import io.cartosecrets.testkit.vault.VaultTokenSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running {@link CartoClient} whose token lives in Vault KV v2 picks up a rotation, done by
 * writing a new version, at its next scheduled refresh, or at once when CARTO rejects the old token.
 */
class CartoClientRotationTest {
  private static final String SQL = "SELECT name, population FROM cities ORDER BY population DESC LIMIT 2";

  private final Fixture f = new Fixture();
  private final FakeCartoServer carto = FakeCartoServer.start();
  private final ManualScheduler scheduler = new ManualScheduler(f.clock);
  @TempDir Path dir;
  private String first;
  private VaultSecretProvider vault;
  private RefreshingTokenProvider tokens;
  private CartoClient client;

  @BeforeEach
  void setUp() {
    first = carto.mintToken();
    f.vault.mountKv(Fixture.MOUNT, 2);
    f.vault.write(Fixture.PATH, Map.of("api_token", first));
    f.vault.policy("carto-read", Fixture.API_PATH, "read");
    AppRole role = f.vault.appRole("carto", VaultTokenSpec.withPolicies("carto-read").ttl(Duration.ofHours(1)));
    vault = f.build(f.builder().auth(VaultAuth.appRole(
        Fixture.write(dir.resolve("role_id"), role.roleId()),
        Fixture.write(dir.resolve("secret_id"), role.newSecretId()))));
    tokens = RefreshingTokenProvider.builder(vault)
        .clock(f.clock)
        .scheduler(scheduler)
        .executor(Runnable::run)
        .refreshInterval(Duration.ofMinutes(5))
        .build();
    client = CartoClient.builder().baseUrl(carto.baseUrl()).tokenProvider(tokens).build();
  }

  @AfterEach
  void tearDown() {
    client.close();
    tokens.close();
    carto.close();
    f.close();
  }

  private static String fp(String token) {
    return Secret.of(token, "test").fingerprint();
  }

  /** Fingerprints of the tokens CARTO's SQL API saw, with the status it answered. */
  private List<String> sqlCalls() {
    return carto.requests().stream()
        .filter(c -> c.path().contains("/sql/"))
        .map(c -> c.token().map(CartoClientRotationTest::fp).orElse("none"))
        .collect(Collectors.toList());
  }

  @Test
  void newKv2Version_isPickedUpByARunningCartoClient_atTheNextScheduledRefresh() {
    SqlResult before = client.sql(FakeCartoServer.DEFAULT_CONNECTION).query(SQL);
    assertThat(before.rows()).hasSize(2);
    String second = carto.mintToken();

    f.vault.write(Fixture.PATH, Map.of("api_token", second));
    scheduler.advanceAndRun(Duration.ofMinutes(6));
    carto.revokeToken(first);
    SqlResult after = client.sql(FakeCartoServer.DEFAULT_CONNECTION).query(SQL);

    assertThat(after.rows()).isEqualTo(before.rows());
    assertThat(sqlCalls()).containsExactly(fp(first), fp(second));
    assertThat(tokens.metrics().rotations()).isEqualTo(1);
    assertThat(tokens.currentToken().version()).contains("2");
    assertThat(f.vault.requestsTo("/login")).hasSize(1);
  }

  @Test
  void oldTokenRevokedBeforeTheRefresh_theClientReloadsFromVaultOnThe401_andRetriesOnce() {
    client.sql(FakeCartoServer.DEFAULT_CONNECTION).query(SQL);
    String second = carto.mintToken();
    f.vault.write(Fixture.PATH, Map.of("api_token", second));
    carto.revokeToken(first);

    SqlResult after = client.sql(FakeCartoServer.DEFAULT_CONNECTION).query(SQL);

    assertThat(after.rows()).hasSize(2);
    assertThat(sqlCalls()).containsExactly(fp(first), fp(first), fp(second));
    assertThat(tokens.metrics().rejections()).isEqualTo(1);
    assertThat(tokens.metrics().rotations()).isEqualTo(1);
  }

  @Test
  void scheduledRefreshWithoutANewVersion_isCountedUnchanged_andKeepsTheToken() {
    client.sql(FakeCartoServer.DEFAULT_CONNECTION).query(SQL);

    scheduler.advanceAndRun(Duration.ofMinutes(6));
    client.sql(FakeCartoServer.DEFAULT_CONNECTION).query(SQL);

    assertThat(tokens.metrics().unchangedChecks()).isEqualTo(1);
    assertThat(tokens.metrics().rotations()).isZero();
    assertThat(sqlCalls()).containsExactly(fp(first), fp(first));
    assertThat(f.vault.requestsTo("data/prod")).hasSize(2);
  }
}
