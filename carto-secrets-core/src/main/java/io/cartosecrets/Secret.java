package io.cartosecrets;

import io.cartosecrets.internal.Fingerprints;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A secret value loaded from a secret store: a CARTO token, an OAuth client secret, a store
 * credential. Immutable and thread-safe.
 *
 * <p>The value is reachable only through {@link #reveal()}, so every place that uses it shows up in
 * a code review. {@link #toString()} prints the {@linkplain #fingerprint() fingerprint}, the source
 * and the version, never the value. The type is deliberately not a {@link CharSequence} (whose
 * {@code toString} must return the content) and not {@link java.io.Serializable}: serialization
 * fails rather than writing the value out. Equality compares values in constant time; the hash
 * code derives from the fingerprint, not the value.
 */
public final class Secret {
  // transient: reflective serializers (Gson, Jackson with field visibility, XStream) skip the
  // value, as Java serialization refuses it.
  private final transient char[] value;
  private final transient byte[] digest;
  private final String fingerprint;
  private final String source;
  private final String version;
  private final Instant expiresAt;

  private Secret(Builder b) {
    this.value = b.value;
    this.digest = Fingerprints.sha256(new String(b.value).getBytes(StandardCharsets.UTF_8));
    this.fingerprint = Fingerprints.of(digest);
    this.source = b.source;
    this.version = b.version;
    this.expiresAt = b.expiresAt;
  }

  /**
   * A secret with no version or expiry.
   *
   * @param value the secret value, as loaded from the store
   * @param source where it was loaded from, e.g. {@code file:/run/secrets/carto_token}
   * @throws SecretFormatException if the value is empty, blank, starts with a byte order mark or
   *     contains a control character; the
   *     message names the source and never repeats the value
   */
  public static Secret of(String value, String source) {
    return builder(value, source).build();
  }

  /** Starts a secret with a version or an expiry; see {@link #of(String, String)}. */
  public static Builder builder(String value, String source) {
    return new Builder(value, source);
  }

  /** The value. Each call site is a place the secret leaves this type: keep them few. */
  public String reveal() {
    return new String(value);
  }

  /** The first 12 hex characters of the value's SHA-256: safe to log, stable across runs. */
  public String fingerprint() {
    return fingerprint;
  }

  /** Where the secret was loaded from, e.g. {@code env:CARTO_API_TOKEN}; never the value. */
  public String source() {
    return source;
  }

  /** The store's version id for this value (AWS version id, Vault KV v2 version), if it has one. */
  public Optional<String> version() {
    return Optional.ofNullable(version);
  }

  /** When the secret stops being valid, if the store or the value says so. */
  public Optional<Instant> expiresAt() {
    return Optional.ofNullable(expiresAt);
  }

  /** Whether {@code other} holds the same value, compared in constant time. */
  public boolean sameValueAs(Secret other) {
    return MessageDigest.isEqual(digest, other.digest);
  }

  /** A copy that says it came from {@code source}, e.g. to add a field name to a description. */
  public Secret withSource(String source) {
    return toBuilder().source(source).build();
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Equal when the values are equal (compared in constant time); metadata is ignored. */
  @Override
  public boolean equals(Object o) {
    return o instanceof Secret && sameValueAs((Secret) o);
  }

  @Override
  public int hashCode() {
    return fingerprint.hashCode();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Secret[fp=").append(fingerprint);
    sb.append(", source=").append(source);
    if (version != null) {
      sb.append(", version=").append(version);
    }
    if (expiresAt != null) {
      sb.append(", expiresAt=").append(expiresAt);
    }
    return sb.append(']').toString();
  }

  private void writeObject(ObjectOutputStream out) throws IOException {
    throw new NotSerializableException("Secret is never serialized: store a reference, not the value");
  }

  /** Builds a {@link Secret}; validates the value in {@link #build()}. */
  public static final class Builder {
    private char[] value;
    private String source;
    private String version;
    private Instant expiresAt;

    private Builder(String value, String source) {
      this.source = Objects.requireNonNull(source, "source");
      Objects.requireNonNull(value, () -> "secret value from " + source);
      this.value = value.toCharArray();
    }

    private Builder(Secret s) {
      this.value = s.value;
      this.source = s.source;
      this.version = s.version;
      this.expiresAt = s.expiresAt;
    }

    public Builder source(String source) {
      this.source = Objects.requireNonNull(source, "source");
      return this;
    }

    /** The store's version id; {@code null} or empty clears it. */
    public Builder version(String version) {
      this.version = version == null || version.isEmpty() ? null : version;
      return this;
    }

    /** When the secret expires; {@code null} clears it. */
    public Builder expiresAt(Instant expiresAt) {
      this.expiresAt = expiresAt;
      return this;
    }

    /**
     * @throws SecretFormatException if the value is empty, whitespace only, starts with a byte order
     *     mark (U+FEFF), or contains a control character (which no HTTP header may carry)
     */
    public Secret build() {
      if (value.length == 0) {
        throw new SecretFormatException(source, "the secret is empty");
      }
      if (value[0] == '\uFEFF') {
        // A byte order mark an editor left, as SecretFiles refuses for files: it is no control
        // character, so it would otherwise be sent along and the server would answer 401 to a
        // value that looks right. Every store (Vault, Conjur, JSON fields) comes through here.
        throw new SecretFormatException(
            source, "the secret starts with a byte order mark (U+FEFF, added by some editors); store it without one");
      }
      boolean blank = true;
      for (int i = 0; i < value.length; i++) {
        char c = value[i];
        if (c < 0x20 || c == 0x7f) {
          throw new SecretFormatException(
              source,
              "the secret contains a control character at position "
                  + i
                  + " of "
                  + value.length
                  + " (a stray newline or NUL?)");
        }
        if (!Character.isWhitespace(c)) {
          blank = false;
        }
      }
      if (blank) {
        throw new SecretFormatException(source, "the secret is whitespace only");
      }
      return new Secret(this);
    }
  }

}
