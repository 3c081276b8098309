package io.cartosecrets.testkit.canary;

import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.testkit.Canaries;
import io.cartosecrets.testkit.FakeCartoServer;
import io.cartosecrets.testkit.TestTokens;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.Event;
import org.slf4j.LoggerFactory;

/**
 * Proves the harness by running tests that leak on purpose (the static nested classes below,
 * which surefire does not run on their own) and checking that each fails, saying where, without
 * the secret in the failure. The harness also runs around these tests themselves: each leak must
 * be drained by the inner run, or this class would fail too.
 */
class CanaryHarnessTest {
  // The leaking tests read their canary from here: they must not mint in a field the scan renders.
  static final AtomicReference<String> CANARY = new AtomicReference<>();
  // Holds the leaking test's thread alive until its scan has run; released after each test here.
  static final AtomicReference<CountDownLatch> RELEASE = new AtomicReference<>();
  static final List<Thread> STARTED = new ArrayList<>();

  @AfterEach
  void releaseThreads() throws InterruptedException {
    CountDownLatch release = RELEASE.getAndSet(null);
    if (release != null) {
      release.countDown();
    }
    for (Thread t : STARTED) {
      t.join();
    }
    if (!STARTED.isEmpty()) {
      // The sampler may have seen the leaking thread again after the inner run reported it.
      ThreadNames.drain();
    }
    STARTED.clear();
  }

  @Test
  void aTokenLoggedThroughSlf4jAtTrace_failsTheTest_namingTheLoggerAndLevel() {
    assertLeakReported(LogsTheTokenAtTrace.class, "a log line of leaky.logger at TRACE", "raw form");
  }

  @Test
  void aBase64TokenLoggedThroughJavaUtilLoggingByOkHttp_failsTheTest() {
    assertLeakReported(LogsBase64ThroughJul.class, "a log line of jul:okhttp3.Leaky at DEBUG", "base64 (inside a larger blob) form");
  }

  @Test
  void aTokenPrintedToStandardError_failsTheTest() {
    assertLeakReported(PrintsTheToken.class, "System.out or System.err", "raw form");
  }

  @Test
  void anExceptionCaughtThroughLeakproofThatCarriesTheTokenInItsCause_failsTheTest() {
    assertLeakReported(CatchesALeakyException.class, "exception java.lang.IllegalStateException", "form");
  }

  @Test
  void anExceptionThatFailsTheTestWithTheToken_isReportedMasked() {
    Throwable failure = failureOf(FailsWithTheToken.class);
    assertThat(failure).hasMessageContaining("canary leak in the exception that failed the test").hasMessageContaining("[canary]");
    assertThat(Canaries.findIn(Leakproof.fullText(failure))).isEmpty();
  }

  @Test
  void aThreadNamedWithTheToken_failsTheTest() {
    assertLeakReported(NamesAThreadWithTheToken.class, "the name of a thread", "raw form");
  }

  @Test
  void aTokenInARequestLineAStandInReceived_failsTheTest() {
    assertLeakReported(PutsTheTokenInAUrl.class, "a request a stand-in server received (FakeCartoServer)", "raw form");
  }

  @Test
  void aTestThatLeaksNothing_passes() {
    LeakingTests.run(LeaksNothing.class).assertStatistics(s -> s.succeeded(1).failed(0));
  }

  @Test
  void theObjectScanRendersHeldObjects_throughCollectionsAndAtomicReferences() {
    String canary = TestTokens.apiAccessToken();
    Holder leaky = new Holder(canary);
    List<String> where = new ArrayList<>();
    Object root = new Object[] {List.of(new AtomicReference<>(leaky))};
    ObjectScan.valuesOf(List.of(root), Holder.class::equals, (w, text) -> {
      if (Canaries.findIn(text).isPresent()) {
        where.add(w);
      }
    });
    assertThat(where).containsExactly("String.valueOf(a " + Holder.class.getName() + ")");
  }

  /** Its toString prints what it holds, like a careless type would. */
  record Holder(String value) {}

  private static void assertLeakReported(Class<?> leaky, String where, String form) {
    Throwable failure = failureOf(leaky);
    assertThat(failure.getMessage()).startsWith("canary leak after").contains(where).contains(form);
    assertThat(Canaries.findIn(Leakproof.fullText(failure))).as("the report itself").isEmpty();
  }

  private static Throwable failureOf(Class<?> leaky) {
    CANARY.set(TestTokens.apiAccessToken());
    List<Event> failed = LeakingTests.run(leaky).failed().list();
    assertThat(failed).as("failed tests of " + leaky.getSimpleName()).hasSize(1);
    return failed.get(0).getPayload(org.junit.platform.engine.TestExecutionResult.class).orElseThrow()
        .getThrowable().orElseThrow();
  }

  static class LogsTheTokenAtTrace {
    @Test
    void leak() {
      LoggerFactory.getLogger("leaky.logger").trace("loaded {}", CANARY.get());
    }
  }

  static class LogsBase64ThroughJul {
    @Test
    void leak() {
      String b64 = Base64.getEncoder().encodeToString(("user:" + CANARY.get()).getBytes(StandardCharsets.UTF_8));
      java.util.logging.Logger.getLogger("okhttp3.Leaky").log(Level.FINE, "Authorization: Basic " + b64);
    }
  }

  static class PrintsTheToken {
    @Test
    void leak() {
      System.err.println("token=" + CANARY.get());
    }
  }

  static class CatchesALeakyException {
    @Test
    void leak() {
      Leakproof.assertThatThrownBy(() -> {
        throw new IllegalStateException("wrapped", new RuntimeException("bad token " + CANARY.get()));
      }).hasMessage("wrapped");
    }
  }

  static class FailsWithTheToken {
    @Test
    void leak() {
      throw new IllegalStateException("rejected " + CANARY.get());
    }
  }

  static class NamesAThreadWithTheToken {
    @Test
    void leak() {
      CountDownLatch release = new CountDownLatch(1);
      RELEASE.set(release);
      Thread t = new Thread(() -> {
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "refresher-" + CANARY.get());
      t.setDaemon(true);
      t.start();
      STARTED.add(t);
    }
  }

  static class PutsTheTokenInAUrl {
    @Test
    void leak() throws Exception {
      try (FakeCartoServer carto = FakeCartoServer.start()) {
        OkHttpClient http = new OkHttpClient();
        String url = carto.baseUrl() + "/v3/sql/carto_dw/query?q=select&api_key=" + CANARY.get();
        try (Response r = http.newCall(new Request.Builder().url(url).build()).execute()) {
          assertThat(r.code()).isEqualTo(401);
        }
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
      }
    }
  }

  static class LeaksNothing {
    @Test
    void fine() {
      LoggerFactory.getLogger("quiet").info("loaded token fp=0123456789ab");
    }
  }
}
