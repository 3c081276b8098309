package io.cartosecrets.testkit.canary;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import io.cartosecrets.testkit.Canaries;
import java.nio.charset.StandardCharsets;

/**
 * Copies what is written to {@code System.out} and {@code System.err} into a buffer the harness
 * scans, while still passing it through with canaries masked: a library that prints a stack trace,
 * or an example that prints what it loaded, bypasses logging.
 */
final class ConsoleCapture {
  // Guarded by itself: written from any thread, drained by the harness.
  private static final ByteArrayOutputStream BUFFER = new ByteArrayOutputStream();
  private static volatile boolean installed;

  private ConsoleCapture() {}

  static synchronized void install() {
    if (installed) {
      return;
    }
    System.setOut(tee(System.out));
    System.setErr(tee(System.err));
    installed = true;
  }

  /** Everything written since the last drain. */
  static String drain() {
    synchronized (BUFFER) {
      String text = BUFFER.toString(StandardCharsets.UTF_8);
      BUFFER.reset();
      return text;
    }
  }

  private static PrintStream tee(PrintStream through) {
    OutputStream both =
        new OutputStream() {
          // The current line, passed through masked once complete, so that a leak the harness
          // reports never also lands in the surefire report that holds the console output.
          private final ByteArrayOutputStream line = new ByteArrayOutputStream();

          @Override
          public synchronized void write(int b) {
            synchronized (BUFFER) {
              BUFFER.write(b);
            }
            line.write(b);
            if (b == '\n') {
              flush();
            }
          }

          @Override
          public synchronized void write(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) {
              write(b[i]);
            }
          }

          @Override
          public synchronized void flush() {
            if (line.size() > 0) {
              through.print(Canaries.mask(line.toString(StandardCharsets.UTF_8)));
              line.reset();
            }
            through.flush();
          }
        };
    return new PrintStream(both, true, StandardCharsets.UTF_8);
  }
}
