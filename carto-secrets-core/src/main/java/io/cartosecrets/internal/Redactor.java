package io.cartosecrets.internal;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Masks secrets in text that came from outside (error bodies, paths) before it goes into an
 * exception or a log line. A server may echo the request's token back, as given or Base64-encoded,
 * so the known secrets are masked in those forms, and anything shaped like a JWT or a bearer
 * credential is masked whatever it is.
 */
public final class Redactor {
  public static final String MASK = "[redacted]";
  private static final Pattern JWT = Pattern.compile("eyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]*");
  private static final Pattern BEARER = Pattern.compile("(?i)(bearer|token|basic)(\\s+|=)[A-Za-z0-9._~+/=-]{8,}");
  private static final String SECRET_NAMES = "token|access_token|refresh_token|client_secret|api_key|password|secret|secret_id|jwt";
  private static final Pattern SECRET_FIELD =
      Pattern.compile("(?i)(\"(?:" + SECRET_NAMES + ")\"\\s*:\\s*\")[^\"]*(\")");
  private static final Pattern SECRET_PARAM = Pattern.compile("(?i)((?:^|[?&])(?:" + SECRET_NAMES + ")=)[^&\\s]*");

  private Redactor() {}

  /** {@code text} with every form of each of {@code secrets}, and any token-shaped run, masked. */
  public static String redact(String text, String... secrets) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String out = text;
    for (String secret : secrets) {
      if (secret == null || secret.length() < 4) {
        continue;
      }
      byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
      out = out.replace(secret, MASK);
      for (Base64.Encoder encoder : new Base64.Encoder[] {Base64.getEncoder(), Base64.getUrlEncoder()}) {
        out = replaceBase64(out, encoder.encodeToString(bytes));
        out = replaceEmbeddedBase64(out, bytes, encoder);
      }
      out = out.replace(URLEncoder.encode(secret, StandardCharsets.UTF_8), MASK);
    }
    out = JWT.matcher(out).replaceAll(MASK);
    out = BEARER.matcher(out).replaceAll("$1$2" + MASK);
    out = SECRET_FIELD.matcher(out).replaceAll("$1" + MASK + "$2");
    out = SECRET_PARAM.matcher(out).replaceAll("$1" + MASK);
    return out;
  }

  /**
   * Masks {@code text}, the start of a longer text cut at an arbitrary point (a bounded read of a
   * body). A secret across the cut is no longer recognised, by value or by shape, so the run of
   * token characters ({@code A-Z a-z 0-9 . _ ~ + / = -}: JWTs, Base64, hex keys) that the cut
   * ends in is dropped first.
   */
  public static String redactCut(String text, String... secrets) {
    int end = text.length();
    while (end > 0 && isTokenChar(text.charAt(end - 1))) {
      end--;
    }
    return redact(text.substring(0, end), secrets);
  }

  private static boolean isTokenChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || ".-_~+/=".indexOf(c) >= 0;
  }

  /**
   * {@code t} itself when no message in its chain (causes and suppressed included) changes under
   * {@link #redact}; otherwise a copy of the chain with every message masked, each link keeping its
   * class name and stack trace. For I/O errors: OkHttp quotes what it could not parse (a status
   * line, a chunk header), and a server controls that text.
   */
  public static Throwable scrub(Throwable t, String... secrets) {
    if (t == null || clean(t, secrets, Collections.newSetFromMap(new IdentityHashMap<>()))) {
      return t;
    }
    return copy(t, secrets, Collections.newSetFromMap(new IdentityHashMap<>()));
  }

  private static boolean clean(Throwable t, String[] secrets, Set<Throwable> seen) {
    if (!seen.add(t)) {
      return true;
    }
    String m = t.getMessage();
    if (m != null && !m.equals(redact(m, secrets))) {
      return false;
    }
    for (Throwable s : t.getSuppressed()) {
      if (!clean(s, secrets, seen)) {
        return false;
      }
    }
    return t.getCause() == null || clean(t.getCause(), secrets, seen);
  }

  private static Throwable copy(Throwable t, String[] secrets, Set<Throwable> seen) {
    seen.add(t);
    Masked m = new Masked(t.getClass().getName(), redact(t.getMessage(), secrets));
    m.setStackTrace(t.getStackTrace());
    if (t.getCause() != null && !seen.contains(t.getCause())) {
      m.initCause(copy(t.getCause(), secrets, seen));
    }
    for (Throwable s : t.getSuppressed()) {
      if (!seen.contains(s)) {
        m.addSuppressed(copy(s, secrets, seen));
      }
    }
    return m;
  }

  /** Stands in for a throwable whose message showed a secret: printed with the original class name. */
  private static final class Masked extends Exception {
    private static final long serialVersionUID = 1L;
    private final String className;

    Masked(String className, String message) {
      super(message);
      this.className = className;
    }

    @Override
    public String toString() {
      String m = getMessage();
      return m == null ? className : className + ": " + m;
    }
  }

  /**
   * Masks the Base64 of the secret inside a larger Base64 blob ({@code base64("user:" + token)}): the
   * encoding depends on the secret's byte offset modulo 3, so each of the three alignments is
   * masked, without the edge characters that depend on the neighbouring bytes.
   */
  private static String replaceEmbeddedBase64(String text, byte[] secret, Base64.Encoder encoder) {
    String out = text;
    for (int pad = 0; pad < 3; pad++) {
      byte[] shifted = new byte[pad + secret.length];
      System.arraycopy(secret, 0, shifted, pad, secret.length);
      String enc = encoder.withoutPadding().encodeToString(shifted);
      // Drop the characters touched by the pad bytes before and the unknown bytes after.
      int from = pad == 0 ? 0 : (pad * 8 + 5) / 6;
      int to = enc.length() - 2;
      if (to - from >= 12) {
        out = out.replace(enc.substring(from, to), MASK);
      }
    }
    return out;
  }

  private static String replaceBase64(String text, String b64) {
    String unpadded = b64.replace("=", "");
    return text.replace(b64, MASK).replace(unpadded, MASK);
  }
}
