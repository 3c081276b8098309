package io.cartosecrets.env;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.cartosecrets.ConfigurationException;
import io.cartosecrets.Secret;
import io.cartosecrets.SecretAccessDeniedException;
import io.cartosecrets.SecretException;
import io.cartosecrets.SecretFormatException;
import io.cartosecrets.SecretNotFoundException;
import io.cartosecrets.testkit.Canaries;
import io.cartosecrets.testkit.LogCapture;
import io.cartosecrets.testkit.TestTokens;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

class EnvSecretProviderTest {

  @BeforeEach
  void clearLogs() {
    LogCapture.clear();
  }

  private static EnvSecretProvider withEnv(String name, String value) {
    return EnvSecretProvider.builder().name(name).environment(Map.of(name, value)).build();
  }

  @Test
  void defaultProvider_readsCartoApiToken() {
    String token = TestTokens.apiAccessToken();
    EnvSecretProvider p = EnvSecretProvider.builder()
        .environment(Map.of("CARTO_API_TOKEN", token, "OTHER", TestTokens.secret()))
        .build();

    Secret s = p.fetch();

    assertThat(s.reveal()).isEqualTo(token);
    assertThat(s.source()).isEqualTo("env:CARTO_API_TOKEN");
    assertThat(p.name()).isEqualTo(EnvSecretProvider.DEFAULT_NAME).isEqualTo("CARTO_API_TOKEN");
    assertThat(EnvSecretProvider.create().description()).isEqualTo("env:CARTO_API_TOKEN");
  }

  @Test
  void namedVariable_isReadAndDescribedByName() {
    String token = TestTokens.apiAccessToken();
    EnvSecretProvider p = withEnv("CARTO_PROD_TOKEN", token);

    assertThat(p.fetch().reveal()).isEqualTo(token);
    assertThat(p.description()).isEqualTo("env:CARTO_PROD_TOKEN");
    assertThat(p.toString()).isEqualTo("EnvSecretProvider[env:CARTO_PROD_TOKEN]");
  }

  @Test
  void withoutInjectedEnvironment_readsTheProcessEnvironment() {
    String path = System.getenv("PATH");
    assumeThat(path).as("PATH is set in this environment").isNotBlank();

    assertThat(EnvSecretProvider.of("PATH").fetch().reveal()).isEqualTo(path);
  }

  @Test
  void unsetVariable_isNotFound_namingTheVariableAndSayingItIsUnset() {
    EnvSecretProvider p = EnvSecretProvider.builder().environment(Map.of()).build();

    assertThatThrownBy(p::fetch)
        .isInstanceOf(SecretNotFoundException.class)
        .hasMessageContaining("env:CARTO_API_TOKEN")
        .hasMessageContaining("environment variable CARTO_API_TOKEN is not set")
        .satisfies(e -> assertThat(((SecretException) e).source()).isEqualTo("env:CARTO_API_TOKEN"))
        .satisfies(e -> assertThat(((SecretException) e).retryable()).isFalse());
  }

  @Test
  void emptyVariable_isFormatError_namingTheVariable() {
    assertThatThrownBy(() -> withEnv("CARTO_API_TOKEN", "").fetch())
        .isInstanceOf(SecretFormatException.class)
        .hasMessage("env:CARTO_API_TOKEN: environment variable CARTO_API_TOKEN is empty");
  }

  @Test
  void variableHoldingOnlyTheTrimmedNewline_isEmpty() {
    assertThatThrownBy(() -> withEnv("CARTO_API_TOKEN", "\r\n").fetch())
        .isInstanceOf(SecretFormatException.class)
        .hasMessageContaining("CARTO_API_TOKEN is empty");
  }

  @Test
  void whitespaceOnlyVariable_isFormatError_namingTheVariable() {
    assertThatThrownBy(() -> withEnv("CARTO_API_TOKEN", "  \t ").fetch())
        .isInstanceOf(SecretFormatException.class)
        .hasMessage("env:CARTO_API_TOKEN: environment variable CARTO_API_TOKEN holds only"
            + " whitespace (4 characters)");
  }

  @Test
  void oneTrailingNewline_isDropped() {
    String token = TestTokens.apiAccessToken();
    assertThat(withEnv("T", token + "\n").fetch().reveal()).isEqualTo(token);
  }

  @Test
  void oneTrailingCrLf_isDropped() {
    String token = TestTokens.apiAccessToken();
    assertThat(withEnv("T", token + "\r\n").fetch().reveal()).isEqualTo(token);
  }

  @Test
  void twoTrailingNewlines_keepOne_whichIsReportedAsControlCharacterByPosition() {
    String token = TestTokens.apiAccessToken();

    assertThatThrownBy(() -> withEnv("T", token + "\n\n").fetch())
        .isInstanceOf(SecretFormatException.class)
        .hasMessageContaining("env:T")
        .hasMessageContaining("control character at position " + token.length())
        .satisfies(e -> assertThat(Canaries.findIn(e.getMessage())).isEmpty());
  }

