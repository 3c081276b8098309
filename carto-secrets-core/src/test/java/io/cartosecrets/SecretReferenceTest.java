package io.cartosecrets;

import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy;

import io.cartosecrets.internal.Redactor;
import io.cartosecrets.spi.JsonFields;
import io.cartosecrets.spi.SecretUri;
import io.cartosecrets.testkit.Canaries;
import io.cartosecrets.testkit.TestTokens;
import org.junit.jupiter.api.Test;

class SecretReferenceTest {

  @Test
  void uri_fieldBeforeParameters_asTheDocsWriteThem() {
    SecretUri u = SecretUri.parse("aws-sm:prod/carto#api_token?region=eu-west-1&stage=AWSCURRENT");
    assertThat(u.scheme()).isEqualTo("aws-sm");
    assertThat(u.path()).isEqualTo("prod/carto");
    assertThat(u.field()).contains("api_token");
    assertThat(u.param("region")).contains("eu-west-1");
    assertThat(u.param("stage")).contains("AWSCURRENT");
  }

  @Test
  void uri_parameterValuesMayBeReferencesWithFields() {
    SecretUri u = SecretUri.parse("carto-oauth:?client_id=env:CARTO_CLIENT_ID&client_secret=vault:kv/carto#client_secret");
    assertThat(u.path()).isEmpty();
    assertThat(u.field()).isEmpty();
    assertThat(u.param("client_secret")).contains("vault:kv/carto#client_secret");
  }

  @Test
  void uri_filePathsAndPercentEscapes() {
    assertThat(SecretUri.parse("file:/run/secrets/carto_token").path()).isEqualTo("/run/secrets/carto_token");
    assertThat(SecretUri.parse("file:///run/secrets/carto_token").path()).isEqualTo("/run/secrets/carto_token");
    SecretUri c = SecretUri.parse("conjur:prod/carto%2Fapi%20token+v1%23x");
    assertThat(c.path()).isEqualTo("prod/carto/api token+v1#x");
  }

