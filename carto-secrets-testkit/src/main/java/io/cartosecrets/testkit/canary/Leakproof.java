package io.cartosecrets.testkit.canary;

import io.cartosecrets.testkit.Canaries;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.assertj.core.api.AbstractThrowableAssert;
import org.assertj.core.api.Assertions;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/**
 * The test side of the canary harness. Its exception assertions are AssertJ's, except that every
 * exception they catch is handed to {@link CanaryExtension}, which scans its message, {@code
 * toString}, stack trace, cause chain and suppressed exceptions after the test; {@link #track}
 * hands over any other object whose {@code String.valueOf} should be scanned. Import these in
 * place of AssertJ's.
 */
public final class Leakproof {
  // Handed over by test threads, drained by the harness after each test.
  private static final Queue<Object> TRACKED = new ConcurrentLinkedQueue<>();

  private Leakproof() {}

  /** Scans {@code o} after the test: its {@code String.valueOf}, and the objects of ours it holds. */
  public static <T> T track(T o) {
    if (o != null) {
      TRACKED.add(o);
    }
    return o;
  }

  /** AssertJ's {@code assertThatThrownBy}, scanning what was thrown. */
  public static AbstractThrowableAssert<?, ? extends Throwable> assertThatThrownBy(ThrowingCallable code) {
    return Assertions.assertThatThrownBy(tracking(code));
  }

  /** AssertJ's {@code assertThatThrownBy} with a description, scanning what was thrown. */
  public static AbstractThrowableAssert<?, ? extends Throwable> assertThatThrownBy(
      ThrowingCallable code, String description, Object... args) {
    return Assertions.assertThatThrownBy(tracking(code), description, args);
  }

  /** AssertJ's {@code catchThrowable}, scanning what was thrown. */
  public static Throwable catchThrowable(ThrowingCallable code) {
    return track(Assertions.catchThrowable(code));
  }

  /** AssertJ's {@code catchThrowableOfType}, scanning what was thrown. */
  public static <T extends Throwable> T catchThrowableOfType(Class<T> type, ThrowingCallable code) {
    return Assertions.catchThrowableOfType(type, tracking(code));
  }

  /** Fails now if a canary is in {@code text}, saying where; the canary itself is never shown. */
  public static void assertNoCanaryIn(String where, String text) {
    Canaries.findIn(text).ifPresent(hit -> {
      throw new AssertionError("canary leak in " + where + ": " + hit);
    });
  }

  /** Fails now if a canary is anywhere in {@code t}: message, toString, causes, suppressed, trace. */
  public static void assertNoCanaryIn(Throwable t) {
    assertNoCanaryIn("exception " + t.getClass().getName(), fullText(t));
  }

  /** Message, {@code toString} and printed stack trace of {@code t} and of every cause and suppressed one. */
  static String fullText(Throwable t) {
    StringWriter trace = new StringWriter();
    t.printStackTrace(new PrintWriter(trace));
    StringBuilder all = new StringBuilder(trace.toString());
    appendEach(t, all, 0);
    return all.toString();
  }

  private static void appendEach(Throwable t, StringBuilder all, int depth) {
    // printStackTrace already walks causes and suppressed; messages are added in case a type
    // overrides getMessage or getLocalizedMessage differently from what its toString prints.
    if (t == null || depth > 32) {
      return;
    }
    all.append('\n').append(t.getMessage()).append('\n').append(t.getLocalizedMessage()).append('\n').append(t);
    for (Throwable s : t.getSuppressed()) {
      appendEach(s, all, depth + 1);
    }
    if (t.getCause() != t) {
      appendEach(t.getCause(), all, depth + 1);
    }
  }

  static List<Object> drainTracked() {
    List<Object> out = new ArrayList<>();
    for (Object o = TRACKED.poll(); o != null; o = TRACKED.poll()) {
      out.add(o);
    }
    return out;
  }

  private static ThrowingCallable tracking(ThrowingCallable code) {
    return () -> {
      try {
        code.call();
      } catch (Throwable t) {
        track(t);
        throw t;
      }
    };
  }
}
