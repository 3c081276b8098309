package io.cartosecrets.env;

import io.cartosecrets.SecretFormatException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;

/**
 * The rules both providers apply to raw text before it becomes a {@link io.cartosecrets.Secret}.
 * Every message names the place and, at most, a position: never the content.
 */
final class SecretText {
  private SecretText() {}

  /**
   * Drops exactly one trailing {@code \n} or {@code \r\n}: what {@code echo}, editors and
   * {@code kubectl create secret --from-file} leave behind. Anything more is kept, so that a value
   * that really ends in whitespace is not silently changed (and a second newline is reported as the
   * control character it is).
   */
  static String trimOneNewline(String s) {
    if (s.endsWith("\r\n")) {
      return s.substring(0, s.length() - 2);
    }
    if (s.endsWith("\n")) {
      return s.substring(0, s.length() - 1);
    }
    return s;
  }

  /**
   * Checks the trimmed text is neither empty nor whitespace only, with a message about
   * {@code what} ("the file", "the variable"); control characters are left to
   * {@code Secret.build()}, which reports their position.
   */
  static String requireContent(String text, String what, String source) {
    if (text.isEmpty()) {
      throw new SecretFormatException(source, what + " is empty");
    }
    if (text.isBlank()) {
      throw new SecretFormatException(
          source, what + " holds only whitespace (" + text.length() + " characters)");
    }
    return text;
  }

  /** Logs once per {@code flag} that the value starts or ends with a space, which is kept. */
  static void warnOnEdgeSpaces(String text, AtomicBoolean flag, Logger log, String source) {
    if (text.isEmpty() || flag.get()) {
      return;
    }
    boolean edge = Character.isWhitespace(text.charAt(0))
        || Character.isWhitespace(text.charAt(text.length() - 1));
    if (edge && flag.compareAndSet(false, true)) {
      log.warn(
          "{}: the secret starts or ends with a space; it is kept as part of the value. If the"
              + " credential is rejected, remove the space where the secret is stored.",
          source);
    }
  }

  /**
   * Decodes strict UTF-8. {@code new String(bytes, UTF_8)} would turn bad bytes into U+FFFD and
   * hand CARTO a token that fails with a puzzling 401; here the offset of the first bad byte is
   * reported instead.
   */
  static String decodeUtf8(byte[] bytes, String source) {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
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
          "the file is not UTF-8 text: invalid byte sequence at byte offset " + in.position()
              + " of " + bytes.length);
    }
    out.flip();
    return out.toString();
  }
}
