package io.cartosecrets;

import io.cartosecrets.testkit.FakeCartoServer;
import java.time.Clock;

/**
 * An M2M client registered with a {@link FakeCartoServer}, its client id and secret kept in the
 * {@code test:} scheme under keys of their own, and {@link CartoOAuthProvider}s that read them.
 */
final class OAuthFixture {
  final FakeCartoServer carto;
  final Clock clock;
  final FakeCartoServer.OAuthClient client;
  final String idKey = "client-id-" + System.nanoTime();
  final String secretKey = "client-secret-" + System.nanoTime();

  OAuthFixture(FakeCartoServer carto, Clock clock) {
    this.carto = carto;
    this.clock = clock;
    this.client = carto.registerOAuthClient();
    TestSchemeFactory.VALUES.put(idKey, client.clientId());
    TestSchemeFactory.VALUES.put(secretKey, client.clientSecret());
  }

  CartoOAuthProvider provider() {
    return builder().build();
  }

  CartoOAuthProvider.Builder builder() {
    return builder(carto, idKey, secretKey, clock);
  }

  /** A provider for {@code carto}'s token endpoint reading {@code test:idKey} and {@code test:secretKey}. */
  static CartoOAuthProvider.Builder builder(FakeCartoServer carto, String idKey, String secretKey, Clock clock) {
    return CartoOAuthProvider.builder()
        .clientId(SecretProviders.fromUri("test:" + idKey))
        .clientSecret(SecretProviders.fromUri("test:" + secretKey))
        .tokenUrl(carto.oauthTokenUrl())
        .clock(clock);
  }
}
