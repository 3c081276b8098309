package io.cartosecrets;

import java.util.Optional;

/**
 * The secret was read but its content is unusable: empty or blank, a control character, invalid
 * JSON, a missing field, a field that is not a string. The message names the source and the field,
 * never the content. Permanent until the stored secret is fixed.
 */
public final class SecretFormatException extends SecretException {
  private static final long serialVersionUID = 1L;
  private final String field;

  public SecretFormatException(String source, String message) {
    this(source, null, message, null);
  }

  /**
   * @param field the field within the secret that is at fault, or {@code null} when the secret
   *     has no fields
   */
  public SecretFormatException(String source, String field, String message, Throwable cause) {
    super(source, field == null ? message : "field '" + field + "': " + message, false, cause);
    this.field = field;
  }

  /** The field within the secret that is at fault, when the secret has fields. */
  public Optional<String> field() {
    return Optional.ofNullable(field);
  }
}
