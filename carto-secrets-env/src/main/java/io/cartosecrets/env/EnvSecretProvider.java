package io.cartosecrets.env;

import io.cartosecrets.ConfigurationException;
import io.cartosecrets.Secret;
import io.cartosecrets.SecretAccessDeniedException;
import io.cartosecrets.SecretNotFoundException;
import io.cartosecrets.SecretProvider;
import io.cartosecrets.spi.SecretFiles;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a secret from an environment variable, {@code CARTO_API_TOKEN} unless named otherwise.
 * Thread-safe.
 *
 * <p>The value is used as is, except that exactly one trailing {@code \n} or {@code \r\n} is
 * dropped (Kubernetes {@code secretKeyRef} keeps the newline a file ended with). An unset variable
 * is a {@link SecretNotFoundException}; an empty or whitespace-only one, or one with a control
 * character, is a {@link io.cartosecrets.SecretFormatException}. Messages name the variable, never
 * the value.
 *
 * <p><b>Rotation:</b> a process's environment is fixed when it starts, so a rotated token reaches
 * the application only through a restart. {@link #refresh(Secret)} therefore looks the variable up
 * again and returns the current secret itself when the value is unchanged, which it always is
 * unless a custom {@linkplain Builder#lookup lookup} says otherwise. For tokens that rotate while
 * the application runs, mount them as a file and use {@link FileSecretProvider}.
 *
 * <pre>{@code
 * SecretProvider token = EnvSecretProvider.create();             // env:CARTO_API_TOKEN
 * SecretProvider other = EnvSecretProvider.of("CARTO_PROD_TOKEN");
 * SecretProvider test = EnvSecretProvider.builder()
 *     .environment(Map.of("CARTO_API_TOKEN", minted))
 *     .build();
 * }</pre>
 */
public final class EnvSecretProvider implements SecretProvider {
  /** The variable read when no name is given. */
  public static final String DEFAULT_NAME = "CARTO_API_TOKEN";

  private static final Logger LOG = LoggerFactory.getLogger(EnvSecretProvider.class);

  // POSIX portable names only: anything else is more likely a value pasted in the wrong place.
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
  private static final Pattern HAS_DIGIT = Pattern.compile(".*[0-9].*");

  private final String name;
  private final String description;
  // Thread-safe by contract (System::getenv, or a copied, never-modified map).
  private final Function<String, String> lookup;
  private final AtomicBoolean warnedEdgeSpaces = new AtomicBoolean();

  private EnvSecretProvider(Builder b) {
    this.name = b.name;
    this.description = "env:" + b.name;
    this.lookup = b.lookup;
  }

  /** Reads {@link #DEFAULT_NAME} from the process environment. */
  public static EnvSecretProvider create() {
    return builder().build();
  }

  /**
   * Reads the variable {@code name} from the process environment.
   *
   * @throws ConfigurationException if {@code name} is not a portable variable name or looks like a
   *     token value; the message does not repeat it
   */
  public static EnvSecretProvider of(String name) {
    return builder().name(name).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The variable's name. */
  public String name() {
    return name;
  }

  /**
   * @throws SecretNotFoundException if the variable is not set
   * @throws io.cartosecrets.SecretFormatException if it is empty, whitespace only, or contains a
   *     control character (the position is given, not the value)
   */
  @Override
  public Secret fetch() {
    String raw;
    try {
      raw = lookup.apply(name);
    } catch (SecurityException e) {
      throw new SecretAccessDeniedException(
          description, "reading environment variable " + name + " is not permitted", e);
    }
    if (raw == null) {
      throw new SecretNotFoundException(
          description,
          "environment variable " + name + " is not set. Set it, or read the token from a file"
              + " (file:/run/secrets/...) or a secret store instead.");
    }
    String text = SecretFiles.requireContent(
        SecretFiles.trimOneNewline(raw), "environment variable " + name, description);
    Secret secret = Secret.of(text, description);
    SecretText.warnOnEdgeSpaces(text, warnedEdgeSpaces, LOG, description);
    return secret;
  }

  /**
   * Looks the variable up again; returns {@code current} itself when the value is unchanged, which
   * for the real environment of a running process is always the case.
   */
  @Override
  public Secret refresh(Secret current) {
    Secret now = fetch();
    if (current != null && now.sameValueAs(current) && description.equals(current.source())) {
      return current;
    }
    return now;
  }

  @Override
  public String description() {
    return description;
  }

  @Override
  public String toString() {
    return "EnvSecretProvider[" + description + "]";
  }

  /** Configures an {@link EnvSecretProvider}. */
  public static final class Builder {
    private String name = DEFAULT_NAME;
    private Function<String, String> lookup = System::getenv;

    private Builder() {}

    /**
     * The variable to read; {@link #DEFAULT_NAME} if not called.
     *
     * @throws ConfigurationException if it is not a portable variable name ({@code [A-Za-z_]} then
     *     letters, digits and underscores) or looks like a token value; the message does not
     *     repeat it
     */
    public Builder name(String name) {
      Objects.requireNonNull(name, "name");
      if (!NAME.matcher(name).matches()) {
        throw new ConfigurationException(
            "an environment variable name must be a letter or '_' followed by letters, digits and"
                + " '_' (the name given, " + name.length() + " characters, is not shown in case it"
                + " is a token value pasted in the wrong place)"
                + (name.startsWith("$") ? "; write the name without a shell '$'" : "")
                + (name.contains("-") ? "; '-' is not allowed in a name (use '_')" : ""));
      }
      if (looksLikeValue(name)) {
        throw new ConfigurationException(
            "the environment variable name given looks like a token value rather than a name;"
                + " it is not shown. Give the variable's name, e.g. " + DEFAULT_NAME
                + ", and treat that token as leaked if this configuration was committed or logged.");
      }
      this.name = name;
      return this;
    }

    /**
     * Reads variables from {@code environment} instead of the process environment, for tests and
     * for applications that load an environment file themselves. The map is copied; a missing key
     * or a {@code null} value means the variable is not set.
     */
    public Builder environment(Map<String, String> environment) {
      Objects.requireNonNull(environment, "environment");
      Map<String, String> copy = new HashMap<>(environment);
      this.lookup = copy::get;
      return this;
    }

    /**
     * Reads variables through {@code lookup} (a name to a value, or {@code null} when unset)
     * instead of {@link System#getenv(String)}. It must be thread-safe.
     */
    public Builder lookup(Function<String, String> lookup) {
      this.lookup = Objects.requireNonNull(lookup, "lookup");
      return this;
    }

    public EnvSecretProvider build() {
      return new EnvSecretProvider(this);
    }

    // Variable names are short and usually contain '_'; a long run of letters and digits without
    // one is how API keys look.
    private static boolean looksLikeValue(String name) {
      return name.length() >= 20 && name.indexOf('_') < 0 && HAS_DIGIT.matcher(name).matches();
    }
  }
}
