package io.cartosecrets.vault;

import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.testkit.canary.CapturedLogs;
import io.cartosecrets.testkit.canary.Leakproof;
import io.cartosecrets.Secret;
import io.cartosecrets.SecretException;
import io.cartosecrets.testkit.Canaries;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.vault.AppRole;
import io.cartosecrets.testkit.vault.KubernetesRole;
import io.cartosecrets.testkit.vault.RecordedVaultRequest;
import io.cartosecrets.testkit.vault.VaultTokenSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * With every logger at TRACE (SLF4J into the file surefire configures, java.util.logging of the
 * driver, MockWebServer and the JDK captured here), a full cycle of logins, reads, renewals,
 * re-logins and failures leaves no minted secret in any log line, exception, description or
 * toString: not the CARTO token, not a Vault token, not a secret id or service account JWT.
 */
class CanaryTest {
  private final Fixture f = new Fixture();
  private final StringBuilder jul = new StringBuilder();
  private final Handler capture = new Handler() {
    private final SimpleFormatter format = new SimpleFormatter();

    @Override
    public void publish(LogRecord record) {
      synchronized (jul) {
        jul.append(format.format(record));
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  private final Logger julRoot = Logger.getLogger("");
  private Level julLevel;
  private final List<String> seen = new ArrayList<>();
  @TempDir Path dir;

  @BeforeEach
  void captureJul() {
    julLevel = julRoot.getLevel();
    julRoot.setLevel(Level.ALL);
    capture.setLevel(Level.ALL);
    julRoot.addHandler(capture);
    for (String name : new String[] {"io.github.jopenlibs", "mockwebserver3", "okhttp3", "jdk.internal.httpclient"}) {
      Logger.getLogger(name).setLevel(Level.ALL);
    }
  }

  @AfterEach
  void release() {
    julRoot.removeHandler(capture);
    julRoot.setLevel(julLevel);
    f.close();
  }

  /** Records what a user could see of an exception: message, toString, printed stack trace. */
  private void failure(Runnable r) {
    try {
      r.run();
      throw new AssertionError("expected a failure");
    } catch (SecretException e) {
      Leakproof.assertNoCanaryIn(e);
      seen.add(e.toString());
    }
  }

  @Test
  void fullCycleAtTrace_leavesNoSecretInLogsExceptionsOrDescriptions() throws IOException {
    assertThat(LoggerFactory.getLogger(VaultSecretProvider.class).isTraceEnabled())
        .as("SLF4J must run at TRACE for this test to mean anything").isTrue();
    String carto = f.kv2WithToken();
    f.vault.write(Fixture.PATH, Map.of("api_token", carto, "note", TestTokens.secret()));

    // AppRole: login, renewal capped by the max TTL, re-login, revoked token, re-login.
    AppRole role = f.vault.appRole("carto",
        VaultTokenSpec.withPolicies("carto-read").ttl(Duration.ofHours(1)).maxTtl(Duration.ofMinutes(70)));
    VaultAuth appRole = VaultAuth.appRole(Fixture.write(dir.resolve("role_id"), role.roleId()),
        Fixture.write(dir.resolve("secret_id"), role.newSecretId()));
    try (VaultSecretProvider p = f.build(f.builder().auth(appRole))) {
      Secret s = p.fetch();
      seen.add(s.toString());
      seen.add(p.toString());
      seen.add(appRole.toString());
      f.clock.advance(Duration.ofMinutes(45));
      p.fetch();
      f.clock.advance(Duration.ofMinutes(6));
      p.fetch();
      List<RecordedVaultRequest> reads = f.vault.requestsTo("data/prod");
      f.vault.revokeAccessor(reads.get(reads.size() - 1).tokenAccessor().orElseThrow());
      assertThat(p.refresh(s)).isSameAs(s);
      f.vault.write(Fixture.PATH, Map.of("api_token", TestTokens.apiAccessToken()));
      seen.add(p.refresh(s).toString());
      // Failures on the way: sealed, 500, a non-string field next to a secret one, a missing field.
      f.vault.seal();
      failure(p::fetch);
      f.vault.unseal();
      f.vault.failNext(1, 500);
      failure(p::fetch);
      f.vault.write(Fixture.PATH, Map.of("api_token", 7, "other", TestTokens.apiAccessToken()));
      failure(p::fetch);
      f.vault.write(Fixture.PATH, Map.of("token", TestTokens.apiAccessToken()));
      failure(p::fetch);
    }
    assertThat(f.vault.requestsTo("/login")).hasSizeGreaterThanOrEqualTo(3);
    assertThat(f.vault.requestsTo("renew-self")).isNotEmpty();

    // Kubernetes with a wrong role, then the right one.
    f.vault.write(Fixture.PATH, Map.of("api_token", carto));
    KubernetesRole k8s = f.vault.kubernetesRole("carto", VaultTokenSpec.withPolicies("carto-read"));
    Path jwt = Fixture.write(dir.resolve("jwt"), k8s.newServiceAccountJwt());
    try (VaultSecretProvider wrong = f.build(f.builder().auth(VaultAuth.kubernetes("other", jwt)));
        VaultSecretProvider right = f.build(f.builder().auth(VaultAuth.kubernetes("carto", jwt)))) {
      failure(wrong::fetch);
      assertThat(right.fetch().reveal()).isEqualTo(carto);
    }

    // A bad AppRole secret id, a token in VAULT_TOKEN without the policy, then revoked.
    try (VaultSecretProvider bad = f.build(f.builder().auth(VaultAuth.appRole(
        Fixture.write(dir.resolve("role_id_2"), role.roleId()),
        Fixture.write(dir.resolve("secret_id_2"), TestTokens.secret()))))) {
      failure(bad::fetch);
    }
    String envToken = f.readerTokenInEnv(VaultTokenSpec.withPolicies("nothing"));
    try (VaultSecretProvider p = f.build(f.builder().mount(Fixture.MOUNT).kvVersion(2))) {
      failure(p::fetch);
      f.vault.revokeToken(envToken);
      failure(p::fetch);
    }
    // A Vault Agent sink whose token is revoked.
    String sinkToken = f.vault.createToken(VaultTokenSpec.withPolicies("carto-read"));
    Path sink = Fixture.write(dir.resolve("sink"), sinkToken);
    try (VaultSecretProvider p = f.build(f.builder().auth(VaultAuth.tokenFile(sink)))) {
      p.fetch();
      f.vault.revokeToken(sinkToken);
      failure(p::fetch);
    }
    f.vault.requests().forEach(r -> seen.add(r.toString()));

    String slf4j = CapturedLogs.allText();
    String julText;
    synchronized (jul) {
      julText = jul.toString();
    }
    assertThat(slf4j).as("the SLF4J log file holds this test's TRACE/DEBUG lines")
        .contains("succeeded; Vault token").contains("renewed Vault token").contains("unchanged at version");
    assertThat(julText).as("java.util.logging was captured").contains("MockWebServer");
    assertThat(Canaries.all()).hasSizeGreaterThan(10);
    Leakproof.assertNoCanaryIn("SLF4J log at TRACE", slf4j);
    Leakproof.assertNoCanaryIn("java.util.logging at ALL", julText);
    Leakproof.assertNoCanaryIn("toString, descriptions and recorded requests", String.join("\n", seen));
  }
}
