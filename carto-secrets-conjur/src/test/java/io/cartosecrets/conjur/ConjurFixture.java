package io.cartosecrets.conjur;

import io.cartosecrets.testkit.FakeClock;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.conjur.FakeConjur;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Conjur stand-in with one account, one application host allowed to read and execute one
 * variable holding a CARTO token, and the files an application would be given: the CA certificate
 * and the host's API key.
 */
final class ConjurFixture implements AutoCloseable {
  static final String ACCOUNT = "myorg";
  static final String HOST_ID = "apps/carto-reporter";
  static final String LOGIN = "host/" + HOST_ID;
  static final String VARIABLE = "prod/carto/api-token";

  final FakeClock clock = new FakeClock();
  final FakeConjur conjur = FakeConjur.start(clock);
  final Path dir;
  final Path caFile;
  final Path apiKeyFile;
  String apiKey;
  String cartoToken;

  ConjurFixture(Path dir) {
    this.dir = dir;
    this.caFile = conjur.writeCaCertificate(dir.resolve("conjur-ca.pem"));
    this.apiKeyFile = dir.resolve("conjur-api-key");
    this.apiKey = conjur.addHost(ACCOUNT, HOST_ID);
    writeApiKeyFile(apiKey);
    this.cartoToken = TestTokens.apiAccessToken();
    conjur.setValue(ACCOUNT, VARIABLE, cartoToken);
    conjur.permit(ACCOUNT, LOGIN, VARIABLE, "read", "execute");
  }

  /** A provider for {@link #VARIABLE} as {@link #LOGIN}, by the fixture's clock. */
  ConjurSecretProvider.Builder builder() {
    return ConjurSecretProvider.builder()
        .applianceUrl(conjur.applianceUrl())
        .account(ACCOUNT)
        .certFile(caFile)
        .clock(clock)
        .login(LOGIN)
        .apiKeyFile(apiKeyFile)
        .variable(VARIABLE);
  }

  ConjurSecretProvider provider() {
    return builder().build();
  }

  /** Rotates the host's API key at Conjur and writes the new one where the application reads it. */
  String rotateApiKey() {
    apiKey = conjur.rotateApiKey(ACCOUNT, LOGIN);
    writeApiKeyFile(apiKey);
    return apiKey;
  }

  /** Rotates the CARTO token held by the variable; returns the new one. */
  String rotateCartoToken() {
    cartoToken = TestTokens.apiAccessToken();
    conjur.setValue(ACCOUNT, VARIABLE, cartoToken);
    return cartoToken;
  }

  void writeApiKeyFile(String key) {
    write(apiKeyFile, key + "\n");
  }

  static void write(Path file, String text) {
    try {
      Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    conjur.close();
  }
}
