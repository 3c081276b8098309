package io.cartosecrets.testkit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Mints CARTO-shaped credentials at run time, so that no token literal ever sits in the
 * repository. Every value minted here is registered with {@link Canaries}.
 */
public final class TestTokens {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
  private static final char[] ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
  private static volatile KeyPair rsa;

  private TestTokens() {}

  /** A random CARTO account id, {@code ac_} and 8 lower-case letters and digits. */
  public static String accountId() {
    StringBuilder sb = new StringBuilder("ac_");
    for (int i = 0; i < 8; i++) {
      sb.append(ALNUM[RANDOM.nextInt(ALNUM.length)]);
    }
    return sb.toString();
  }

  /** A random 8-hex token id, as in the {@code jti} claim of API Access Tokens. */
  public static String tokenId() {
    byte[] b = new byte[4];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** A new API Access Token for a random account: HS256 JWT with {@code a} and {@code jti}. */
  public static String apiAccessToken() {
    return apiAccessToken(accountId(), tokenId());
  }

  /** A new API Access Token with the given claims, signed with a fresh random key. */
  public static String apiAccessToken(String accountId, String tokenId) {
    ObjectNode claims = MAPPER.createObjectNode().put("a", accountId).put("jti", tokenId);
    String signingInput = encode(MAPPER.createObjectNode().put("alg", "HS256")) + "." + encode(claims);
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(randomBytes(32), "HmacSHA256"));
      byte[] sig = mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII));
      return Canaries.register(signingInput + "." + B64URL.encodeToString(sig));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A new OAuth access token shaped like CARTO's (Auth0, RS256): {@code iss}, {@code sub},
   * {@code aud}, {@code iat}, {@code exp}, {@code gty=client-credentials} and the CARTO account
   * claim, signed with an RSA key generated for this JVM.
   */
  public static String oauthAccessToken(String accountId, String clientId, Instant issuedAt, Instant expiresAt) {
    ObjectNode header = MAPPER.createObjectNode().put("alg", "RS256").put("typ", "JWT").put("kid", "testkit");
    ObjectNode claims =
        MAPPER.createObjectNode()
            .put("iss", "https://auth.carto.com/")
            .put("sub", clientId + "@clients")
            .put("aud", "carto-cloud-native-api")
            .put("iat", issuedAt.getEpochSecond())
            .put("exp", expiresAt.getEpochSecond())
            .put("azp", clientId)
            .put("gty", "client-credentials")
            .put("jti", tokenId())
            .put("http://app.carto.com/account_id", accountId);
    String signingInput = encode(header) + "." + encode(claims);
    try {
      Signature signer = Signature.getInstance("SHA256withRSA");
      signer.initSign(rsaKey().getPrivate());
      signer.update(signingInput.getBytes(StandardCharsets.US_ASCII));
      return Canaries.register(signingInput + "." + B64URL.encodeToString(signer.sign()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A random URL-safe secret of {@code bytes} random bytes (client secrets, API keys, passwords). */
  public static String secret(int bytes) {
    return Canaries.register(B64URL.encodeToString(randomBytes(bytes)));
  }

  /** A random 32-byte secret. */
  public static String secret() {
    return secret(32);
  }

  /** A random identifier that is not a secret (client ids, role ids): not registered as a canary. */
  public static String identifier(String prefix) {
    return prefix + HexFormat.of().formatHex(randomBytes(8));
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  private static String encode(ObjectNode node) {
    try {
      return B64URL.encodeToString(MAPPER.writeValueAsBytes(node));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static KeyPair rsaKey() throws GeneralSecurityException {
    KeyPair k = rsa;
    if (k == null) {
      synchronized (TestTokens.class) {
        if (rsa == null) {
          KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
          g.initialize(2048);
          rsa = g.generateKeyPair();
        }
        k = rsa;
      }
    }
    return k;
  }

}
