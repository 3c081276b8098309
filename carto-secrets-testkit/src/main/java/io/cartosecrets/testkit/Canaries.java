package io.cartosecrets.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Every secret the tests mint is registered here, so that a scan of logs, exception text, thread
 * names and recorded requests can prove none of them escaped. A canary is found in its raw form,
 * its Base64 (standard and URL-safe, at each of the three alignments it can take inside a larger
 * Base64 blob), its hex (either case) and its URL-encoded form; and also after the text is
 * unwrapped: line breaks removed (MIME Base64, a token folded across lines), JSON's {@code \/}
 * unescaped, and percent-escapes decoded in any case, however few characters were escaped.
 *
 * <p>When the system property {@value #REGISTRY_PROPERTY} names a file, each canary is also
 * appended to it, hex-encoded (so the file itself holds none of the forms searched for), for the
 * scan of leftover files after the suite ({@link io.cartosecrets.testkit.canary.LeftoverScan}).
 */
public final class Canaries {
  /** System property naming the file that receives every canary, hex-encoded, one per line. */
  public static final String REGISTRY_PROPERTY = "cartosecrets.canary.registry";

  // Shorter forms would match ordinary text by chance.
  private static final int MIN_FORM_LENGTH = 8;

  // Thread-safe set: tests mint secrets from many threads at once.
  private static final Set<String> CANARIES = ConcurrentHashMap.newKeySet();

  // Every form of every canary, keyed by its last four characters packed into a long, so that a
  // scan is one pass over the text whatever the number of canaries (tests mint thousands, and
  // CARTO tokens share a long common prefix, which rules out keying by prefix).
  private static final Map<Long, Queue<Form>> BY_TAIL = new ConcurrentHashMap<>();

  private static final Path REGISTRY = registryFile();

  private Canaries() {}

  /** One searchable form of a canary: how it is encoded, and the text. */
  private record Form(String encoding, String text) {}

  /** Registers {@code secret} and returns it, for chaining at the point of minting. */
  public static String register(String secret) {
    if (secret.length() < MIN_FORM_LENGTH) {
      throw new IllegalArgumentException("a canary must be at least " + MIN_FORM_LENGTH + " characters");
    }
    if (CANARIES.add(secret)) {
      for (Form form : forms(secret)) {
        BY_TAIL.computeIfAbsent(tailKey(form.text(), form.text().length()), k -> new ConcurrentLinkedQueue<>())
            .add(form);
      }
      persist(secret);
    }
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
    Optional<String> hit = firstHit(text).map(h -> h.form().encoding() + " form of a canary secret at offset " + h.start());
    if (hit.isPresent() || text == null) {
      return hit;
    }
    String unwrapped = unwrap(text);
    return unwrapped.equals(text)
        ? hit
        : firstHit(unwrapped).map(h -> h.form().encoding()
            + " form of a canary secret, once line breaks, JSON escapes and percent-escapes are undone");
  }

  /**
   * {@code text} without line breaks, with JSON's {@code \/} unescaped and percent-escapes
   * decoded (leniently: a malformed escape stays as it is).
   */
  private static String unwrap(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\r' || c == '\n') {
        continue;
      }
      if (c == '\\' && i + 1 < text.length() && text.charAt(i + 1) == '/') {
        out.append('/');
        i++;
      } else if (c == '%' && i + 2 < text.length() && hex(text.charAt(i + 1)) >= 0 && hex(text.charAt(i + 2)) >= 0) {
        out.append((char) (hex(text.charAt(i + 1)) * 16 + hex(text.charAt(i + 2))));
        i += 2;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static int hex(char c) {
    return Character.digit(c, 16);
  }

  /**
   * {@code text} with every canary form replaced by {@code [canary]}, for safe display. A canary
   * that is found only once the text is unwrapped (see {@link #findIn}) is not masked: show such
   * text only after {@code findIn} found nothing.
   */
  public static String mask(String text) {
    if (text == null) {
      return null;
    }
    StringBuilder masked = new StringBuilder(text.length());
    int done = 0;
    for (Optional<Hit> hit = firstHit(text, 0); hit.isPresent(); hit = firstHit(text, done)) {
      Hit h = hit.get();
      masked.append(text, done, h.start()).append("[canary]");
      done = h.start() + h.form().text().length();
    }
    return masked.append(text, done, text.length()).toString();
  }

  private record Hit(Form form, int start) {}

  private static Optional<Hit> firstHit(String text) {
    return firstHit(text, 0);
  }

  /** The first hit that starts at or after {@code from}. */
  private static Optional<Hit> firstHit(String text, int from) {
    if (text == null || text.length() - from < MIN_FORM_LENGTH || BY_TAIL.isEmpty()) {
      return Optional.empty();
    }
    long key = 0;
    for (int end = from + 1; end <= text.length(); end++) {
      key = (key << 16) | text.charAt(end - 1);
      if (end - from < 4) {
        continue;
      }
      Queue<Form> candidates = BY_TAIL.get(key);
      if (candidates == null) {
        continue;
      }
      for (Form form : candidates) {
        int start = end - form.text().length();
        if (start >= from && text.startsWith(form.text(), start)) {
          return Optional.of(new Hit(form, start));
        }
      }
    }
    return Optional.empty();
  }

  private static long tailKey(String s, int end) {
    long key = 0;
    for (int i = end - 4; i < end; i++) {
      key = (key << 16) | s.charAt(i);
    }
    return key;
  }

  private static List<Form> forms(String canary) {
    byte[] bytes = canary.getBytes(StandardCharsets.UTF_8);
    Map<String, String> forms = new LinkedHashMap<>(); // text -> encoding, without duplicates
    forms.put(canary, "raw");
    for (int shift = 0; shift < 3; shift++) {
      byte[] shifted = new byte[shift + bytes.length];
      System.arraycopy(bytes, 0, shifted, shift, bytes.length);
      String where = shift == 0 ? "" : " (inside a larger blob)";
      forms.putIfAbsent(stableBase64(Base64.getEncoder().encodeToString(shifted), shift), "base64" + where);
      forms.putIfAbsent(stableBase64(Base64.getUrlEncoder().encodeToString(shifted), shift), "base64url" + where);
    }
    forms.putIfAbsent(URLEncoder.encode(canary, StandardCharsets.UTF_8), "url-encoded");
    forms.putIfAbsent(HexFormat.of().formatHex(bytes), "hex");
    forms.putIfAbsent(HexFormat.of().withUpperCase().formatHex(bytes), "hex");
    List<Form> out = new ArrayList<>();
    forms.forEach((text, encoding) -> {
      if (text.length() >= MIN_FORM_LENGTH) {
        out.add(new Form(encoding, text));
      }
    });
    return out;
  }

  /**
   * The part of a Base64 encoding that does not depend on what surrounds the canary: without the
   * first group when other bytes shared it, and without padding and the last, partial group.
   */
  private static String stableBase64(String b64, int shift) {
    int end = b64.length();
    while (end > 0 && b64.charAt(end - 1) == '=') {
      end--;
    }
    int start = shift == 0 ? 0 : 4;
    // The last character (and after a shift, the whole last group) also encodes following bytes.
    end = shift == 0 ? end - 1 : end - 4;
    return end > start ? b64.substring(start, end) : "";
  }

  private static Path registryFile() {
    String name = System.getProperty(REGISTRY_PROPERTY);
    if (name == null || name.isBlank()) {
      return null;
    }
    Path file = Path.of(name);
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      // A new test JVM starts a new registry: the scan after it looks for this run's canaries.
      Files.write(file, new byte[0]);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the canary registry " + file, e);
    }
    return file;
  }

  private static void persist(String secret) {
    if (REGISTRY == null) {
      return;
    }
    String line = HexFormat.of().formatHex(secret.getBytes(StandardCharsets.UTF_8)) + "\n";
    synchronized (Canaries.class) {
      try {
        Files.writeString(REGISTRY, line, StandardCharsets.US_ASCII, StandardOpenOption.APPEND);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot record a canary in " + REGISTRY, e);
      }
    }
  }
}
