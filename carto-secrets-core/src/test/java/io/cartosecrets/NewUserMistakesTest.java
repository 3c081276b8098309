package io.cartosecrets;

import static io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.spi.SecretUri;
import io.cartosecrets.testkit.Canaries;
import io.cartosecrets.testkit.FakeCartoServer;
import io.cartosecrets.testkit.TestTokens;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Mistakes a new user makes, each answered with what is wrong and how to fix it, never the token. */
class NewUserMistakesTest {
  @Test
  void aTokenStoredWithItsBearerPrefix_isAFormatErrorSayingToDropThePrefix() {
    String token = TestTokens.apiAccessToken();
    for (String stored : new String[] {"Bearer " + token, "bearer " + token, "Authorization: Bearer " + token}) {
      assertThatThrownBy(() -> CartoToken.of(stored, "env:CARTO_API_TOKEN"))
          .isInstanceOf(SecretFormatException.class)
          .hasMessageContaining("env:CARTO_API_TOKEN")
          .hasMessageContaining("without a header name or the Bearer prefix")
          .satisfies(e -> assertThat(Canaries.findIn(e.getMessage())).isEmpty());
    }
  }

  @Test
  void fromEnvironment_withAClientIdButNoClientSecret_failsAtStartUpNamingTheMissingVariable() {
    Map<String, String> env = Map.of("CARTO_CLIENT_ID", TestTokens.identifier("client-"));
    assertThatThrownBy(() -> CartoClient.fromEnvironment(env::get))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("CARTO_CLIENT_ID is set but CARTO_CLIENT_SECRET is not")
        .hasMessageContaining("carto-oauth:");
  }

  @Test
  void anEndpointPastedAsTheBaseUrl_isRefusedWithTheBaseUrlToUse() {
    assertThatThrownBy(() -> CartoClient.builder().baseUrl("https://gcp-us-east1.api.carto.com/v3/sql/carto_dw/query"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("contains an API path")
        .hasMessageContaining("(e.g. https://gcp-us-east1.api.carto.com/)");
  }

  @Test
  void aParameterOnASchemeThatTakesNone_saysSo() {
    assertThatThrownBy(() -> SecretUri.parse("file:/run/secrets/carto_token?watch=false").requireOnlyParams())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("unknown parameter 'watch'; this scheme takes no parameters");
  }

  @Test
  void aRejectedToken_isNamedByTheSameFingerprintFormAsInTheLogs() {
    try (FakeCartoServer carto = FakeCartoServer.start()) {
      String token = carto.mintToken();
      carto.revokeToken(token);
      TestSchemeFactory.VALUES.put("REVOKED", token);
      try (CartoClient client = CartoClient.builder().baseUrl(carto.baseUrl())
          .secretProvider(SecretProviders.fromUri("test:REVOKED")).build()) {
        String fp = client.tokenProvider().currentToken().fingerprint();
        assertThatThrownBy(() -> client.sql("carto_dw").query("SELECT 1"))
            .isInstanceOf(CartoAuthenticationException.class)
            .hasMessageContaining("The token fp=" + fp + " from test:REVOKED");
      } finally {
        TestSchemeFactory.VALUES.remove("REVOKED");
      }
    }
  }
}
