package io.cartosecrets.conjur;

import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.testkit.Canaries;
import java.io.PrintWriter;
import java.io.StringWriter;

/** Asserts that no registered canary appears in text or anywhere in an exception. */
final class Leaks {
  private Leaks() {}

  static void assertNoCanaryIn(String what, String text) {
    assertThat(Canaries.findIn(text)).as("a canary in %s", what).isEmpty();
  }

  /** Message, toString, stack trace and every cause's and suppressed exception's text. */
  static void assertNoCanaryIn(Throwable t) {
    StringWriter trace = new StringWriter();
    t.printStackTrace(new PrintWriter(trace));
    StringBuilder all = new StringBuilder(trace.toString());
    for (Throwable c = t; c != null; c = c.getCause()) {
      all.append('\n').append(c.getMessage()).append('\n').append(c);
      for (Throwable s : c.getSuppressed()) {
        all.append('\n').append(s);
      }
    }
    assertNoCanaryIn("exception " + t.getClass().getName(), all.toString());
  }
}