  @Test
  void interiorControlCharacter_isReportedByPositionOnly() {
    String a = TestTokens.secret(8);
    String b = TestTokens.secret(8);

    assertThatThrownBy(() -> withEnv("T", a + "\u0000" + b).fetch())
        .isInstanceOf(SecretFormatException.class)
        .hasMessageContaining("position " + a.length())
        .satisfies(e -> assertThat(Canaries.findIn(e.toString())).isEmpty());
  }

  @Test
  void edgeSpaces_areKept_andWarnedOncePerProvider() {
    String token = TestTokens.apiAccessToken();
    EnvSecretProvider p = withEnv("SPACED_TOKEN", token + "  ");

    assertThat(p.fetch().reveal()).isEqualTo(token + "  ");
    p.fetch();
    p.refresh(p.fetch());

    List<LogCapture.Line> warnings = LogCapture.lines(Level.WARN, "env:SPACED_TOKEN");
    assertThat(warnings).hasSize(1);
    assertThat(warnings.get(0).text()).contains("starts or ends with a space");
    assertThat(Canaries.findIn(LogCapture.allText())).isEmpty();
  }

  @Test
  void refresh_unchangedValue_returnsTheSameInstance() {
    EnvSecretProvider p = withEnv("CARTO_API_TOKEN", TestTokens.apiAccessToken());
    Secret first = p.fetch();

    assertThat(p.refresh(first)).isSameAs(first);
    assertThat(p.refresh(p.refresh(first))).isSameAs(first);
  }

  @Test
  void refresh_valueChangedInInjectedLookup_returnsTheNewValue() {
    String before = TestTokens.apiAccessToken();
    String after = TestTokens.apiAccessToken();
    AtomicReference<String> value = new AtomicReference<>(before);
    EnvSecretProvider p = EnvSecretProvider.builder()
        .lookup(name -> name.equals("CARTO_API_TOKEN") ? value.get() : null)
        .build();
    Secret first = p.fetch();

    value.set(after);
    Secret second = p.refresh(first);

    assertThat(second).isNotSameAs(first);
    assertThat(second.reveal()).isEqualTo(after);
    assertThat(p.refresh(second)).isSameAs(second);
  }

  @Test
  void refresh_variableUnsetSinceLastRead_throwsNotFound() {
    AtomicReference<String> value = new AtomicReference<>(TestTokens.apiAccessToken());
    EnvSecretProvider p = EnvSecretProvider.builder().lookup(n -> value.get()).build();
    Secret first = p.fetch();

    value.set(null);

    assertThatThrownBy(() -> p.refresh(first)).isInstanceOf(SecretNotFoundException.class);
  }

  @Test
  void environmentMap_isCopied_soLaterChangesToItAreNotSeen() {
    String token = TestTokens.apiAccessToken();
    Map<String, String> env = new HashMap<>(Map.of("CARTO_API_TOKEN", token));
    EnvSecretProvider p = EnvSecretProvider.builder().environment(env).build();

    env.put("CARTO_API_TOKEN", TestTokens.apiAccessToken());

    assertThat(p.fetch().reveal()).isEqualTo(token);
  }

  @Test
  void lookupDeniedBySecurityPolicy_isAccessDenied() {
    EnvSecretProvider p = EnvSecretProvider.builder()
        .lookup(n -> {
          throw new SecurityException("getenv." + n);
        })
        .build();

    assertThatThrownBy(p::fetch)
        .isInstanceOf(SecretAccessDeniedException.class)
        .hasMessageContaining("CARTO_API_TOKEN");
  }

  @Test
  void tokenGivenAsVariableName_isRefusedWithoutEchoingIt() {
    String jwt = TestTokens.apiAccessToken();
    String key = "k" + TestTokens.secret(24).replace("-", "x").replace("_", "y") + "9";

    assertThatThrownBy(() -> EnvSecretProvider.of(jwt))
        .isInstanceOf(ConfigurationException.class)
        .satisfies(e -> assertThat(Canaries.findIn(e.getMessage())).isEmpty());
    assertThatThrownBy(() -> EnvSecretProvider.of(Canaries.register(key)))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("looks like a token value")
        .satisfies(e -> assertThat(Canaries.findIn(e.getMessage())).isEmpty());
  }

  @Test
  void malformedVariableNames_areRefused() {
    for (String bad : List.of("", "1ABC", "A-B", "A B", "A=B", "A\u0000B")) {
      assertThatThrownBy(() -> EnvSecretProvider.of(bad))
          .as("name of %d characters", bad.length())
          .isInstanceOf(ConfigurationException.class)
          .hasMessageContaining("environment variable name");
    }
    assertThat(EnvSecretProvider.of("_lower_case_9").description()).isEqualTo("env:_lower_case_9");
  }

  @Test
  void concurrentFetches_allSeeTheSameValue() throws Exception {
    String token = TestTokens.apiAccessToken();
    EnvSecretProvider p = withEnv("CARTO_API_TOKEN", token + "\n");
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Secret>> results = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        results.add(pool.submit(p::fetch));
      }
      for (Future<Secret> f : results) {
        assertThat(f.get(10, TimeUnit.SECONDS).reveal()).isEqualTo(token);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
