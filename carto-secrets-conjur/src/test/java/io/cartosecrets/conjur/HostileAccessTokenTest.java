package io.cartosecrets.conjur;

import static io.cartosecrets.testkit.canary.Leakproof.catchThrowable;
import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.SecretException;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.canary.Leakproof;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * an access token (sidecar file) whose claims hold numbers a JSON parser accepts but an
 * {@link java.time.Instant} cannot. The provider must fail typed, naming the source, and never let a
 * {@code java.time.DateTimeException} or {@code ArithmeticException} escape.
 */
class HostileAccessTokenTest {
  @TempDir Path dir;
  ConjurFixture f;
  Path tokenFile;

  @BeforeEach
  void start() {
    f = new ConjurFixture(dir);
    tokenFile = dir.resolve("access-token");
  }

  @AfterEach
  void stop() {
    f.close();
  }

  private static String tokenWithClaims(String claimsJson) {
    String payload = Base64.getUrlEncoder().withoutPadding().encodeToString(claimsJson.getBytes(StandardCharsets.UTF_8));
    String header = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"conjur.org/slosilo/v2\"}".getBytes(StandardCharsets.UTF_8));
    return "{\"protected\":\"" + header + "\",\"payload\":\"" + payload + "\",\"signature\":\"" + TestTokens.secret() + "\"}";
  }

  private void fetchFailsTyped(String claims) {
    ConjurFixture.write(tokenFile, tokenWithClaims(claims));
    try (ConjurSecretProvider p = ConjurSecretProvider.builder()
        .applianceUrl(f.conjur.applianceUrl()).account(ConjurFixture.ACCOUNT).certFile(f.caFile).clock(f.clock)
        .accessTokenFile(tokenFile).variable(ConjurFixture.VARIABLE).build()) {
      Throwable e = catchThrowable(p::fetch);
      assertThat(e).as("what fetch threw for claims " + claims).isInstanceOf(SecretException.class);
      assertThat(((SecretException) e).source()).isEqualTo(p.description());
      Leakproof.assertNoCanaryIn(e);
    }
  }

  @Test
  void expBeyondWhatAnInstantHolds_isATypedError() {
    fetchFailsTyped("{\"sub\":\"host/apps/carto-reporter\",\"iat\":1,\"exp\":9223372036854775807}");
  }

  @Test
  void iatAtTheEdgeOfWhatAnInstantHolds_isATypedError() {
    fetchFailsTyped("{\"sub\":\"host/apps/carto-reporter\",\"iat\":31556889864403199,\"exp\":31556889864403199}");
  }
}
