package io.cartosecrets.conjur;

import static io.cartosecrets.conjur.ConjurFixture.ACCOUNT;
import static io.cartosecrets.conjur.ConjurFixture.LOGIN;
import static io.cartosecrets.conjur.ConjurFixture.VARIABLE;
import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy;

import io.cartosecrets.testkit.canary.Leakproof;
import io.cartosecrets.ConfigurationException;
import io.cartosecrets.SecretProvider;
import io.cartosecrets.SecretProviders;
import io.cartosecrets.conjur.internal.ConjurProviderFactory;
import io.cartosecrets.spi.SecretUri;
import io.cartosecrets.testkit.TestTokens;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configuration the Conjur way: environment variables, the conjur: URI, and their checks. */
class EnvironmentAndUriTest {
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
  void conjurEnvironmentVariables_configureEverything() {
    Map<String, String> env = apiKeyEnvironment();

    try (ConjurSecretProvider p = ConjurSecretProvider.builder().environment(env).clock(f.clock).variable(VARIABLE).build()) {
      assertThat(p.fetch().reveal()).isEqualTo(f.cartoToken);
      assertThat(p.toString()).contains("login '" + LOGIN + "'");
    }
  }

  @Test
  void explicitSettings_winOverTheEnvironment_whateverTheOrder() {
    Map<String, String> env = apiKeyEnvironment();
    env.put("CONJUR_ACCOUNT", "some-other-org");
    env.put("CONJUR_AUTHN_API_KEY", TestTokens.secret());

    try (ConjurSecretProvider p =
        ConjurSecretProvider.builder().account(ACCOUNT).apiKeyFile(f.apiKeyFile).environment(env)
            .clock(f.clock).variable(VARIABLE).build()) {
      assertThat(p.fetch().reveal()).isEqualTo(f.cartoToken);
    }
  }

  @Test
  void tokenFileInTheEnvironment_winsOverJwtAndApiKey() {
    Path tokenFile = dir.resolve("access-token");
    ConjurFixture.write(tokenFile, f.conjur.issueAccessToken(ACCOUNT, LOGIN));
    Map<String, String> env = apiKeyEnvironment();
    env.put("CONJUR_AUTHN_JWT_SERVICE_ID", "k8s");
    env.put("CONJUR_AUTHN_TOKEN_FILE", tokenFile.toString());

    try (ConjurSecretProvider p = ConjurSecretProvider.builder().environment(env).clock(f.clock).variable(VARIABLE).build()) {
      assertThat(p.fetch().reveal()).isEqualTo(f.cartoToken);
    }
    assertThat(f.conjur.authentications()).isZero();
  }

  @Test
  void jwtEnvironmentVariables_configureAuthnJwt_withHostId() {
    Path jwtFile = dir.resolve("jwt");
    String jwt = TestTokens.secret();
    ConjurFixture.write(jwtFile, jwt);
    f.conjur.trustJwt(ACCOUNT, "gitlab", jwt, LOGIN);
    Map<String, String> env = apiKeyEnvironment();
    env.put("CONJUR_AUTHN_JWT_SERVICE_ID", "gitlab");
    env.put("JWT_TOKEN_PATH", jwtFile.toString());
    env.put("CONJUR_AUTHN_JWT_HOST_ID", LOGIN);

    try (ConjurSecretProvider p = ConjurSecretProvider.builder().environment(env).clock(f.clock).variable(VARIABLE).build()) {
      assertThat(p.fetch().reveal()).isEqualTo(f.cartoToken);
    }
    assertThat(f.conjur.calls().get(0).path()).isEqualTo("/authn-jwt/gitlab/myorg/host%2Fapps%2Fcarto-reporter/authenticate");
  }

  @Test
  void conjurUri_isFoundByDiscovery_andReadsTheVariable() {
    String uri = "conjur:prod/carto/api-token?url=" + f.conjur.applianceUrl() + "&account=myorg&login=" + LOGIN
        + "&api_key_file=" + f.apiKeyFile + "&cert_file=" + f.caFile;

    try (SecretProvider p = SecretProviders.fromUri(uri)) {
      assertThat(p).isInstanceOf(ConjurSecretProvider.class);
      assertThat(p.description()).isEqualTo("conjur:myorg:variable:prod/carto/api-token");
      assertThat(p.fetch().reveal()).isEqualTo(f.cartoToken);
    }
  }

  @Test
  void conjurUri_fallsBackToTheEnvironment_andDecodesTheIdAndField() {
    String id = "prod/café/a+b c#d";
    String token = TestTokens.apiAccessToken();
    f.conjur.setValue(ACCOUNT, id, "{\"api_token\":\"" + token + "\"}").permit(ACCOUNT, LOGIN, id, "read", "execute");

    try (SecretProvider p = new ConjurProviderFactory(apiKeyEnvironment())
        .create(SecretUri.parse("conjur:prod/caf%C3%A9/a+b%20c%23d#api_token"))) {
      assertThat(p.fetch().reveal()).isEqualTo(token);
      assertThat(p.description()).isEqualTo("conjur:myorg:variable:" + id + "#api_token");
    }
  }

