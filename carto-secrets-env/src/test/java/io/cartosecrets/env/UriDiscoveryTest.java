package io.cartosecrets.env;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.cartosecrets.ConfigurationException;
import io.cartosecrets.SecretProvider;
import io.cartosecrets.SecretProviders;
import io.cartosecrets.env.internal.EnvFileSecretProviderFactory;
import io.cartosecrets.spi.SecretProviderFactory;
import io.cartosecrets.testkit.Canaries;
import io.cartosecrets.testkit.TestTokens;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UriDiscoveryTest {
  @TempDir Path dir;

  private Path write(String name, String content) throws IOException {
    Path f = dir.resolve(name);
    Files.write(f, content.getBytes(UTF_8));
    return f;
  }

  @Test
  void factoryIsRegisteredWithServiceLoader_forEnvAndFile() {
    assertThat(ServiceLoader.load(SecretProviderFactory.class).stream().map(ServiceLoader.Provider::type))
        .contains(EnvFileSecretProviderFactory.class);
    assertThat(new EnvFileSecretProviderFactory().schemes()).containsExactlyInAnyOrder("env", "file");
  }

  @Test
  void envReference_givesAnEnvProviderForThatVariable() {
    String path = System.getenv("PATH");
    assumeThat(path).as("PATH is set in this environment").isNotBlank();

    SecretProvider p = SecretProviders.fromUri("env:PATH");

    assertThat(p).isInstanceOf(EnvSecretProvider.class);
    assertThat(p.description()).isEqualTo("env:PATH");
    assertThat(p.fetch().reveal()).isEqualTo(path);
  }

  @Test
  void envReferenceNamingCartoApiToken_describesItself() {
    SecretProvider p = SecretProviders.fromUri("env:CARTO_API_TOKEN");
    assertThat(p.description()).isEqualTo("env:CARTO_API_TOKEN");
    assertThat(SecretProviders.fromUri("env:").description()).isEqualTo("env:CARTO_API_TOKEN");
  }

  @Test
  void fileReference_withAbsolutePath_readsTheFile() throws IOException {
    String token = TestTokens.apiAccessToken();
    Path f = write("carto_token", token + "\n");

    SecretProvider p = SecretProviders.fromUri("file:" + f);

    assertThat(p).isInstanceOf(FileSecretProvider.class);
    assertThat(p.description()).isEqualTo("file:" + f);
    assertThat(p.fetch().reveal()).isEqualTo(token);
  }

  @Test
  void fileReference_withEmptyAuthority_isTheSameAbsolutePath() throws IOException {
    String token = TestTokens.apiAccessToken();
    Path f = write("carto_token", token);

    SecretProvider p = SecretProviders.fromUri("file://" + f);

    assertThat(p.description()).isEqualTo("file:" + f);
    assertThat(p.fetch().reveal()).isEqualTo(token);
  }

  @Test
  void fileReference_withField_readsThatJsonField() throws IOException {
    String token = TestTokens.apiAccessToken();
    Path f = write("creds.json", "{\"carto\":{\"api_token\":\"" + token + "\"}}");

    SecretProvider p = SecretProviders.fromUri("file://" + f + "#carto.api_token");

    assertThat(p.description()).isEqualTo("file:" + f + "#carto.api_token");
    assertThat(p.fetch().reveal()).isEqualTo(token);
  }

  @Test
  void fileReference_percentEncodedPath_isDecoded() throws IOException {
    String token = TestTokens.apiAccessToken();
    Path f = write("carto token#1", token);

    SecretProvider p = SecretProviders.fromUri("file:" + dir + "/carto%20token%231");

    assertThat(p.fetch().reveal()).isEqualTo(token);
    assertThat(((FileSecretProvider) p).path()).isEqualTo(f);
  }

  @Test
  void fileReference_withRelativePath_isRefusedWithoutShowingIt() {
    assertThatThrownBy(() -> SecretProviders.fromUri("file:my-app/token.txt"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("needs an absolute path")
        .hasMessageNotContaining("my-app");
    assertThatThrownBy(() -> SecretProviders.fromUri("file:"))
        .isInstanceOf(ConfigurationException.class);
  }

  @Test
  void unknownParameter_isRefusedByName() {
    assertThatThrownBy(() -> SecretProviders.fromUri("file:/run/secrets/carto_token?watch=false"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("unknown parameter 'watch'");
    assertThatThrownBy(() -> SecretProviders.fromUri("env:CARTO_API_TOKEN?default=x"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("unknown parameter 'default'");
  }

  @Test
  void envReferenceWithField_isRefused() {
    assertThatThrownBy(() -> SecretProviders.fromUri("env:CARTO_API_TOKEN#token"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("take no #field");
  }

  @Test
  void jwtGivenAsTheReference_isRefusedWithoutEcho() {
    String token = TestTokens.apiAccessToken();

    assertThatThrownBy(() -> SecretProviders.fromUri(token))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("token value was given where a reference")
        .satisfies(e -> assertThat(Canaries.findIn(e.toString())).isEmpty());
  }

  @Test
  void jwtPastedAfterAScheme_isRefusedWithoutEcho() {
    String token = TestTokens.apiAccessToken();

    for (String ref : new String[] {"env:" + token, "file:" + token, "file:/run/secrets/" + token}) {
      assertThatThrownBy(() -> SecretProviders.fromUri(ref))
          .isInstanceOf(ConfigurationException.class)
          .satisfies(e -> assertThat(Canaries.findIn(e.toString())).as("message").isEmpty());
    }
  }
}
