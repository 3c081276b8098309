package io.cartosecrets;

/**
 * The SDK was configured in a way that cannot work: an unknown or malformed secret reference, a
 * token value given where a reference was expected, a plain-http base URL for a remote host, a
 * missing provider module. Fix the configuration; retrying will not help.
 */
public final class ConfigurationException extends CartoSecretsException {
  private static final long serialVersionUID = 1L;

  public ConfigurationException(String message) {
    super(message, false, null);
  }

  public ConfigurationException(String message, Throwable cause) {
    super(message, false, cause);
  }
}