  @Test
  void uri_unknownParameters_areReportedByName() {
    SecretUri u = SecretUri.parse("aws-sm:prod/carto?regoin=eu-west-1");
    assertThatThrownBy(() -> u.requireOnlyParams("region", "stage"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("regoin")
        .hasMessageContaining("region, stage");
  }

  @Test
  void uri_withoutScheme_isRefusedWithoutEchoingIt() {
    String secret = TestTokens.secret();
    assertThatThrownBy(() -> SecretUri.parse("/" + secret))
        .isInstanceOf(ConfigurationException.class)
        .satisfies(e -> assertThat(Canaries.findIn(e.getMessage())).isEmpty());
  }

  @Test
  void providers_tokenValuesGivenAsReferences_areRefusedWithoutEcho() {
    for (String value : new String[] {TestTokens.apiAccessToken(), TestTokens.secret(22), " " + TestTokens.apiAccessToken() + "\n"}) {
      assertThatThrownBy(() -> SecretProviders.fromUri(value))
          .isInstanceOf(ConfigurationException.class)
          .hasMessageContaining("not shown")
          .satisfies(e -> assertThat(Canaries.findIn(e.getMessage() + e)).isEmpty());
    }
  }

  @Test
  void providers_unknownScheme_listsWhatIsAvailable() {
    assertThatThrownBy(() -> SecretProviders.fromUri("gcp-sm:projects/x/secrets/y"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("'gcp-sm:'")
        .hasMessageContaining("available: carto-oauth, env, test");
  }

  @Test
  void providers_discoveredByServiceLoader() {
    TestSchemeFactory.VALUES.put("discovered", TestTokens.apiAccessToken());
    SecretProvider p = SecretProviders.fromUri("test:discovered");
    assertThat(p.description()).isEqualTo("test:discovered");
    assertThat(p.fetch().reveal()).isEqualTo(TestSchemeFactory.VALUES.get("discovered"));
  }

  @Test
  void jsonFields_nestedDottedPath() {
    String token = TestTokens.apiAccessToken();
    String json = "{\"carto\":{\"api_token\":\"" + token + "\",\"n\":3}}";
    assertThat(JsonFields.extract(json, "carto.api_token", "aws-sm:prod")).isEqualTo(token);
  }

  @Test
  void jsonFields_everyFormatError_namesSourceAndField_neverThePayload() {
    String token = TestTokens.apiAccessToken();
    String[][] cases = {
      {"{\"api_token\": \"" + token + "\"", "not valid JSON"},
      {"\"" + token + "\"", "not a JSON object"},
      {"{\"other\":\"" + token + "\"}", "no field 'api_token'"},
      {"{\"api_token\":42,\"x\":\"" + token + "\"}", "number, not a string"},
      {"{\"api_token\":{\"v\":\"" + token + "\"}}", "JSON object, not a string"},
      {"{\"api_token\":\"  \",\"x\":\"" + token + "\"}", "empty"},
      {"{\"api_token\":null,\"x\":\"" + token + "\"}", "null, not a string"},
    };
    for (String[] c : cases) {
      assertThatThrownBy(() -> JsonFields.extract(c[0], "api_token", "aws-sm:prod/carto"))
          .isInstanceOf(SecretFormatException.class)
          .hasMessageContaining("aws-sm:prod/carto")
          .hasMessageContaining("api_token")
          .hasMessageContaining(c[1])
          .hasNoCause()
          .satisfies(e -> assertThat(Canaries.findIn(e.getMessage() + e)).isEmpty());
    }
  }

  @Test
  void redactor_masksRawBase64UrlEncodedAndTokenShapedText() {
    String token = TestTokens.apiAccessToken();
    String other = TestTokens.apiAccessToken();
    String b64 = java.util.Base64.getEncoder().encodeToString(token.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    String text = "got " + token + " / " + b64 + " / Bearer " + TestTokens.secret() + " / " + other
        + " {\"client_secret\":\"" + TestTokens.secret() + "\"}";
    String out = Redactor.redact(text, token);
    assertThat(Canaries.findIn(out)).isEmpty();
    assertThat(out).contains("[redacted]");
  }

  @Test
  void uri_fieldAfterTheParameters_javasOwnOrder_isAcceptedToo() {
    SecretUri u = SecretUri.parse("aws-sm:prod/carto?region=us-east-1&stage=AWSCURRENT#api_token");
    assertThat(u.path()).isEqualTo("prod/carto");
    assertThat(u.field()).contains("api_token");
    assertThat(u.param("stage")).contains("AWSCURRENT");
    // A nested reference keeps its own #field.
    SecretUri o = SecretUri.parse("carto-oauth:?client_id=env:ID&client_secret=vault:kv/carto#client_secret");
    assertThat(o.field()).isEmpty();
    assertThat(o.param("client_secret")).contains("vault:kv/carto#client_secret");
  }

  @Test
  void uri_commonMistakes_getAHint() {
    assertThatThrownBy(() -> SecretUri.parse("\"file:/run/secrets/x\"")).hasMessageContaining("remove the quotes");
    assertThatThrownBy(() -> SecretUri.parse("$CARTO_API_TOKEN")).hasMessageContaining("env:NAME");
    assertThatThrownBy(() -> SecretUri.parse("~/secrets/carto")).hasMessageContaining("not expanded");
    assertThatThrownBy(() -> SecretUri.parse("file://run/secrets/carto_token")).hasMessageContaining("names a host");
  }

  @Test
  void providers_secretShapedPartsOfAReference_areRefusedWithoutEcho() {
    String jwt = TestTokens.apiAccessToken();
    // A legacy key: 22 random URL-safe characters, as almost all of them (97%) mix cases and digits;
    // the rare one without digits is caught only where names are known to be upper case (env:).
    String key;
    do {
      key = TestTokens.secret(16);
    } while (!key.matches(".*[0-9].*") || !key.matches(".*[a-z].*") || !key.matches(".*[A-Z].*"));
    String k = key;
    for (String ref : new String[] {"test:" + jwt, "test:prod#" + jwt, "test:prod?x=" + k, "env:" + k.replace('-', 'A').replace('_', 'b')}) {
      assertThatThrownBy(() -> SecretProviders.fromUri(ref))
          .isInstanceOf(ConfigurationException.class)
          .hasMessageContaining("looks like a secret value")
          .satisfies(e -> assertThat(Canaries.findIn(e.getMessage() + e)).isEmpty());
    }
    // Names, paths, ARNs and version ids are not secret-shaped.
    assertThat(SecretProviders.looksLikeSecret("arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/carto-AbCdEf")).isFalse();
    assertThat(SecretProviders.looksLikeSecret("0eb5e976-3897-4979-bdfc-0bdcf09ff06c")).isFalse();
    assertThat(SecretProviders.looksLikeSecret("kv/team/carto/prod")).isFalse();
    assertThat(SecretProviders.looksLikeSecret("CARTO_API_TOKEN_PRODUCTION_EU")).isFalse();
  }
}
