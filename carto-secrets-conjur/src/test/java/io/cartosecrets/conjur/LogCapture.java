package io.cartosecrets.conjur;

import io.cartosecrets.testkit.canary.CapturedLogs;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * What the Conjur SDK writes, at the most verbose level, for tests that assert on it: its
 * java.util.logging (OkHttp, MockWebServer, the SDK) and anything it prints to System.err, next to
 * the SLF4J lines that the suite-wide harness captures ({@code CapturedLogs}).
 */
final class LogCapture implements AutoCloseable {
  private static final String[] JUL_LOGGERS = {"okhttp3", "mockwebserver3", "com.cyberark", ""};

  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final StringBuffer jul = new StringBuffer();
  private final PrintStream originalErr = System.err;
  private final PrintStream originalOut = System.out;
  // Strong references: java.util.logging holds loggers weakly, and would drop the level set here.
  private final List<Logger> loggers = new ArrayList<>();
  private final List<Level> levels = new ArrayList<>();
  private final Handler handler;

  private LogCapture() {
    System.setErr(new PrintStream(tee(originalErr), true, StandardCharsets.UTF_8));
    System.setOut(new PrintStream(tee(originalOut), true, StandardCharsets.UTF_8));
    SimpleFormatter format = new SimpleFormatter();
    handler =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            jul.append(format.format(record));
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    handler.setLevel(Level.ALL);
    for (String name : JUL_LOGGERS) {
      Logger logger = Logger.getLogger(name);
      loggers.add(logger);
      levels.add(logger.getLevel());
      if (!name.isEmpty()) {
        logger.setLevel(Level.ALL);
      }
      logger.addHandler(handler);
    }
  }

  static LogCapture start() {
    CapturedLogs.clear();
    return new LogCapture();
  }

  /** Everything captured so far. */
  String text() {
    synchronized (err) {
      return err.toString(StandardCharsets.UTF_8) + jul + CapturedLogs.allText();
    }
  }

  @Override
  public void close() {
    System.setErr(originalErr);
    System.setOut(originalOut);
    for (int i = 0; i < loggers.size(); i++) {
      loggers.get(i).removeHandler(handler);
      loggers.get(i).setLevel(levels.get(i));
    }
  }

  private OutputStream tee(PrintStream through) {
    return new OutputStream() {
      @Override
      public void write(int b) {
        synchronized (err) {
          err.write(b);
        }
        through.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        synchronized (err) {
          err.write(b, off, len);
        }
        through.write(b, off, len);
      }
    };
  }
}
