package io.cartosecrets.conjur;

import static io.cartosecrets.conjur.ConjurFixture.ACCOUNT;
import static io.cartosecrets.conjur.ConjurFixture.LOGIN;
import static io.cartosecrets.conjur.ConjurFixture.VARIABLE;
import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy;

import io.cartosecrets.testkit.canary.Leakproof;
import io.cartosecrets.CartoToken;
import io.cartosecrets.Secret;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.conjur.FakeConjur;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConjurSecretProviderTest {
  @TempDir Path dir;
  ConjurFixture f;

  @BeforeEach
  void start() {
    f = new ConjurFixture(dir);
  }

  @AfterEach
  void stop() {
    f.close();
  }

  @Test
  void hostWithApiKeyFile_readsTheCartoTokenOverHttps() {
    try (ConjurSecretProvider p = f.provider()) {
      Secret secret = p.fetch();

      assertThat(secret.reveal()).isEqualTo(f.cartoToken);
      assertThat(secret.source()).isEqualTo("conjur:myorg:variable:prod/carto/api-token");
      assertThat(CartoToken.of(secret).kind()).isEqualTo(CartoToken.Kind.API_ACCESS_TOKEN);
      assertThat(f.conjur.calls())
          .extracting(FakeConjur.Call::method, FakeConjur.Call::path, FakeConjur.Call::status)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("POST", "/authn/myorg/host%2Fapps%2Fcarto-reporter/authenticate", 200),
              org.assertj.core.groups.Tuple.tuple("GET", "/secrets/myorg/variable/prod%2Fcarto%2Fapi-token", 200));
    }
  }

  @Test
  void userLogin_readsTheValue() {
    String aliceKey = f.conjur.addUser(ACCOUNT, "alice");
    f.conjur.permit(ACCOUNT, "alice", VARIABLE, "read", "execute");
    Path aliceKeyFile = dir.resolve("alice-key");
    ConjurFixture.write(aliceKeyFile, aliceKey);

    try (ConjurSecretProvider p = f.builder().login("alice").apiKeyFile(aliceKeyFile).build()) {
      assertThat(p.fetch().reveal()).isEqualTo(f.cartoToken);
    }
    assertThat(f.conjur.calls().get(0).path()).isEqualTo("/authn/myorg/alice/authenticate");
    assertThat(f.conjur.calls().get(1).login()).contains("alice");
  }

  @Test
  void eachFetch_readsTheVariableAgain_butAuthenticatesOnce() {
    try (ConjurSecretProvider p = f.provider()) {
      p.fetch();
      p.fetch();
      p.fetch();
    }
    assertThat(f.conjur.secretReads()).isEqualTo(3);
    assertThat(f.conjur.authentications()).isEqualTo(1);
  }

  @Test
  void rotationInConjur_nextFetchReturnsTheNewValue() {
    try (ConjurSecretProvider p = f.provider()) {
      Secret before = p.fetch();
      String rotated = f.rotateCartoToken();

      Secret after = p.fetch();

      assertThat(after.reveal()).isEqualTo(rotated);
      assertThat(after.sameValueAs(before)).isFalse();
    }
  }

  @Test
  void jsonVariableWithField_yieldsTheField() {
    String token = TestTokens.apiAccessToken();
    f.conjur.setValue(ACCOUNT, VARIABLE, "{\"carto\":{\"api_token\":\"" + token + "\"},\"note\":\"prod\"}");

    try (ConjurSecretProvider p = f.builder().field("carto.api_token").build()) {
      Secret secret = p.fetch();

      assertThat(secret.reveal()).isEqualTo(token);
      assertThat(secret.source()).isEqualTo("conjur:myorg:variable:prod/carto/api-token#carto.api_token");
    }
  }

  @Test
  void valueWithOneTrailingLineBreak_isReadWithoutIt() {
    f.conjur.setValue(ACCOUNT, VARIABLE, f.cartoToken + "\r\n");
    try (ConjurSecretProvider p = f.provider()) {
      assertThat(p.fetch().reveal()).isEqualTo(f.cartoToken);
    }
  }

  @Test
  void applianceUrlWithPathPrefix_isKept() {
    // Conjur Cloud serves the API under /api; the stand-in serves at the root, so the prefix must
    // reach the wire for the request to miss: a 404 proves the prefix was not dropped.
    try (ConjurSecretProvider p = f.builder().applianceUrl(f.conjur.applianceUrl() + "/api/").build()) {
      assertThatThrownBy(p::fetch)
          .isInstanceOf(io.cartosecrets.SecretNotFoundException.class)
          .hasMessageContaining("HTTP 404")
          .hasMessageContaining("check the appliance URL");
    }
    assertThat(f.conjur.calls().get(0).path()).isEqualTo("/api/authn/myorg/host%2Fapps%2Fcarto-reporter/authenticate");
  }

  @Test
  void closedProvider_refusesToFetch_andCloseIsIdempotent() {
    ConjurSecretProvider p = f.provider();
    p.fetch();
    p.close();
    p.close();

    assertThatThrownBy(p::fetch).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  @Test
  void toString_namesVariableApplianceAndLogin_neverACredential() {
    try (ConjurSecretProvider p = f.provider()) {
      p.fetch();
      assertThat(p.toString())
          .contains("conjur:myorg:variable:prod/carto/api-token")
          .contains(f.conjur.applianceUrl())
          .contains(LOGIN);
      Leakproof.assertNoCanaryIn("toString", p.toString());
      assertThat(p.description()).isEqualTo("conjur:myorg:variable:prod/carto/api-token");
    }
  }
}
