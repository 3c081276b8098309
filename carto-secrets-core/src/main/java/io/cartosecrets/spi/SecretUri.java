package io.cartosecrets.spi;

import io.cartosecrets.ConfigurationException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A reference to a secret: {@code scheme:path[#field][?name=value&...]}, for example
 * {@code env:CARTO_API_TOKEN}, {@code file:/run/secrets/carto_token},
 * {@code aws-sm:prod/carto#api_token?region=eu-west-1} or
 * {@code vault:kv/team/carto/prod#api_token?kv=2}.
 *
 * <p>The parameters start at the first {@code ?}; the field is what follows a {@code #}, before the
 * parameters or after the last one ({@code aws-sm:prod/carto?region=eu-west-1#api_token}).
 * Parameter values may themselves be references ({@code carto-oauth:?client_secret=vault:kv/c#s}).
 * Path, field and parameters are percent-decoded, so {@code %23} is a literal {@code #}. A
 * reference names where a secret is kept and is safe to log; it never holds the secret.
 */
public final class SecretUri {
  private static final java.util.regex.Pattern REFERENCE = java.util.regex.Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:");

  private final String raw;
  private final String scheme;
  private final String path;
  private final String field;
  private final Map<String, String> params;

  private SecretUri(String raw, String scheme, String path, String field, Map<String, String> params) {
    this.raw = raw;
    this.scheme = scheme;
    this.path = path;
    this.field = field;
    this.params = params;
  }

  /**
   * Parses a reference.
   *
   * @throws ConfigurationException if it has no scheme or is malformed; the message does not repeat
   *     the input, which may be a secret pasted in the wrong place
   */
  public static SecretUri parse(String reference) {
    Objects.requireNonNull(reference, "reference");
    String s = reference.trim();
    int colon = s.indexOf(':');
    if (colon <= 0 || !isScheme(s.substring(0, colon))) {
      throw new ConfigurationException(
          "a secret reference must start with a scheme such as env:, file:, aws-sm:, vault: or"
              + " conjur: (the value given, " + s.length() + " characters, is not shown)" + hint(s));
    }
    String scheme = s.substring(0, colon).toLowerCase(java.util.Locale.ROOT);
    String rest = s.substring(colon + 1);
    Map<String, String> params = new LinkedHashMap<>();
    int q = rest.indexOf('?');
    if (q >= 0) {
      String query = rest.substring(q + 1);
      rest = rest.substring(0, q);
      for (String pair : query.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String name = decode(eq < 0 ? pair : pair.substring(0, eq), scheme);
        String value = eq < 0 ? "" : decode(pair.substring(eq + 1), scheme);
        if (params.put(name, value) != null) {
          throw new ConfigurationException(
              "secret reference " + scheme + ": has parameter '" + name + "' more than once");
        }
      }
    }
    String field = null;
    // Java's own URI order is ?params#fragment: accept a #field at the end of the last parameter
    // too, unless that value is itself a reference (carto-oauth:?client_secret=vault:kv/c#s).
    if (rest.indexOf('#') < 0 && !params.isEmpty()) {
      String lastName = null;
      for (String name : params.keySet()) {
        lastName = name;
      }
      String last = params.get(lastName);
      int h = last.indexOf('#');
      if (h >= 0 && !REFERENCE.matcher(last).find()) {
        params.put(lastName, last.substring(0, h));
        field = last.substring(h + 1).isEmpty() ? null : last.substring(h + 1);
      }
    }
    int hash = rest.indexOf('#');
    if (hash >= 0) {
      field = decode(rest.substring(hash + 1), scheme);
      rest = rest.substring(0, hash);
      if (field.isEmpty()) {
        field = null;
      }
    }
    if (rest.startsWith("//")) {
      if (!rest.startsWith("///")) {
        // file://run/secrets/x would name a host "run": almost always a slash too few.
        throw new ConfigurationException(
            "secret reference " + scheme + "://… names a host; write " + scheme + ":/absolute/path or "
                + scheme + ":///absolute/path");
      }
      // file:///run/x has an empty authority; keep the absolute path.
      rest = rest.substring(2);
    }
    return new SecretUri(s, scheme, decode(rest, scheme), field, Collections.unmodifiableMap(params));
  }

  /** The scheme, lower case, without the colon. */
  public String scheme() {
    return scheme;
  }

  /** What the scheme addresses: a variable name, a file path, a secret id; percent-decoded. */
  public String path() {
    return path;
  }

  /** The field within the secret ({@code #field}), if given. */
  public Optional<String> field() {
    return Optional.ofNullable(field);
  }

  public Optional<String> param(String name) {
    return Optional.ofNullable(params.get(name));
  }

  /** All parameters, in the order given. */
  public Map<String, String> params() {
    return params;
  }

  /**
   * Fails on parameters the provider does not know, so that a typo ({@code regoin=}) is reported
   * rather than silently ignored.
   */
  public SecretUri requireOnlyParams(String... known) {
    for (String name : params.keySet()) {
      boolean ok = false;
      for (String k : known) {
        ok |= k.equals(name);
      }
      if (!ok) {
        throw new ConfigurationException(
            "secret reference " + scheme + ":" + path + " has unknown parameter '" + name
                + (known.length == 0 ? "'; this scheme takes no parameters" : "'; known: " + String.join(", ", known)));
      }
    }
    return this;
  }

  /** The reference as given. */
  @Override
  public String toString() {
    return raw;
  }

  /** A hint for the usual ways a reference is mistyped; names no part of the value. */
  private static String hint(String s) {
    if (s.startsWith("\"") || s.startsWith("'")) {
      return "; remove the quotes around it";
    }
    if (s.startsWith("$")) {
      return "; write env:NAME instead of a shell $NAME";
    }
    if (s.startsWith("~") || s.startsWith("/")) {
      return "; a file is written file:/absolute/path (~ is not expanded)";
    }
    return "";
  }

  private static boolean isScheme(String s) {
    if (!Character.isLetter(s.charAt(0)) || s.length() > 32) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!(Character.isLetterOrDigit(c) || c == '-' || c == '+' || c == '.')) {
        return false;
      }
    }
    return true;
  }

  private static String decode(String s, String scheme) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    try {
      // URLDecoder would turn '+' into a space; '+' is literal in a path (Conjur ids use it).
      return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException("secret reference " + scheme + ": has a malformed %-escape");
    }
  }
}
