package io.cartosecrets.spi;

import io.cartosecrets.Secret;
import io.cartosecrets.SecretAccessDeniedException;
import io.cartosecrets.SecretException;
import io.cartosecrets.SecretFormatException;
import io.cartosecrets.SecretNotFoundException;
import io.cartosecrets.SecretProvider;
import io.cartosecrets.SecretUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * Reads secrets kept in files (Docker and Kubernetes secret files, Vault Agent sinks, AppRole
 * secret ids, service account tokens, Conjur API keys), with the same rules everywhere: a regular
 * file of at most {@value #MAX_BYTES} bytes, strict UTF-8 without a byte order mark, exactly one
 * trailing {@code \n} or {@code \r\n} dropped, not empty or blank. Every error is a typed {@link
 * SecretException} that names the file and, at most, a position: never the content.
 */
public final class SecretFiles {
  /** The largest secret file read: a secret is small; a large file is the wrong file. */
  public static final int MAX_BYTES = 1 << 20;

  private SecretFiles() {}

  /**
   * The text of a secret file.
   *
   * @param source the provider's description, for error messages
   * @throws SecretException typed by what went wrong: not found, access denied, format, I/O
   */
  public static String read(Path path, String source) {
    try {
      BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class);
      if (attrs.isDirectory()) {
        throw new SecretNotFoundException(
            source,
            path + " is a directory, not a file. If a whole Kubernetes secret is mounted there,"
                + " name one of its keys: " + path + "/<key>");
      }
      if (!attrs.isRegularFile()) {
        throw new SecretNotFoundException(
            source, path + " is not a regular file (a FIFO, socket or device); a secret file is a plain file");
      }
      if (attrs.size() > MAX_BYTES) {
        throw tooLarge(attrs.size(), source);
      }
      byte[] bytes;
      try (InputStream in = Files.newInputStream(path)) {
        bytes = in.readNBytes(MAX_BYTES + 1);
      }
      if (bytes.length > MAX_BYTES) {
        throw tooLarge(bytes.length, source);
      }
      if (bytes.length >= 3 && (bytes[0] & 0xff) == 0xef && (bytes[1] & 0xff) == 0xbb && (bytes[2] & 0xff) == 0xbf) {
        // Secret refuses a value starting with U+FEFF too, but a JSON file would fail first as "not
        // JSON"; this names the cause for every kind of file.
        throw new SecretFormatException(
            source, "the file starts with a UTF-8 byte order mark (added by some editors); save it without one");
      }
      return requireContent(trimOneNewline(decodeUtf8(bytes, source)), "the file", source);
    } catch (IOException e) {
      throw ioFailure(e, path, source);
    }
  }

  /**
   * A provider that reads {@code path} again on every fetch: for credentials that other processes
   * replace while the application runs (Vault Agent sinks, projected service account tokens).
   * Its description is {@code file:<path>}.
   */
  public static SecretProvider provider(Path path) {
    Objects.requireNonNull(path, "path");
    String description = "file:" + path;
    return new SecretProvider() {
      @Override
      public Secret fetch() {
        return Secret.of(read(path, description), description);
      }

      @Override
      public String description() {
        return description;
      }

      @Override
      public String toString() {
        return "SecretFile[" + description + "]";
      }
    };
  }

  /**
   * Drops exactly one trailing {@code \n} or {@code \r\n}: what {@code echo}, editors and {@code
   * kubectl create secret --from-file} leave behind. Anything more is kept, so that a value that
   * really ends in whitespace is not silently changed (and a second newline is reported as the
   * control character it is).
   */
  public static String trimOneNewline(String s) {
    if (s.endsWith("\r\n")) {
      return s.substring(0, s.length() - 2);
    }
    if (s.endsWith("\n")) {
      return s.substring(0, s.length() - 1);
    }
    return s;
  }

  /**
   * Checks that text is neither empty nor whitespace only, naming {@code what} ("the file", "the
   * variable"); control characters are left to {@link Secret.Builder#build()}, which reports their
   * position.
   */
  public static String requireContent(String text, String what, String source) {
    if (text.isEmpty()) {
      throw new SecretFormatException(source, what + " is empty");
    }
    if (text.isBlank()) {
      throw new SecretFormatException(source, what + " holds only whitespace (" + text.length() + " characters)");
    }
    return text;
  }

  /**
   * Turns an I/O failure on {@code path} into the typed exception callers act on. The JDK's file
   * exceptions carry the path and the system's reason, never file content, so they are kept as the
   * cause.
   */
  public static SecretException ioFailure(IOException e, Path path, String source) {
    if (e instanceof NoSuchFileException) {
      Path blocking = nonDirectoryAncestor(path);
      if (blocking != null) {
        return notUnderFile(path, blocking, source, e);
      }
      if (Files.isSymbolicLink(path)) {
        return new SecretNotFoundException(source, path + " is a symbolic link to a file that does not exist", e);
      }
      return new SecretNotFoundException(source, "no such file: " + path, e);
    }
    if (e instanceof AccessDeniedException) {
      return new SecretAccessDeniedException(
          source,
          "cannot read " + path + ": permission denied. Make it readable by the user the"
              + " application runs as (mode 0400, owned by that user).",
          e);
    }
    String reason = e.getClass().getSimpleName();
    if (e instanceof FileSystemException) {
      Path blocking = nonDirectoryAncestor(path);
      if (blocking != null) {
        return notUnderFile(path, blocking, source, e);
      }
      String r = ((FileSystemException) e).getReason();
      if (r != null) {
        reason = r;
      }
    }
    return new SecretUnavailableException(source, "I/O error reading " + path + ": " + reason, e);
  }

  /**
   * Decodes strict UTF-8. {@code new String(bytes, UTF_8)} would turn bad bytes into U+FFFD and hand
   * the server a credential that fails with a puzzling 401; here the offset of the first bad byte is
   * reported instead.
   */
  static String decodeUtf8(byte[] bytes, String source) {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length);
    CoderResult result = decoder.decode(in, out, true);
    if (!result.isError()) {
      result = decoder.flush(out);
    }
    if (result.isError()) {
      throw new SecretFormatException(
          source,
          "the file is not UTF-8 text: invalid byte sequence at byte offset " + in.position() + " of " + bytes.length);
    }
    out.flip();
    return out.toString();
  }

  private static SecretFormatException tooLarge(long size, String source) {
    return new SecretFormatException(
        source, "the file is " + size + " bytes; a secret file holds at most " + MAX_BYTES + " bytes (is this the right file?)");
  }

  private static SecretNotFoundException notUnderFile(Path path, Path blocking, String source, IOException e) {
    return new SecretNotFoundException(
        source, "no such file: " + blocking + " is a file, not a directory, so " + path + " cannot exist", e);
  }

  private static Path nonDirectoryAncestor(Path path) {
    for (Path p = path.getParent(); p != null; p = p.getParent()) {
      if (Files.exists(p)) {
        return Files.isDirectory(p) ? null : p;
      }
    }
    return null;
  }
}
