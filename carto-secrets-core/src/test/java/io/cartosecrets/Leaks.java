package io.cartosecrets;

import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.testkit.canary.CapturedLogs;
import io.cartosecrets.testkit.Canaries;
import java.io.PrintWriter;
import java.io.StringWriter;
import mockwebserver3.RecordedRequest;

/** What the leak tests scan for canaries: all that an exception shows, a request as a server saw it, the logs. */
final class Leaks {
  private Leaks() {}

  /** Message, {@code toString} and {@code printStackTrace} output (causes and suppressed included). */
  static String shown(Throwable t) {
    StringWriter trace = new StringWriter();
    t.printStackTrace(new PrintWriter(trace));
    StringBuilder sb = new StringBuilder().append(t.getMessage()).append('\n').append(t).append('\n').append(trace);
    if (t instanceof CartoApiException api) {
      sb.append('\n').append(api.error()).append('\n').append(api.requestId().orElse(""));
    }
    return sb.toString();
  }

  /** The request line, every header and the body, as the server received them. */
  static String recorded(RecordedRequest r) {
    return r.getRequestLine() + "\n" + r.getHeaders() + "\n" + (r.getBody() == null ? "" : r.getBody().utf8());
  }

  static void assertNoCanary(String what, String text) {
    assertThat(Canaries.findIn(text)).as("a canary secret in " + what).isEmpty();
  }

  /** No canary in {@code t} as shown, nor in anything logged (SLF4J, and java.util.logging where captured). */
  static void assertNoCanaryShownOrLogged(Throwable t) {
    if (t != null) {
      assertNoCanary("the exception", shown(t));
    }
    assertNoCanary("the logs", CapturedLogs.allText());
  }
}
