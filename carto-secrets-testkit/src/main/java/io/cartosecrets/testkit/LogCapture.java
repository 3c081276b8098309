package io.cartosecrets.testkit;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentMap;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;
import java.util.stream.Collectors;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * An SLF4J backend for leak tests: every logging call at every level (TRACE included, so that
 * debug output is scanned for canaries too) is kept as one line, with the stack trace of any
 * throwable, until {@link #clear()}. {@link #captureJul} adds java.util.logging loggers (OkHttp
 * logs there) at every level, into the same lines.
 *
 * <p>It is not registered by this module; a test module makes it its SLF4J binding with a file
 * {@code src/test/resources/META-INF/services/org.slf4j.spi.SLF4JServiceProvider} holding {@code
 * io.cartosecrets.testkit.LogCapture}.
 */
public final class LogCapture implements SLF4JServiceProvider {
  /** One formatted logging event. */
  public record Line(Level level, String logger, String thread, String text) {
    @Override
    public String toString() {
      return level + " [" + thread + "] " + logger + " - " + text;
    }
  }

  // Appended to from watch and OkHttp threads while tests read it.
  private static final ConcurrentLinkedQueue<Line> LINES = new ConcurrentLinkedQueue<>();
  private final ConcurrentMap<String, Logger> loggers = new ConcurrentHashMap<>();
  private final IMarkerFactory markers = new BasicMarkerFactory();
  private final MDCAdapter mdc = new BasicMDCAdapter();

  public static List<Line> lines() {
    return new ArrayList<>(LINES);
  }

  /** Lines at {@code level} that contain {@code needle}. */
  public static List<Line> lines(Level level, String needle) {
    return LINES.stream()
        .filter(l -> l.level() == level && l.text().contains(needle))
        .collect(Collectors.toList());
  }

  /** Lines from {@code logger} (SLF4J logger name, or the java.util.logging one). */
  public static List<Line> linesOf(String logger) {
    return LINES.stream().filter(l -> l.logger().equals(logger)).collect(Collectors.toList());
  }

  public static String allText() {
    return LINES.stream().map(Line::toString).collect(Collectors.joining("\n"));
  }

  public static void clear() {
    LINES.clear();
  }

  /**
   * Captures the java.util.logging loggers {@code names} (and their children) at every level until
   * the returned handle is closed, which puts their levels back.
   */
  public static Jul captureJul(String... names) {
    return new Jul(names);
  }

  /** java.util.logging loggers raised to {@code ALL} and captured; {@link #close()} undoes it. */
  public static final class Jul implements AutoCloseable {
    // Strong references: java.util.logging holds loggers weakly, and would drop the level set here.
    private final List<java.util.logging.Logger> julLoggers = new ArrayList<>();
    private final List<java.util.logging.Level> levels = new ArrayList<>();
    private final Handler handler;

    private Jul(String... names) {
      Formatter format = new SimpleFormatter();
      handler =
          new Handler() {
            @Override
            public void publish(LogRecord r) {
              StringBuilder text = new StringBuilder(format.formatMessage(r));
              append(text, r.getThrown());
              LINES.add(new Line(level(r.getLevel()), r.getLoggerName(), Thread.currentThread().getName(), text.toString()));
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
          };
      handler.setLevel(java.util.logging.Level.ALL);
      for (String name : names) {
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(name);
        julLoggers.add(logger);
        levels.add(logger.getLevel());
        logger.setLevel(java.util.logging.Level.ALL);
        logger.addHandler(handler);
      }
    }

    private static Level level(java.util.logging.Level l) {
      int v = l.intValue();
      if (v >= java.util.logging.Level.SEVERE.intValue()) {
        return Level.ERROR;
      } else if (v >= java.util.logging.Level.WARNING.intValue()) {
        return Level.WARN;
      } else if (v >= java.util.logging.Level.INFO.intValue()) {
        return Level.INFO;
      } else if (v >= java.util.logging.Level.FINE.intValue()) {
        return Level.DEBUG;
      }
      return Level.TRACE;
    }

    @Override
    public void close() {
      for (int i = 0; i < julLoggers.size(); i++) {
        julLoggers.get(i).removeHandler(handler);
        julLoggers.get(i).setLevel(levels.get(i));
      }
    }
  }

  private static void append(StringBuilder text, Throwable t) {
    if (t != null) {
      StringWriter w = new StringWriter();
      t.printStackTrace(new PrintWriter(w));
      text.append('\n').append(w);
    }
  }

  @Override
  public ILoggerFactory getLoggerFactory() {
    return name -> loggers.computeIfAbsent(name, CapturingLogger::new);
  }

  @Override
  public IMarkerFactory getMarkerFactory() {
    return markers;
  }

  @Override
  public MDCAdapter getMDCAdapter() {
    return mdc;
  }

  @Override
  public String getRequestedApiVersion() {
    return "2.0.99";
  }

  @Override
  public void initialize() {}

  private static final class CapturingLogger extends LegacyAbstractLogger {
    private static final long serialVersionUID = 1L;

    CapturingLogger(String name) {
      this.name = name;
    }

    @Override
    protected String getFullyQualifiedCallerName() {
      return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(
        Level level, Marker marker, String pattern, Object[] args, Throwable t) {
      StringBuilder text = new StringBuilder(MessageFormatter.basicArrayFormat(pattern, args));
      append(text, t);
      LINES.add(new Line(level, name, Thread.currentThread().getName(), text.toString()));
    }

    @Override
    public boolean isTraceEnabled() {
      return true;
    }

    @Override
    public boolean isDebugEnabled() {
      return true;
    }

    @Override
    public boolean isInfoEnabled() {
      return true;
    }

    @Override
    public boolean isWarnEnabled() {
      return true;
    }

    @Override
    public boolean isErrorEnabled() {
      return true;
    }
  }
}
