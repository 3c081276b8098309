package io.cartosecrets.testkit;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every secret the tests mint is registered here, so that a scan of logs, exception text, thread
 * names and recorded requests can prove none of them escaped. A canary is found in its raw form,
 * its Base64 (standard and URL-safe, with and without padding) and its URL-encoded form.
 */
public final class Canaries {
  // Thread-safe set: tests mint secrets from many threads at once.
  private static final Set<String> CANARIES = ConcurrentHashMap.newKeySet();

  private Canaries() {}

  /** Registers {@code secret} and returns it, for chaining at the point of minting. */
  public static String register(String secret) {
    CANARIES.add(secret);
    return secret;
  }

  /** Every registered secret. */
  public static Set<String> all() {
    return Set.copyOf(CANARIES);
  }

  /**
   * The first registered canary found in {@code text}, in any of its encodings, described by its
   * encoding and position (never the canary itself), or empty if none is present.
   */
  public static Optional<String> findIn(String text) {
    if (text == null || text.isEmpty()) {
      return Optional.empty();
    }
    for (String canary : CANARIES) {
      for (String[] form : forms(canary)) {
        int at = text.indexOf(form[1]);
        if (at >= 0) {
          return Optional.of(form[0] + " form of a canary secret at offset " + at);
        }
      }
    }
    return Optional.empty();
  }

  private static List<String[]> forms(String canary) {
    byte[] bytes = canary.getBytes(StandardCharsets.UTF_8);
    List<String[]> forms = new ArrayList<>();
    forms.add(new String[] {"raw", canary});
    String b64 = Base64.getEncoder().encodeToString(bytes);
    forms.add(new String[] {"base64", stripPadding(b64)});
    forms.add(new String[] {"base64url", stripPadding(Base64.getUrlEncoder().encodeToString(bytes))});
    String url = URLEncoder.encode(canary, StandardCharsets.UTF_8);
    if (!url.equals(canary)) {
      forms.add(new String[] {"url-encoded", url});
    }
    return forms;
  }

  private static String stripPadding(String b64) {
    int end = b64.length();
    while (end > 0 && b64.charAt(end - 1) == '=') {
      end--;
    }
    // The last character of unpadded Base64 depends on what follows; drop it to match in context.
    return b64.substring(0, Math.max(0, end - 1));
  }
}
