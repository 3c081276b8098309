package io.cartosecrets.vault;

import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.testkit.Canaries;
import java.io.PrintWriter;
import java.io.StringWriter;

/** Assertions that no minted secret appears in text a user or a log could see. */
final class Leaks {
  private Leaks() {}

  /** The throwable's message, toString and whole printed stack trace, causes included. */
  static void assertNoCanary(Throwable t) {
    StringWriter trace = new StringWriter();
    t.printStackTrace(new PrintWriter(trace));
    for (Throwable c = t; c != null; c = c.getCause()) {
      assertThat(Canaries.findIn(c.getMessage())).as("message of %s", c.getClass().getName()).isEmpty();
      assertThat(Canaries.findIn(c.toString())).as("toString of %s", c.getClass().getName()).isEmpty();
    }
    assertThat(Canaries.findIn(trace.toString())).as("printed stack trace").isEmpty();
  }

  static void assertNoCanary(String what, String text) {
    assertThat(Canaries.findIn(text)).as(what).isEmpty();
  }
}
