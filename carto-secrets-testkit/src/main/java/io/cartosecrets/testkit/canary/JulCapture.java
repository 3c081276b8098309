package io.cartosecrets.testkit.canary;

import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Routes java.util.logging into {@link CapturedLogs}, at the most verbose level for the libraries
 * whose output could carry a credential: OkHttp, the Vault driver, the Conjur SDK, the AWS SDK,
 * and ours. MockWebServer's own request log stays at its default level: what a stand-in receives
 * is checked through {@link StandInTraffic}, which knows what its protocol carries by design. Other JDK loggers keep their levels: turning on, say, {@code
 * sun.net.www} at FINEST prints every header the JDK's HTTP client sends, which is the JDK's own
 * debug switch and not something an application gets by default.
 */
final class JulCapture {
  private static final List<String> VERBOSE =
      List.of("okhttp3", "io.github.jopenlibs", "com.cyberark", "software.amazon", "io.cartosecrets");

  // Strong references: java.util.logging holds loggers weakly and would forget the levels set here.
  private static final List<Logger> KEPT = VERBOSE.stream().map(Logger::getLogger).toList();

  private static volatile boolean installed;

  private JulCapture() {}

  static synchronized void install() {
    if (installed) {
      return;
    }
    SimpleFormatter format = new SimpleFormatter();
    Handler handler =
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            CapturedLogs.record(
                level(r.getLevel()),
                "jul:" + r.getLoggerName(),
                CapturedLogs.withStackTrace(format.formatMessage(r), r.getThrown()));
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    handler.setLevel(Level.ALL);
    for (Logger logger : KEPT) {
      logger.setLevel(Level.ALL);
    }
    Logger.getLogger("").addHandler(handler);
    installed = true;
  }

  private static org.slf4j.event.Level level(Level jul) {
    int v = jul.intValue();
    if (v >= Level.SEVERE.intValue()) {
      return org.slf4j.event.Level.ERROR;
    }
    if (v >= Level.WARNING.intValue()) {
      return org.slf4j.event.Level.WARN;
    }
    if (v >= Level.INFO.intValue()) {
      return org.slf4j.event.Level.INFO;
    }
    return v >= Level.FINE.intValue() ? org.slf4j.event.Level.DEBUG : org.slf4j.event.Level.TRACE;
  }
}
