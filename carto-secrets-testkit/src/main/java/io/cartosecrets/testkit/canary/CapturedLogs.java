package io.cartosecrets.testkit.canary;

import io.cartosecrets.testkit.Canaries;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentMap;
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
 * The SLF4J backend of the canary harness: every logging call at every level, TRACE included, of
 * every logger (ours, the AWS SDK's, anything on SLF4J) is kept as one line with the stack trace of
 * its throwable, so that {@link CanaryExtension} can scan it. java.util.logging (OkHttp, the Vault
 * driver, the Conjur SDK) is bridged in by {@link JulCapture}.
 *
 * <p>Not registered with {@link java.util.ServiceLoader}, so that it never displaces an
 * application's own binding: select it for a test JVM with {@code
 * -Dslf4j.provider=io.cartosecrets.testkit.canary.CapturedLogs}, as this project's build does.
 * WARN and ERROR lines are also printed to the original {@code System.err}, with canaries masked.
 */
public final class CapturedLogs implements SLF4JServiceProvider {
  /** One formatted logging event. */
  public record Line(Level level, String logger, String thread, String text) {
    @Override
    public String toString() {
      return "[" + thread + "] " + level + " " + logger + " - " + text;
    }
  }

  // Appended to from any thread. The harness drains UNSCANNED; tests read and clear VISIBLE, so a
  // test's clear() can never hide a line from the harness.
  private static final Queue<Line> UNSCANNED = new ConcurrentLinkedQueue<>();
  private static final Queue<Line> VISIBLE = new ConcurrentLinkedQueue<>();
  private static final PrintStream CONSOLE = System.err;

  private final ConcurrentMap<String, Logger> loggers = new ConcurrentHashMap<>();
  private final IMarkerFactory markers = new BasicMarkerFactory();
  private final MDCAdapter mdc = new BasicMDCAdapter();

  /** What has been logged since the last {@link #clear()}. */
  public static List<Line> lines() {
    return new ArrayList<>(VISIBLE);
  }

  /** Lines at {@code level} that contain {@code needle}. */
  public static List<Line> lines(Level level, String needle) {
    return VISIBLE.stream()
        .filter(l -> l.level() == level && l.text().contains(needle))
        .collect(Collectors.toList());
  }

  /** Lines of the SLF4J logger {@code logger} (java.util.logging ones are named {@code jul:NAME}). */
  public static List<Line> linesOf(String logger) {
    return VISIBLE.stream().filter(l -> l.logger().equals(logger)).collect(Collectors.toList());
  }

  /** All lines since the last {@link #clear()}, one per line. */
  public static String allText() {
    return VISIBLE.stream().map(Line::toString).collect(Collectors.joining("\n"));
  }

  /** Forgets the lines a test sees; the harness still scans them. */
  public static void clear() {
    VISIBLE.clear();
  }

  /** Whether this provider is the one SLF4J bound, so that the harness sees every SLF4J call. */
  public static boolean isBound() {
    return org.slf4j.LoggerFactory.getILoggerFactory() instanceof Factory;
  }

  static void record(Level level, String logger, String text) {
    Line line = new Line(level, logger, Thread.currentThread().getName(), text);
    UNSCANNED.add(line);
    VISIBLE.add(line);
    if (level == Level.WARN || level == Level.ERROR) {
      CONSOLE.println(Canaries.mask(line.toString()));
    }
  }

  /** Removes and returns every line the harness has not scanned yet. */
  static List<Line> drainUnscanned() {
    List<Line> out = new ArrayList<>();
    for (Line l = UNSCANNED.poll(); l != null; l = UNSCANNED.poll()) {
      out.add(l);
    }
    return out;
  }

  static String withStackTrace(String message, Throwable t) {
    if (t == null) {
      return message;
    }
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    return message + '\n' + w;
  }

  private final class Factory implements ILoggerFactory {
    @Override
    public Logger getLogger(String name) {
      return loggers.computeIfAbsent(name, CapturingLogger::new);
    }
  }

  private final ILoggerFactory factory = new Factory();

  @Override
  public ILoggerFactory getLoggerFactory() {
    return factory;
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
      record(level, name, withStackTrace(MessageFormatter.basicArrayFormat(pattern, args), t));
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
