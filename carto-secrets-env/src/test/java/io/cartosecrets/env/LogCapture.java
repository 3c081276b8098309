package io.cartosecrets.env;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ConcurrentHashMap;
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
 * The SLF4J backend of this module's tests: every logging call at every level (TRACE included,
 * so that debug output is scanned for canaries too) is kept as one line, with the stack trace of
 * any throwable, until {@link #clear()}.
 */
public final class LogCapture implements SLF4JServiceProvider {
  /** One formatted logging event. */
  public record Line(Level level, String logger, String thread, String text) {
    @Override
    public String toString() {
      return level + " [" + thread + "] " + logger + " - " + text;
    }
  }

  // Appended to from watch threads while tests read it.
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

  public static String allText() {
    return LINES.stream().map(Line::toString).collect(Collectors.joining("\n"));
  }

  public static void clear() {
    LINES.clear();
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
      if (t != null) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        text.append('\n').append(w);
      }
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
