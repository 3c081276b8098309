package io.cartosecrets.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy;
import static io.cartosecrets.testkit.canary.Leakproof.catchThrowableOfType;

import io.cartosecrets.testkit.canary.Leakproof;
import io.cartosecrets.ConfigurationException;
import io.cartosecrets.SecretUnavailableException;
import io.cartosecrets.testkit.FakeClock;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.vault.FakeVault;
import io.cartosecrets.testkit.vault.VaultTokenSpec;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.SSLException;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Vault over HTTPS: a private CA from a file or VAULT_CACERT, host name checks, and the loopback-only skip. */
class TlsTest {
  private static final HeldCertificate CA = new HeldCertificate.Builder().certificateAuthority(0).build();

  private final FakeClock clock = new FakeClock();
  private final Map<String, String> env = new HashMap<>();
  @TempDir Path dir;
  private FakeVault vault;
  private String carto;

  private void startVault(String subjectAltName) {
    HeldCertificate server = new HeldCertificate.Builder().addSubjectAlternativeName(subjectAltName)
        .signedBy(CA).build();
    HandshakeCertificates tls = new HandshakeCertificates.Builder().heldCertificate(server).build();
    vault = FakeVault.startHttps(clock, tls.sslSocketFactory());
    vault.mountKv("secret", 2);
    carto = TestTokens.apiAccessToken();
    vault.write("secret/carto", Map.of("token", carto));
    env.put("VAULT_ADDR", vault.address());
    env.put("VAULT_TOKEN", vault.createToken(VaultTokenSpec.withPolicies("root")));
  }

  @AfterEach
  void close() {
    if (vault != null) {
      vault.close();
    }
  }

  private VaultSecretProvider.Builder builder() {
    return VaultSecretProvider.builder("secret/carto").clock(clock);
  }

  @Test
  void caCertificateFile_letsTheProviderTrustAPrivateCa() {
    startVault("127.0.0.1");
    Path ca = Fixture.write(dir.resolve("ca.pem"), CA.certificatePem());

    try (VaultSecretProvider p = builder().caCertificate(ca).build(env::get)) {
      assertThat(vault.address()).startsWith("https://");
      assertThat(p.fetch().reveal()).isEqualTo(carto);
    }
  }

  @Test
  void vaultCacertVariable_isUsedWhenTheBuilderGivesNoCa() {
    startVault("127.0.0.1");
    env.put("VAULT_CACERT", Fixture.write(dir.resolve("ca.pem"), CA.certificatePem()).toString());

    try (VaultSecretProvider p = builder().build(env::get)) {
      assertThat(p.fetch().reveal()).isEqualTo(carto);
    }
  }

  @Test
  void untrustedCertificate_isUnavailable_withTheTlsFailureNamed() {
    startVault("127.0.0.1");

    try (VaultSecretProvider p = builder().build(env::get)) {
      SecretUnavailableException e = catchThrowableOfType(SecretUnavailableException.class, p::fetch);

      assertThat(e.getMessage()).contains("could not reach Vault").contains("SSLHandshakeException");
      assertThat(e.getCause()).isInstanceOf(SSLException.class);
      Leakproof.assertNoCanaryIn(e);
    }
    assertThat(vault.requests()).isEmpty();
  }

  @Test
  void certificateForAnotherHost_isRejectedEvenFromATrustedCa() {
    startVault("vault.internal.example");
    Path ca = Fixture.write(dir.resolve("ca.pem"), CA.certificatePem());

    try (VaultSecretProvider p = builder().caCertificate(ca).build(env::get)) {
      assertThatThrownBy(p::fetch).isInstanceOf(SecretUnavailableException.class)
          .hasMessageContaining("SSLHandshakeException");
    }
    assertThat(vault.requests()).isEmpty();
  }

  @Test
  void skippingVerification_onALoopbackAddress_acceptsAnyCertificate() {
    startVault("vault.internal.example");

    try (VaultSecretProvider p = builder().skipTlsVerification(true).build(env::get)) {
      assertThat(p.fetch().reveal()).isEqualTo(carto);
    }
  }

  @Test
  void vaultSkipVerifyVariable_isHonouredOnlyForLoopback() {
    startVault("vault.internal.example");
    env.put("VAULT_SKIP_VERIFY", "true");

    try (VaultSecretProvider p = builder().build(env::get)) {
      assertThat(p.fetch().reveal()).isEqualTo(carto);
    }
    env.put("VAULT_ADDR", "https://vault.example.com:8200");
    assertThatThrownBy(() -> builder().build(env::get)).isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("only for a loopback");
  }

  @Test
  void caFileThatIsNotAPemCertificate_failsAtBuild() {
    env.put("VAULT_ADDR", "https://vault.example.com:8200");
    Path notPem = Fixture.write(dir.resolve("ca.pem"), "not a certificate");

    assertThatThrownBy(() -> builder().caCertificate(notPem).build(env::get))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("PEM");
    assertThatThrownBy(() -> builder().caCertificate(dir.resolve("absent.pem")).build(env::get))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("cannot be read");
  }
}
