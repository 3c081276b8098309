package io.cartosecrets.env;

import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;

/**
 * What both providers warn about in a value before it becomes a {@link io.cartosecrets.Secret}
 * (the text rules themselves are {@link io.cartosecrets.spi.SecretFiles}'s, shared with every module).
 */
final class SecretText {
  private SecretText() {}

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
}
