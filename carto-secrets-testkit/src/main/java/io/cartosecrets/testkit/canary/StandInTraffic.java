package io.cartosecrets.testkit.canary;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;

/**
 * What every stand-in server saw, for the canary harness: each request line and each header
 * other than the ones meant to carry a credential ({@code Authorization}, {@code
 * Proxy-Authorization}, {@code X-Vault-Token}). Bodies are kept only where a stand-in says they
 * must never carry a secret (CARTO's SQL and Tokens API requests): a login, a token exchange or a
 * secret write carries its secret in the body by design.
 *
 * <p>A stand-in built on MockWebServer gets this by dispatching through {@link #recording}.
 */
public final class StandInTraffic {
  private static final Set<String> CREDENTIAL_HEADERS = Set.of("authorization", "proxy-authorization", "x-vault-token");

  // Appended to by server threads, drained by the harness after each test.
  private static final Queue<String> SEEN = new ConcurrentLinkedQueue<>();

  // Set once the harness runs in this JVM: elsewhere (a benchmark, an example) nothing drains SEEN.
  private static volatile boolean recording;

  private StandInTraffic() {}

  /** A dispatcher that records what {@code standIn} was sent, then answers with {@code handler}. */
  public static Dispatcher recording(String standIn, Handler handler) {
    return recording(standIn, UnaryOperator.identity(), handler);
  }

  /**
   * As {@link #recording(String, Handler)}, for a protocol that by design puts a secret in the
   * request line: {@code byDesign} replaces it with a placeholder before the line is recorded.
   */
  public static Dispatcher recording(String standIn, UnaryOperator<String> byDesign, Handler handler) {
    return recording(standIn, byDesign, request -> false, handler);
  }

  /**
   * As {@link #recording(String, UnaryOperator, Handler)}, also recording the body of each
   * request {@code bodyIsChecked} accepts: those that must never carry a secret (a query), not
   * those that carry one by design (a login, a secret write).
   */
  public static Dispatcher recording(
      String standIn, UnaryOperator<String> byDesign, Predicate<RecordedRequest> bodyIsChecked, Handler handler) {
    return new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
        if (recording) {
          String seen = describe(standIn, byDesign.apply(request.getRequestLine()), request);
          if (request.getBody() != null && request.getBody().size() > 0 && bodyIsChecked.test(request)) {
            seen += "\n\n" + request.getBody().utf8();
          }
          SEEN.add(seen);
        }
        return handler.handle(request);
      }
    };
  }

  /** How a stand-in answers a request. */
  @FunctionalInterface
  public interface Handler {
    MockResponse handle(RecordedRequest request) throws InterruptedException;
  }

  private static String describe(String standIn, String requestLine, RecordedRequest request) {
    StringBuilder seen = new StringBuilder(standIn).append(": ").append(requestLine);
    request.getHeaders().forEach(h -> {
      if (!CREDENTIAL_HEADERS.contains(h.getFirst().toLowerCase(Locale.ROOT))) {
        seen.append('\n').append(h.getFirst()).append(": ").append(h.getSecond());
      }
    });
    return seen.toString();
  }

  static void startRecording() {
    recording = true;
  }

  /** Removes and returns what was recorded since the last drain. */
  static List<String> drain() {
    List<String> out = new ArrayList<>();
    for (String s = SEEN.poll(); s != null; s = SEEN.poll()) {
      out.add(s);
    }
    return out;
  }
}
