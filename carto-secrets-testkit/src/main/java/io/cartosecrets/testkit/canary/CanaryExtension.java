package io.cartosecrets.testkit.canary;

import io.cartosecrets.testkit.Canaries;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * The suite-wide canary check. After each test, and after each test class for what its set-up
 * and tear-down did, it scans for every secret registered in {@link Canaries}, in its raw, Base64
 * and URL-encoded forms:
 *
 * <ul>
 *   <li>every line logged through SLF4J (at TRACE, via {@link CapturedLogs}) and
 *       java.util.logging (OkHttp, the Vault driver, the Conjur SDK, via {@link JulCapture}), and
 *       what was printed to {@code System.out} and {@code System.err};
 *   <li>the message, {@code toString}, stack trace, causes and suppressed exceptions of every
 *       exception the test caught through {@link Leakproof}, of the one that failed the test, and
 *       of any uncaught in another thread;
 *   <li>{@code String.valueOf} of every object of this SDK's types reachable from the test
 *       instance, the test class's static fields and what the test {@link Leakproof#track
 *       tracked}, including those held in collections, maps, optionals and atomic references;
 *   <li>the names of threads: those alive at the check and those sampled in between ({@link
 *       ThreadNames});
 *   <li>every request line and non-credential header the stand-in servers received ({@link
 *       StandInTraffic}).
 * </ul>
 *
 * A hit fails the test with where it was found and the encoding, never the secret. The build
 * registers this extension for every test class with JUnit's extension auto-detection.
 */
public final class CanaryExtension
    implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, AfterAllCallback, TestExecutionExceptionHandler {

  // Uncaught exceptions of other threads, appended by the default handler, drained after each test.
  private static final Queue<Throwable> UNCAUGHT = new ConcurrentLinkedQueue<>();

  // At most this many findings are reported for one test: the first is the one to fix.
  private static final int MAX_FINDINGS = 5;

  static {
    ensureTempDirectory();
    JulCapture.install();
    ConsoleCapture.install();
    StandInTraffic.startRecording();
    ThreadNames.startSampling();
    // What background threads log after the last test's check is scanned at exit; a hit is left
    // for the leftover scan, which fails the build on it.
    Runtime.getRuntime().addShutdownHook(new Thread(CanaryExtension::checkAtExit, "canary-check-at-exit"));
    Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
    Thread.setDefaultUncaughtExceptionHandler((thread, e) -> {
      UNCAUGHT.add(e);
      if (previous != null) {
        previous.uncaughtException(thread, e);
      } else {
        System.err.println(Canaries.mask("Exception in thread \"" + thread.getName() + "\" " + Leakproof.fullText(e)));
      }
    });
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    if (!CapturedLogs.isBound()) {
      throw new IllegalStateException(
          "the canary harness cannot see SLF4J output: start the test JVM with -Dslf4j.provider="
              + CapturedLogs.class.getName());
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    CapturedLogs.clear(); // what a test reads of the log is its own; the scan misses nothing
  }

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable thrown) throws Throwable {
    Optional<String> hit = Canaries.findIn(Leakproof.fullText(thrown));
    if (hit.isEmpty()) {
      throw thrown;
    }
    // The failure itself carries a secret: report it masked, or the test report would hold it.
    String masked = Canaries.mask(Leakproof.fullText(thrown));
    throw new AssertionError("canary leak in the exception that failed the test (" + hit.get() + ")"
        + (Canaries.findIn(masked).isEmpty() ? "; masked:\n" + masked : "; not shown, the secret is in an encoded form"));
  }

  @Override
  public void afterEach(ExtensionContext context) {
    List<Object> roots = new ArrayList<>(context.getRequiredTestInstances().getAllInstances());
    check(context.getDisplayName(), roots);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    List<Object> roots = new ArrayList<>();
    context.getTestClass().ifPresent(c -> ObjectScan.staticFieldsOf(c, roots));
    check(context.getDisplayName() + " (class set-up and tear-down)", roots);
  }

  private static void checkAtExit() {
    List<String> findings = findings(new ArrayList<>());
    Path report = LeftoverScan.lateFindingsFile();
    if (findings.isEmpty() || report == null) {
      return;
    }
    try {
      Files.writeString(report, String.join("\n", findings) + "\n");
    } catch (IOException e) {
      System.err.println("canary harness: could not write " + report + ": " + e);
    }
  }

  private static void check(String test, List<Object> roots) {
    List<String> findings = findings(roots);
    if (!findings.isEmpty()) {
      StringBuilder message = new StringBuilder("canary leak after ").append(test).append(':');
      findings.stream().limit(MAX_FINDINGS).forEach(f -> message.append("\n  - ").append(f));
      if (findings.size() > MAX_FINDINGS) {
        message.append("\n  (").append(findings.size() - MAX_FINDINGS).append(" more)");
      }
      throw new AssertionError(message.toString());
    }
  }

  /** Everything captured since the last check, and {@code roots}' objects, that holds a canary. */
  private static List<String> findings(List<Object> roots) {
    List<String> findings = new ArrayList<>();
    for (CapturedLogs.Line line : CapturedLogs.drainUnscanned()) {
      scan(findings, "a log line of " + line.logger() + " at " + line.level() + " on thread " + line.thread(), line.toString());
    }
    scan(findings, "System.out or System.err", ConsoleCapture.drain());
    for (Throwable t = UNCAUGHT.poll(); t != null; t = UNCAUGHT.poll()) {
      scan(findings, "an exception uncaught in another thread, " + t.getClass().getName(), Leakproof.fullText(t));
    }
    for (Object o : Leakproof.drainTracked()) {
      if (o instanceof Throwable t) {
        scan(findings, "exception " + t.getClass().getName(), Leakproof.fullText(t));
      }
      roots.add(o);
    }
    ObjectScan.valuesOf(roots, (where, text) -> scan(findings, where, text));
    for (String name : ThreadNames.drain()) {
      scan(findings, "the name of a thread", name);
    }
    for (String request : StandInTraffic.drain()) {
      scan(findings, "a request a stand-in server received (" + request.substring(0, request.indexOf(':')) + ")", request);
    }
    return findings;
  }

  private static void scan(List<String> findings, String where, String text) {
    Canaries.findIn(text).ifPresent(hit -> findings.add(where + ": " + hit + excerpt(text)));
  }

  /** A few lines of context with every canary masked, so the finding can be traced to its source. */
  private static String excerpt(String text) {
    String masked = Canaries.mask(text);
    int at = masked.indexOf("[canary]");
    if (at < 0) {
      return ""; // found only in an unwrapped form, which mask cannot hide: show nothing
    }
    int from = Math.max(0, at - 160);
    int to = Math.min(masked.length(), at + 80);
    String context = masked.substring(from, to);
    // Another form, one that only unwrapping finds, may sit next to the masked one.
    return Canaries.findIn(context).isPresent() ? "" : "\n      " + context.replace("\n", "\n      ");
  }

  private static void ensureTempDirectory() {
    // The build points java.io.tmpdir into target/, so that the scan after the suite sees every
    // file the tests left behind; it must exist before the first temporary file is made.
    try {
      Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir")));
      Path late = LeftoverScan.lateFindingsFile();
      if (late != null) {
        Files.deleteIfExists(late); // from an earlier run
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create java.io.tmpdir", e);
    }
  }
}
