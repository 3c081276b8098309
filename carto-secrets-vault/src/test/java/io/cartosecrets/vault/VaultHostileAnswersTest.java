package io.cartosecrets.vault;

import static io.cartosecrets.testkit.canary.Leakproof.catchThrowable;
import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.Secret;
import io.cartosecrets.SecretException;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.canary.Leakproof;
import io.cartosecrets.testkit.vault.VaultTokenSpec;
import org.junit.jupiter.api.Test;

/** hostile or odd KV v2 read answers, served byte for byte by FakeVault.answerNextRaw. */
class VaultHostileAnswersTest {

  private Throwable readWith(String body) {
    try (Fixture f = new Fixture()) {
      f.kv2WithToken();
      f.readerTokenInEnv(VaultTokenSpec.withPolicies("carto-read"));
      f.vault.answerNextRaw("data/prod", 200, body);
      try (VaultSecretProvider p = f.build(f.builder())) {
        return catchThrowable(() -> Leakproof.track(p.fetch()));
      }
    }
  }

  /** The version comes from the answer and is shown by Secret.toString() and logged. */
  @Test
  void metadataVersionEchoingTheSecret_isNotShownInToStringOrLogs() {
    String secret = TestTokens.secret();
    Throwable t = readWith("{\"data\":{\"data\":{\"api_token\":\"" + TestTokens.apiAccessToken()
        + "\"},\"metadata\":{\"version\":\"" + secret + "\"}}}");
    if (t != null) {
      assertThat(t).isInstanceOf(SecretException.class);
    }
  }

  @Test
  void oddAnswers_areTyped_neverAnNpe() {
    String tok = TestTokens.apiAccessToken();
    for (String body : new String[] {
        "{}", "{\"data\":null}", "{\"data\":{\"data\":null}}", "{\"data\":{\"data\":[\"" + tok + "\"]}}",
        "{\"data\":{\"data\":{\"api_token\":{\"x\":\"" + tok + "\"}}}}", "{\"data\":{\"data\":{\"api_token\":12}}}",
        "{\"data\":{\"data\":{\"api_token\":null}}}", "{\"data\":{\"data\":{\"api_token\":\"" + tok + "\"},\"metadata\":null}}",
        "{\"data\":{\"data\":{\"api_token\":\"" + tok + "\"},\"metadata\":{\"version\":{\"a\":1}}}}",
        "not json " + tok, "null", "[\"" + tok + "\"]"}) {
      Throwable t = readWith(body);
      if (t != null) {
        assertThat(t).as(body.replace(tok, "<tok>")).isInstanceOf(SecretException.class);
      }
    }
  }
}
