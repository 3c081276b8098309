package io.cartosecrets;

import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy;

import io.cartosecrets.testkit.Canaries;
import io.cartosecrets.testkit.TestTokens;
import java.io.ByteArrayOutputStream;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SecretAndTokenTest {

  @Test
  void toStringShowsFingerprintSourceAndVersion_neverTheValue() {
    String value = TestTokens.apiAccessToken();
    Secret s = Secret.builder(value, "aws-sm:prod/carto#api_token").version("v-42").build();
    assertThat(s.toString()).contains(s.fingerprint()).contains("aws-sm:prod/carto#api_token").contains("v-42");
    assertThat(s.fingerprint()).hasSize(12).matches("[0-9a-f]{12}");
    String everything = s + String.valueOf(s) + String.format("%s", s) + ("" + s);
    assertThat(everything).doesNotContain(value);
    assertThat(Canaries.findIn(everything)).isEmpty();
  }

  @Test
  void apiAccessToken_decodesAccountAndTokenId_forItsLabel() {
    String account = TestTokens.accountId();
    String jti = TestTokens.tokenId();
    CartoToken t = CartoToken.of(TestTokens.apiAccessToken(account, jti), "env:CARTO_API_TOKEN");
    assertThat(t.kind()).isEqualTo(CartoToken.Kind.API_ACCESS_TOKEN);
    assertThat(t.accountId()).contains(account);
    assertThat(t.tokenId()).contains(jti);
    assertThat(t.expiresAt()).isEmpty();
    assertThat(t.toString()).contains(account).contains(jti).contains(t.fingerprint()).contains("env:CARTO_API_TOKEN");
    assertThat(Canaries.findIn(t.toString())).isEmpty();
  }

  @Test
  void oauthToken_isRecognised_andItsExpiryComesFromExp() {
    Instant exp = Instant.parse("2026-12-04T12:00:00Z");
    String account = TestTokens.accountId();
    CartoToken t =
        CartoToken.of(TestTokens.oauthAccessToken(account, "client-1", exp.minusSeconds(86400), exp), "carto-oauth:");
    assertThat(t.kind()).isEqualTo(CartoToken.Kind.OAUTH_ACCESS_TOKEN);
    assertThat(t.accountId()).contains(account);
    assertThat(t.expiresAt()).contains(exp);
  }

  @Test
  void expiry_isTheEarlierOfTheStoresAndTheJwts() {
    Instant exp = Instant.parse("2026-12-04T12:00:00Z");
    String value = TestTokens.oauthAccessToken("ac_x", "c", exp.minusSeconds(60), exp);
    Secret later = Secret.builder(value, "s").expiresAt(exp.plusSeconds(600)).build();
    Secret earlier = Secret.builder(value, "s").expiresAt(exp.minusSeconds(600)).build();
    assertThat(CartoToken.of(later).expiresAt()).contains(exp);
    assertThat(CartoToken.of(earlier).expiresAt()).contains(exp.minusSeconds(600));
  }

  @Test
  void opaqueKey_hasNoClaims() {
    CartoToken t = CartoToken.of(TestTokens.secret(16), "file:/k");
    assertThat(t.kind()).isEqualTo(CartoToken.Kind.OPAQUE);
    assertThat(t.accountId()).isEmpty();
    assertThat(t.tokenId()).isEmpty();
  }

  @Test
  void forgedClaimsThatAreNotPlainLabels_areNotPrinted() {
    String header = b64("{\"alg\":\"HS256\"}");
    String sneaky = TestTokens.secret();
    String claims = b64("{\"a\":\"" + sneaky + " <script>\",\"jti\":\"" + "x".repeat(200) + "\"}");
    CartoToken t = CartoToken.of(header + "." + claims + "." + TestTokens.secret(), "file:/x");
    assertThat(t.accountId()).isEmpty();
    assertThat(t.tokenId()).isEmpty();
    assertThat(Canaries.findIn(t.toString())).isEmpty();
  }

  @Test
  void equalityIsByValue_hashCodeByFingerprint() {
    String value = TestTokens.apiAccessToken();
    CartoToken a = CartoToken.of(value, "env:A");
    CartoToken b = CartoToken.of(Secret.builder(value, "file:/b").version("7").build());
    CartoToken c = CartoToken.of(TestTokens.apiAccessToken(), "env:A");
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b).isNotEqualTo(c);
    assertThat(a.hashCode()).isEqualTo(a.fingerprint().hashCode());
  }

  @Test
  void serializationFails_ratherThanWritingTheValue() {
    CartoToken t = CartoToken.of(TestTokens.apiAccessToken(), "env:A");
    assertThat(t).isNotInstanceOf(java.io.Serializable.class).isNotInstanceOf(CharSequence.class);
    assertThat(t.secret()).isNotInstanceOf(java.io.Serializable.class).isNotInstanceOf(CharSequence.class);
    assertThatThrownBy(() -> new ObjectOutputStream(new ByteArrayOutputStream()).writeObject(t))
        .isInstanceOf(NotSerializableException.class);
    assertThatThrownBy(() -> new ObjectOutputStream(new ByteArrayOutputStream()).writeObject(t.secret()))
        .isInstanceOf(NotSerializableException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "   \t "})
  void blankValues_areRejectedNamingTheSource(String blank) {
    assertThatThrownBy(() -> Secret.of(blank, "env:CARTO_API_TOKEN"))
        .isInstanceOf(SecretFormatException.class)
        .hasMessageStartingWith("env:CARTO_API_TOKEN: ");
  }

  @Test
  void controlCharacters_areRejectedWithTheirPositionOnly() {
    String token = TestTokens.apiAccessToken();
    for (String bad : new String[] {token + "\n", token.substring(0, 10) + "\u0000" + token.substring(10), token + "\r", token + "\u007f"}) {
      assertThatThrownBy(() -> Secret.of(bad, "file:/run/secrets/carto_token"))
          .isInstanceOf(SecretFormatException.class)
          .hasMessageContaining("control character at position")
          .satisfies(e -> assertThat(Canaries.findIn(e.getMessage() + e)).isEmpty());
    }
  }

  @Test
  void exceptionsName_whatAndWhere() {
    SecretFormatException e = new SecretFormatException("aws-sm:prod/carto", "carto.api_token", "no such field", null);
    assertThat(e.getMessage()).isEqualTo("aws-sm:prod/carto: field 'carto.api_token': no such field");
    assertThat(e.source()).isEqualTo("aws-sm:prod/carto");
    assertThat(e.field()).contains("carto.api_token");
    assertThat(e.retryable()).isFalse();
    assertThat(new SecretUnavailableException("vault:kv/x", "sealed").retryable()).isTrue();
  }

  private static String b64(String json) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}
