package io.cartosecrets.conjur;

import static io.cartosecrets.conjur.ConjurFixture.ACCOUNT;
import static io.cartosecrets.conjur.ConjurFixture.LOGIN;
import static io.cartosecrets.conjur.ConjurFixture.VARIABLE;
import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy;

import io.cartosecrets.testkit.canary.Leakproof;
import io.cartosecrets.SecretException;
import io.cartosecrets.SecretUnavailableException;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.conjur.FakeConjur;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** authn-jwt (Kubernetes, CI platforms) and the access token file an authn-k8s sidecar keeps. */
class AuthnJwtAndTokenFileTest {
  static final String SERVICE = "k8s-cluster";

  @TempDir Path dir;
  ConjurFixture f;
  Path jwtFile;
  Path tokenFile;

  @BeforeEach
  void start() {
    f = new ConjurFixture(dir);
    jwtFile = dir.resolve("sa-token");
    tokenFile = dir.resolve("access-token");
  }

  @AfterEach
  void stop() {
    f.close();
  }

  @Test
  void jwtFromAFile_authenticatesAtAuthnJwt_andReadsTheVariable() {
    String jwt = newJwt();
    ConjurFixture.write(jwtFile, jwt + "\n");
    f.conjur.trustJwt(ACCOUNT, SERVICE, jwt, LOGIN);

    try (ConjurSecretProvider p = jwtBuilder().build()) {
      assertThat(p.fetch().reveal()).isEqualTo(f.cartoToken);
    }
    assertThat(f.conjur.calls().get(0).path()).isEqualTo("/authn-jwt/k8s-cluster/myorg/authenticate");
    assertThat(f.conjur.calls().get(1).login()).contains(LOGIN);
  }

  @Test
  void jwtWithHostId_sendsTheHostIdAsOneSegment() {
    String jwt = newJwt();
    ConjurFixture.write(jwtFile, jwt);
    f.conjur.trustJwt(ACCOUNT, SERVICE, jwt, LOGIN);

    try (ConjurSecretProvider p = jwtBuilder().jwtHostId(LOGIN).build()) {
      assertThat(p.fetch().reveal()).isEqualTo(f.cartoToken);
    }
    assertThat(f.conjur.calls().get(0).path())
        .isEqualTo("/authn-jwt/k8s-cluster/myorg/host%2Fapps%2Fcarto-reporter/authenticate");
  }

  @Test
  void jwtFileRotatedByThePlatform_isReadAgainAtTheNextRenewal() {
    String first = newJwt();
    ConjurFixture.write(jwtFile, first);
    f.conjur.trustJwt(ACCOUNT, SERVICE, first, LOGIN);
    try (ConjurSecretProvider p = jwtBuilder().build()) {
      p.fetch();

      String second = newJwt();
      f.conjur.distrustJwt(ACCOUNT, SERVICE, first).trustJwt(ACCOUNT, SERVICE, second, LOGIN);
      ConjurFixture.write(jwtFile, second);
      f.clock.advance(Duration.ofMinutes(4));

      assertThat(p.fetch().reveal()).isEqualTo(f.cartoToken);
      assertThat(f.conjur.authentications()).isEqualTo(2);
    }
  }

  @Test
  void sidecarTokenFile_isUsedWithoutAuthenticating() {
    ConjurFixture.write(tokenFile, f.conjur.issueAccessToken(ACCOUNT, LOGIN));

    try (ConjurSecretProvider p = tokenFileBuilder().build()) {
      assertThat(p.fetch().reveal()).isEqualTo(f.cartoToken);
    }
    assertThat(f.conjur.authentications()).isZero();
    assertThat(f.conjur.calls()).singleElement().extracting(FakeConjur.Call::login).isEqualTo(java.util.Optional.of(LOGIN));
  }

  @Test
  void sidecarTokenFileInBase64_isAcceptedToo() {
    String json = f.conjur.issueAccessToken(ACCOUNT, LOGIN);
    ConjurFixture.write(tokenFile, Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8)));

    try (ConjurSecretProvider p = tokenFileBuilder().build()) {
      assertThat(p.fetch().reveal()).isEqualTo(f.cartoToken);
    }
  }

  @Test
  void tokenRejected_tokenFileIsReadAgain_andTheSidecarsNewTokenUsed() {
    ConjurFixture.write(tokenFile, f.conjur.issueAccessToken(ACCOUNT, LOGIN));
    try (ConjurSecretProvider p = tokenFileBuilder().build()) {
      p.fetch();

      // Conjur restarted with new keys; the sidecar already wrote a new token.
      f.conjur.revokeAccessTokens();
      ConjurFixture.write(tokenFile, f.conjur.issueAccessToken(ACCOUNT, LOGIN));

      assertThat(p.fetch().reveal()).isEqualTo(f.cartoToken);
      assertThat(f.conjur.calls()).extracting(FakeConjur.Call::status).containsExactly(200, 401, 200);
    }
  }

  @Test
  void tokenRejected_andNoNewerTokenInTheFile_isUnavailable_blamingTheSidecar() {
    ConjurFixture.write(tokenFile, f.conjur.issueAccessToken(ACCOUNT, LOGIN));
    try (ConjurSecretProvider p = tokenFileBuilder().build()) {
      p.fetch();
      f.conjur.revokeAccessTokens();

      assertThatThrownBy(p::fetch)
          .isInstanceOf(SecretUnavailableException.class)
          .matches(e -> ((SecretException) e).retryable())
          .hasMessageContaining("is the authenticator sidecar running?");
      Leakproof.assertNoCanaryIn(Leakproof.catchThrowable(p::fetch));
      // Once per fetch: no loop against Conjur.
      assertThat(f.conjur.unauthorizedResponses()).isEqualTo(2);
    }
  }

  @Test
  void tokenFilePastHalfItsLife_isReadAgainBeforeUse() {
    ConjurFixture.write(tokenFile, f.conjur.issueAccessToken(ACCOUNT, LOGIN));
    try (ConjurSecretProvider p = tokenFileBuilder().build()) {
      p.fetch();
      f.clock.advance(Duration.ofMinutes(4));
      // The sidecar renewed the token; the old one stops working at once.
      ConjurFixture.write(tokenFile, f.conjur.revokeAccessTokens().issueAccessToken(ACCOUNT, LOGIN));

      p.fetch();

      assertThat(f.conjur.unauthorizedResponses()).isZero();
    }
  }

  private String newJwt() {
    Instant now = f.clock.instant();
    return TestTokens.oauthAccessToken("system:serviceaccount:carto:reporter", "k8s", now, now.plus(Duration.ofHours(1)));
  }

  private ConjurSecretProvider.Builder jwtBuilder() {
    return ConjurSecretProvider.builder()
        .applianceUrl(f.conjur.applianceUrl()).account(ACCOUNT).certFile(f.caFile).clock(f.clock)
        .jwtServiceId(SERVICE).jwtFile(jwtFile).variable(VARIABLE);
  }

  private ConjurSecretProvider.Builder tokenFileBuilder() {
    return ConjurSecretProvider.builder()
        .applianceUrl(f.conjur.applianceUrl()).account(ACCOUNT).certFile(f.caFile).clock(f.clock)
        .accessTokenFile(tokenFile).variable(VARIABLE);
  }
}
