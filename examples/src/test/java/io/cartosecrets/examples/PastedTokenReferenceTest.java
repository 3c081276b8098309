package io.cartosecrets.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.ConfigurationException;
import io.cartosecrets.SecretProvider;
import io.cartosecrets.SecretProviders;
import io.cartosecrets.testkit.Canaries;
import io.cartosecrets.testkit.TestTokens;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * A token pasted after a scheme ({@code vault:eyJ...}, {@code aws-sm:eyJ...}, {@code
 * conjur:eyJ...}, {@code env:<legacy key>}) is refused without being repeated, and never becomes
 * part of a provider's description (which goes into log lines, events, exceptions and toString).
 * Lives in examples because that module has every provider on its class path.
 */
class PastedTokenReferenceTest {

  /** Everything a misconfigured reference produces that could be logged. */
  private static String observable(String reference) {
    List<String> out = new ArrayList<>();
    SecretProvider p = null;
    try {
      p = SecretProviders.fromUri(reference);
      out.add(p.description());
      out.add(String.valueOf(p));
      try {
        p.fetch();
      } catch (RuntimeException e) {
        out.add(String.valueOf(e));
        out.add(String.valueOf(e.getCause()));
      }
    } catch (RuntimeException e) {
      out.add(String.valueOf(e));
    } finally {
      if (p != null) {
        p.close();
      }
    }
    return String.join("\n", out);
  }

  @ParameterizedTest(name = "{0}<API Access Token>")
  @ValueSource(strings = {"vault:", "aws-sm:", "conjur:"})
  void jwtPastedAfterScheme_isRefusedWithoutEcho(String scheme) {
    String token = TestTokens.apiAccessToken();
    String params =
        scheme.equals("aws-sm:") ? "?region=eu-west-1&endpoint=http://127.0.0.1:9"
            : scheme.equals("conjur:") ? "?url=https://127.0.0.1:9&account=acme&login=host/app&api_key=env:BREAKER_NO_SUCH_VAR"
            : "";
    String seen = observable(scheme + token + params);
    assertThat(Canaries.findIn(seen)).as("canary in what " + scheme + "<token> produces").isEmpty();
  }

  /**
   * A CARTO 2 key is 22 url-safe characters; about one in six passes the env-name pattern (letters,
   * digits and '_' with an underscore), so env:&lt;key&gt; is accepted and the key lands in
   * "environment variable &lt;key&gt; is not set".
   */
  @Test
  void legacyKeyPastedAfterEnv_isRefusedWithoutEcho() {
    Pattern envName = Pattern.compile("[A-Za-z][A-Za-z0-9_]*_[A-Za-z0-9_]*");
    String key;
    do {
      key = TestTokens.secret(16); // 22 url-safe characters, like CartoDB's urlsafe_base64 keys
    } while (!envName.matcher(key).matches());
    String seen = observable("env:" + key);
    assertThat(Canaries.findIn(seen)).as("canary in what env:<key> produces").isEmpty();
  }

  /** Control (held up): a bare token, or one with surrounding whitespace, is refused unechoed. */
  @Test
  void bareToken_inAnyWrapping_isRefusedWithoutEcho() {
    String token = TestTokens.apiAccessToken();
    for (String ref : new String[] {token, " " + token + "\n", "Bearer " + token, "file:" + token, "env:" + token,
        "https://u:" + token + "@h/x"}) {
      String seen = observable(ref);
      assertThat(seen).contains(ConfigurationException.class.getSimpleName());
      assertThat(Canaries.findIn(seen)).isEmpty();
    }
  }
}