  @Test
  void apiKeyParameter_isAReferenceToAnotherProvider() {
    // The reporter's API key is itself kept in Conjur, readable by a bootstrap host.
    String bootstrapKey = f.conjur.addHost(ACCOUNT, "bootstrap");
    f.conjur.setValue(ACCOUNT, "ops/reporter-api-key", f.apiKey)
        .permit(ACCOUNT, "host/bootstrap", "ops/reporter-api-key", "read", "execute");
    Path bootstrapKeyFile = dir.resolve("bootstrap-key");
    ConjurFixture.write(bootstrapKeyFile, bootstrapKey);
    String common = "url=" + f.conjur.applianceUrl() + "&account=myorg&cert_file=" + f.caFile;
    String keyReference = "conjur:ops/reporter-api-key?" + common + "&login=host/bootstrap&api_key_file=" + bootstrapKeyFile;

    String uri = "conjur:prod/carto/api-token?" + common + "&login=" + LOGIN
        + "&api_key=" + URLEncoder.encode(keyReference, StandardCharsets.UTF_8);
    try (SecretProvider p = SecretProviders.fromUri(uri)) {
      assertThat(p.fetch().reveal()).isEqualTo(f.cartoToken);
    }
    assertThat(f.conjur.calls()).extracting(c -> c.login().orElse("")).contains("host/bootstrap", LOGIN);
  }

  @Test
  void conjurUri_withAnUnknownParameter_isRejected() {
    assertThatThrownBy(() -> new ConjurProviderFactory(apiKeyEnvironment())
            .create(SecretUri.parse("conjur:prod/carto/api-token?acount=myorg")))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("unknown parameter 'acount'");
    assertThatThrownBy(() -> new ConjurProviderFactory(apiKeyEnvironment()).create(SecretUri.parse("conjur:")))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("needs a variable id");
  }

  @Test
  void incompleteOrUnsafeConfiguration_isRejectedAtBuild_withoutEchoingCredentials() {
    String key = TestTokens.secret();
    assertRejected(b -> b.applianceUrl("http://conjur.example.com"), "must use https");
    assertRejected(b -> b.applianceUrl("https://admin:" + key + "@conjur.example.com"), "must not carry a user name or password");
    assertRejected(b -> b.applianceUrl(key), "is not an http(s) URL");
    assertRejected(b -> b.variable(".."), "dot segment");
    assertRejected(b -> b.variable("a\nb"), "control character at position 1");
    assertRejected(b -> b.jwtServiceId("k8s"), "one way to authenticate to Conjur, not authn-jwt and API key");
    assertRejected(b -> b.certFile(dir.resolve("absent.pem")), "does not exist");
    assertRejected(b -> b.certFile(f.apiKeyFile), "does not hold PEM certificates");
    assertThatThrownBy(() -> ConjurSecretProvider.builder().variable(VARIABLE).build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("CONJUR_APPLIANCE_URL");
    assertThatThrownBy(() -> ConjurSecretProvider.builder().environment(Map.of(
            "CONJUR_APPLIANCE_URL", f.conjur.applianceUrl(), "CONJUR_ACCOUNT", ACCOUNT, "CONJUR_AUTHN_LOGIN", LOGIN))
            .variable(VARIABLE).build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("the API key of Conjur login '" + LOGIN + "' is not configured");
    assertThatThrownBy(() -> ConjurSecretProvider.builder().applianceUrl(f.conjur.applianceUrl()).account(ACCOUNT)
            .variable(VARIABLE).build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("no way to authenticate to Conjur is configured");
  }

  private void assertRejected(java.util.function.UnaryOperator<ConjurSecretProvider.Builder> change, String message) {
    Throwable t = Leakproof.catchThrowable(() -> change.apply(f.builder()).build().close());
    assertThat(t).isInstanceOf(ConfigurationException.class).hasMessageContaining(message);
    Leakproof.assertNoCanaryIn(t);
  }

  private Map<String, String> apiKeyEnvironment() {
    Map<String, String> env = new HashMap<>();
    env.put("CONJUR_APPLIANCE_URL", f.conjur.applianceUrl());
    env.put("CONJUR_ACCOUNT", ACCOUNT);
    env.put("CONJUR_AUTHN_LOGIN", LOGIN);
    env.put("CONJUR_AUTHN_API_KEY", f.apiKey);
    env.put("CONJUR_CERT_FILE", f.caFile.toString());
    return env;
  }
}
