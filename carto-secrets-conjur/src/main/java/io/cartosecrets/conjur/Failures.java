package io.cartosecrets.conjur;

import io.cartosecrets.spi.SecretFiles;
import java.nio.file.LinkOption;
import io.cartosecrets.SecretAccessDeniedException;
import io.cartosecrets.SecretException;
import io.cartosecrets.SecretFormatException;
import io.cartosecrets.SecretNotFoundException;
import io.cartosecrets.SecretUnavailableException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Turns what went wrong into the SDK's typed exceptions. Messages name the source, the login, the
 * variable and the HTTP status; never a value, an API key, a token or a response body.
 */
final class Failures {
  private Failures() {}

  /** Conjur could not be reached, or the exchange broke off: transient. */
  static SecretUnavailableException unreachable(String source, String action, IOException e) {
    // OkHttp's messages name the host, port and TLS problem, never headers or bodies.
    return new SecretUnavailableException(
        source, "could not reach Conjur to " + action + " (" + e.getClass().getSimpleName()
            + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", e);
  }

  /** A status with no specific meaning here: 5xx, 408 and 429 are transient, the rest unexpected. */
  static SecretUnavailableException status(String source, String action, int status) {
    boolean transientStatus = status >= 500 || status == 408 || status == 429;
    return new SecretUnavailableException(
        source, (transientStatus ? "Conjur is unavailable" : "unexpected answer from Conjur")
            + ": HTTP " + status + " to " + action
            + (status >= 300 && status < 400 ? " (redirects are not followed: check the appliance URL)" : ""));
  }

  /** The reply to an authentication request that did not succeed. */
  static SecretException authentication(String source, String who, String account, int status) {
    switch (status) {
      case 401:
        return new SecretAccessDeniedException(
            source, "Conjur refused to authenticate " + who + " in account '" + account
                + "' (HTTP 401): the credential is wrong, expired or was rotated, or the login,"
                + " the account or the authenticator does not exist or is not enabled");
      case 403:
        return new SecretAccessDeniedException(
            source, "Conjur does not allow " + who + " in account '" + account
                + "' to use this authenticator (HTTP 403)");
      case 404:
        return new SecretNotFoundException(
            source, "there is no such authenticator for " + who + " in account '" + account
                + "' (HTTP 404): check the appliance URL (Conjur Cloud needs its /api path) and that"
                + " the authenticator is enabled");
      default:
        return status(source, "authenticate " + who, status);
    }
  }

  /** A Conjur reply that should have held an access token but does not. */
  static SecretUnavailableException notAToken(String source, String who, int bytes) {
    return new SecretUnavailableException(
        source, "Conjur's answer to authenticating " + who + " is not an access token (" + bytes
            + " bytes, not shown): is the appliance URL that of Conjur?");
  }

  /** The reply to reading a variable that did not succeed (401 is handled by the caller). */
  static SecretException read(String source, String who, String account, String variableId, int status) {
    switch (status) {
      case 401:
        return new SecretAccessDeniedException(
            source, "Conjur rejected a newly obtained access token for " + who + " (HTTP 401)");
      case 403:
        return new SecretAccessDeniedException(
            source, who + " may see variable '" + variableId + "' but lacks the execute privilege"
                + " on it (HTTP 403): permit it [read, execute] in policy");
      case 404:
        return new SecretNotFoundException(
            source, "variable '" + variableId + "' does not exist in account '" + account
                + "', is not visible to " + who + " (no privilege on it), or has no value yet"
                + " (HTTP 404; Conjur does not say which)");
      default:
        return status(source, "read variable '" + variableId + "'", status);
    }
  }

  /**
   * The text of a local file (an API key, a JWT, a sidecar's token), strictly UTF-8.
   *
   * @param what what the file holds, for messages
   */
  static String readFile(Path file, String source, String what) {
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS) && !Files.exists(file)) {
      return null;
    }
    return SecretFiles.read(file, source);
  }


}
