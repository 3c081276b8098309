package io.cartosecrets.conjur;

import static io.cartosecrets.conjur.ConjurFixture.ACCOUNT;
import static io.cartosecrets.conjur.ConjurFixture.LOGIN;
import static io.cartosecrets.conjur.ConjurFixture.VARIABLE;
import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.testkit.canary.Leakproof;
import io.cartosecrets.Secret;
import io.cartosecrets.testkit.TestTokens;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Canary check: with every logger at its most verbose (this module's SLF4J loggers at TRACE,
 * OkHttp, MockWebServer and the Conjur SDK through java.util.logging at ALL), a run through every
 * success and failure path leaves no API key, JWT, Conjur access token or CARTO token in the logs,
 * in any exception (message, toString, stack trace, causes) or in any toString.
 */
class ConjurLeakTest {
  @TempDir Path dir;

  @Test
  void everyPath_atTraceLevel_leavesNoSecretInLogsExceptionsOrToString() {
    List<Throwable> thrown = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    String logText;
    try (LogCapture logs = LogCapture.start(); ConjurFixture f = new ConjurFixture(dir)) {
      try (ConjurSecretProvider p = f.provider()) {
        Secret s = p.fetch();
        texts.add(s.toString());
        texts.add(p.toString());
        f.clock.advance(Duration.ofMinutes(5));
        f.conjur.failNext(1, 503);
        p.fetch();
        f.clock.advance(Duration.ofMinutes(1));
        p.fetch();
        f.conjur.revokeAccessTokens();
        p.fetch();
        f.rotateCartoToken();
        p.fetch();
        f.conjur.failNext(1, 503);
        thrown.add(failure(p::fetch));
        f.conjur.deny(ACCOUNT, LOGIN, VARIABLE, "execute");
        thrown.add(failure(p::fetch));
        f.conjur.deny(ACCOUNT, LOGIN, VARIABLE, "read");
        thrown.add(failure(p::fetch));
        f.conjur.permit(ACCOUNT, LOGIN, VARIABLE, "read", "execute").setValue(ACCOUNT, VARIABLE, "");
        thrown.add(failure(p::fetch));
        f.conjur.setValue(ACCOUNT, VARIABLE, TestTokens.apiAccessToken() + "\n\n");
        thrown.add(failure(p::fetch));
        f.conjur.tokenLifetime(Duration.ZERO).revokeAccessTokens();
        thrown.add(failure(p::fetch));
        f.conjur.tokenLifetime(Duration.ofMinutes(8));
      }
      f.writeApiKeyFile(TestTokens.secret());
      thrown.add(failure(() -> f.provider().fetch()));
      f.conjur.setValue(ACCOUNT, VARIABLE, "{\"other\":\"" + TestTokens.apiAccessToken() + "\"}");
      thrown.add(failure(() -> f.builder().field("api_token").build().fetch()));
      thrown.add(failure(() -> ConjurSecretProvider.builder().applianceUrl(f.conjur.applianceUrl()).account(ACCOUNT)
          .login(LOGIN).apiKeyFile(f.apiKeyFile).variable(VARIABLE).build().fetch()));
      thrown.add(failure(() -> f.builder().applianceUrl("https://admin:" + TestTokens.secret() + "@conjur.example.com").build()));
      thrown.add(failure(() -> f.builder().apiKeyFile(dir.resolve("absent")).build().fetch()));

      String jwt = TestTokens.oauthAccessToken("k8s", "k8s", f.clock.instant(), f.clock.instant().plus(Duration.ofHours(1)));
      Path jwtFile = dir.resolve("jwt");
      ConjurFixture.write(jwtFile, jwt);
      f.conjur.trustJwt(ACCOUNT, "k8s", jwt, LOGIN).setValue(ACCOUNT, VARIABLE, f.cartoToken);
      ConjurSecretProvider.Builder jwtBuilder = ConjurSecretProvider.builder()
          .applianceUrl(f.conjur.applianceUrl()).account(ACCOUNT).certFile(f.caFile).clock(f.clock)
          .jwtServiceId("k8s").jwtFile(jwtFile).variable(VARIABLE);
      try (ConjurSecretProvider p = jwtBuilder.build()) {
        p.fetch();
        texts.add(p.toString());
      }
      f.conjur.distrustJwt(ACCOUNT, "k8s", jwt);
      thrown.add(failure(() -> jwtBuilder.build().fetch()));

      Path tokenFile = dir.resolve("access-token");
      ConjurFixture.write(tokenFile, f.conjur.issueAccessToken(ACCOUNT, LOGIN));
      try (ConjurSecretProvider p = ConjurSecretProvider.builder()
          .applianceUrl(f.conjur.applianceUrl()).account(ACCOUNT).certFile(f.caFile).clock(f.clock)
          .accessTokenFile(tokenFile).variable(VARIABLE).build()) {
        p.fetch();
        f.conjur.revokeAccessTokens();
        thrown.add(failure(p::fetch));
        ConjurFixture.write(tokenFile, TestTokens.secret());
        thrown.add(failure(p::fetch));
      }

      String url = f.conjur.applianceUrl();
      f.conjur.close();
      thrown.add(failure(() -> f.builder().applianceUrl(url).build().fetch()));
      logText = logs.text();
    }

    assertThat(thrown).hasSize(15).doesNotContainNull();
    thrown.forEach(Leakproof::assertNoCanaryIn);
    texts.forEach(t -> Leakproof.assertNoCanaryIn("toString", t));
    // The capture saw every source: our TRACE and DEBUG lines, and MockWebServer via java.util.logging.
    assertThat(logText)
        .contains("TRACE io.cartosecrets.conjur.ConjurHttp - Conjur request POST /authn/myorg/")
        .contains("new Conjur access token fp=")
        .contains("could not renew the Conjur access token")
        .contains("MockWebServer");
    Leakproof.assertNoCanaryIn("captured logs", logText);
  }

  private static Throwable failure(Runnable action) {
    try {
      action.run();
      return null;
    } catch (RuntimeException e) {
      return e;
    }
  }
}
