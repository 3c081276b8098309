package io.cartosecrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
