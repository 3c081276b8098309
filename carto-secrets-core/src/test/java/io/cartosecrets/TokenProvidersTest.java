package io.cartosecrets;

import static io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.testkit.FakeCartoServer;
import io.cartosecrets.testkit.TestTokens;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TokenProvidersTest {
  @AfterEach
  void forget() {
    TestSchemeFactory.VALUES.clear();
  }

  @Test
  void fromUri_loadsTheTokenThroughTheRefreshingCache_andPicksUpARotation() {
    String first = TestTokens.apiAccessToken();
    TestSchemeFactory.VALUES.put("CARTO_TOKEN_A", first);
    try (RefreshingTokenProvider tokens = TokenProviders.fromUri("test:CARTO_TOKEN_A")) {
      assertThat(tokens.currentToken().reveal()).isEqualTo(first);
      assertThat(tokens.description()).isEqualTo("test:CARTO_TOKEN_A");

      String second = TestTokens.apiAccessToken();
      TestSchemeFactory.VALUES.put("CARTO_TOKEN_A", second);
      assertThat(tokens.tokenRejected(tokens.currentToken()).reveal()).isEqualTo(second);
    }
  }

  @Test
  void fromUri_drivesACartoClient() {
    try (FakeCartoServer carto = FakeCartoServer.start()) {
      TestSchemeFactory.VALUES.put("CARTO_TOKEN_B", carto.mintToken());
      try (CartoClient client = CartoClient.builder().baseUrl(carto.baseUrl())
          .tokenProvider(TokenProviders.fromUri("test:CARTO_TOKEN_B")).build()) {
        assertThat(client.sql("carto_dw").query("SELECT name FROM cities").rows()).isNotEmpty();
      }
    }
  }

  @Test
  void fromUri_withATokenValue_isRefusedWithoutEchoingIt() {
    String token = TestTokens.apiAccessToken();
    assertThatThrownBy(() -> TokenProviders.fromUri(token))
        .isInstanceOf(ConfigurationException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(token));
  }
}
