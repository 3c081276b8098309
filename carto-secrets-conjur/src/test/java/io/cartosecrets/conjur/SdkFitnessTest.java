package io.cartosecrets.conjur;

import static io.cartosecrets.conjur.ConjurFixture.ACCOUNT;
import static io.cartosecrets.conjur.ConjurFixture.LOGIN;
import static io.cartosecrets.conjur.ConjurFixture.VARIABLE;
import static org.assertj.core.api.Assertions.assertThat;

import com.cyberark.conjur.sdk.ApiClient;
import com.cyberark.conjur.sdk.endpoint.AuthenticationApi;
import com.cyberark.conjur.sdk.endpoint.SecretsApi;
import io.cartosecrets.testkit.Canaries;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.conjur.FakeConjur;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evidence behind the parts of the Conjur SDK this module does not use (see the module README):
 * each test shows the SDK's behaviour next to the provider's, against the same stand-in.
 */
class SdkFitnessTest {
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

  /**
   * {@code SecretsApi.getSecret} runs {@code application/json} responses through Gson (leniently)
   * and returns the raw text only when that fails. Conjur serves a variable with the type of its
   * {@code conjur/mime_type} annotation, so a JSON-typed variable holding a JSON string comes back
   * without its quotes and with its escapes decoded, and one holding {@code null} comes back as
   * Java null. The provider reads the bytes as they are.
   */
  @Test
  void sdkGetSecret_decodesJsonTypedValues_theProviderReadsThemAsStored() throws Exception {
    String inner = TestTokens.secret();
    String quoted = "\"" + inner + "\\u0021\"";
    SecretsApi sdk = new SecretsApi(authenticatedSdkClient());
    f.conjur.mimeType(ACCOUNT, VARIABLE, "application/json");

    f.conjur.setValue(ACCOUNT, VARIABLE, quoted);
    assertThat(sdk.getSecret(ACCOUNT, "variable", VARIABLE)).isEqualTo(inner + "!");
    try (ConjurSecretProvider p = f.provider()) {
      assertThat(p.fetch().reveal()).isEqualTo(quoted);
    }

    f.conjur.setValue(ACCOUNT, VARIABLE, "null");
    assertThat(sdk.getSecret(ACCOUNT, "variable", VARIABLE)).isNull();
    try (ConjurSecretProvider p = f.provider()) {
      assertThat(p.fetch().reveal()).isEqualTo("null");
    }
  }

  /** The SDK's {@code AccessToken.toString()} prints the token's signature; ours prints a fingerprint. */
  @Test
  void sdkAccessTokenToString_printsTheTokenSignature_oursDoesNot() {
    String json = f.conjur.issueAccessToken(ACCOUNT, LOGIN);
    String encoded = java.util.Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));

    String sdkText = com.cyberark.conjur.sdk.AccessToken.fromEncodedToken(encoded).toString();
    String ourText = AccessToken.fromResponse(encoded.getBytes(StandardCharsets.US_ASCII), Instant.now()).orElseThrow().toString();

    assertThat(Canaries.findIn(sdkText)).isPresent();
    assertThat(Canaries.findIn(ourText)).isEmpty();
    assertThat(ourText).startsWith("AccessToken[fp=");
  }

  /**
   * The SDK's own token renewal ({@code ApiClient.getNewAccessToken}, used when
   * CONJUR_AUTO_UPDATE_TOKEN=true) encodes the login with {@code URLEncoder}, so a space becomes
   * {@code +}, which Conjur reads as a plus sign: the login fails, the SDK logs the failure to
   * java.util.logging and returns null. The provider sends {@code %20} and authenticates.
   */
  @Test
  void sdkOwnRenewal_encodesASpaceInTheLoginAsPlus_andFailsSilently() throws Exception {
    String login = "host/apps/carto reporter";
    String key = f.conjur.addUser(ACCOUNT, login);
    f.conjur.permit(ACCOUNT, login, VARIABLE, "read", "execute");
    ApiClient api = sdkClient();
    api.setAccount(ACCOUNT);
    api.setUsername(login);
    api.setApiKey(key);

    try (LogCapture logs = LogCapture.start()) {
      assertThat(api.getNewAccessToken()).isNull();
      assertThat(logs.text()).contains("Error encountered while updating AccessToken");
    }
    FakeConjur.Call sdkCall = f.conjur.calls().get(0);
    assertThat(sdkCall.path()).isEqualTo("/authn/myorg/host%2Fapps%2Fcarto+reporter/authenticate");
    assertThat(sdkCall.status()).isEqualTo(401);

    Path keyFile = dir.resolve("key");
    ConjurFixture.write(keyFile, key);
    try (ConjurSecretProvider p = f.builder().login(login).apiKeyFile(keyFile).build()) {
      assertThat(p.fetch().reveal()).isEqualTo(f.cartoToken);
    }
    assertThat(f.conjur.calls().get(1).path()).isEqualTo("/authn/myorg/host%2Fapps%2Fcarto%20reporter/authenticate");
  }

  private ApiClient sdkClient() {
    ApiClient api = new ApiClient();
    api.setBasePath(f.conjur.applianceUrl());
    api.setSslCaCert(new ByteArrayInputStream(f.conjur.caCertificatePem().getBytes(StandardCharsets.US_ASCII)));
    return api;
  }

  private ApiClient authenticatedSdkClient() throws Exception {
    ApiClient api = sdkClient();
    String token = new AuthenticationApi(api).getAccessToken(ACCOUNT, LOGIN, f.apiKey, "base64", null);
    api.setAccessToken("token=\"" + token + "\"");
    return api;
  }
}
