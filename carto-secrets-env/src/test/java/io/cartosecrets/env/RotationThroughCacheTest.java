package io.cartosecrets.env;

import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.CartoClient;
import io.cartosecrets.CartoToken;
import io.cartosecrets.RefreshingTokenProvider;
import io.cartosecrets.TokenEvent;
import io.cartosecrets.testkit.Canaries;
import io.cartosecrets.testkit.FakeClock;
import io.cartosecrets.testkit.LogCapture;
import io.cartosecrets.testkit.ManualScheduler;
import io.cartosecrets.testkit.TestTokens;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The providers under the hot-reload cache of core, the way applications use them. */
class RotationThroughCacheTest {
  @TempDir Path dir;

  @BeforeEach
  void clearLogs() {
    LogCapture.clear();
  }

  @Test
  void kubernetesSwap_fiveTimes_rotatesTheCachedTokenThroughTheWatchAlone() throws Exception {
    FakeClock clock = new FakeClock();
    String first = TestTokens.apiAccessToken();
    KubernetesSecretVolume vol = KubernetesSecretVolume.create(dir, "carto_token", first + "\n");
    Semaphore rotated = new Semaphore(0);
    List<TokenEvent> events = new CopyOnWriteArrayList<>();
    FileSecretProvider source = FileSecretProvider.of(vol.file());

    try (RefreshingTokenProvider cache = RefreshingTokenProvider.builder(source)
        .clock(clock)
        .scheduler(new ManualScheduler(clock)) // time never moves: only the watch can trigger
        .executor(Runnable::run)
        .listener(e -> {
          events.add(e);
          if (e.type() == TokenEvent.Type.ROTATED) {
            rotated.release();
          }
        })
        .build()) {
      assertThat(cache.currentToken().reveal()).isEqualTo(first);

      for (int i = 1; i <= 5; i++) {
        String next = TestTokens.apiAccessToken();
        vol.update(next + "\n");

        assertThat(rotated.tryAcquire(10, TimeUnit.SECONDS)).as("rotation %d seen", i).isTrue();
        CartoToken now = cache.currentToken();
        assertThat(now.reveal()).isEqualTo(next);
        assertThat(now.source()).isEqualTo("file:" + vol.file());
      }
      assertThat(cache.metrics().rotations()).isEqualTo(5);
      assertThat(cache.metrics().failures()).isZero();
    }
    assertThat(source.openWatches()).as("closing the cache closes the watch").isZero();
    for (TokenEvent e : events) {
      assertThat(Canaries.findIn(e.toString())).isEmpty();
    }
    assertThat(Canaries.findIn(LogCapture.allText())).isEmpty();
  }

  @Test
  void envVariable_unchangedOnScheduledRefresh_keepsTheSameToken() {
    FakeClock clock = new FakeClock();
    ManualScheduler scheduler = new ManualScheduler(clock);
    String token = TestTokens.apiAccessToken();
    AtomicReference<String> env = new AtomicReference<>(token);
    EnvSecretProvider source = EnvSecretProvider.builder().lookup(n -> env.get()).build();

    try (RefreshingTokenProvider cache = RefreshingTokenProvider.builder(source)
        .clock(clock).scheduler(scheduler).executor(Runnable::run)
        .refreshInterval(Duration.ofMinutes(5))
        .build()) {
      CartoToken first = cache.currentToken();
      scheduler.advanceAndRun(Duration.ofMinutes(10));

      assertThat(cache.currentToken()).isSameAs(first);
      assertThat(cache.metrics().unchangedChecks()).isPositive();
      assertThat(cache.metrics().rotations()).isZero();
    }
  }

  @Test
  void cartoClient_sendsEachRotatedFileToken_afterKubernetesSwaps() throws Exception {
    FakeClock clock = new FakeClock();
    String token = TestTokens.apiAccessToken();
    KubernetesSecretVolume vol = KubernetesSecretVolume.create(dir, "carto_token", token + "\n");
    Semaphore rotated = new Semaphore(0);
    RefreshingTokenProvider cache = RefreshingTokenProvider.builder(FileSecretProvider.of(vol.file()))
        .clock(clock)
        .scheduler(new ManualScheduler(clock))
        .executor(Runnable::run)
        .listener(e -> {
          if (e.type() == TokenEvent.Type.ROTATED) {
            rotated.release();
          }
        })
        .build();

    try (MockWebServer server = new MockWebServer();
        CartoClient client = CartoClient.builder()
            .baseUrl(startedUrl(server))
            .tokenProvider(cache)
            .build()) {
      for (int i = 1; i <= 3; i++) {
        server.enqueue(new MockResponse.Builder()
            .code(200)
            .addHeader("Content-Type", "application/json")
            .body("{\"rows\":[{\"name\":\"Madrid\"}],\"schema\":[{\"name\":\"name\",\"type\":\"string\"}]}")
            .build());
        assertThat(client.sql("carto_dw").query("SELECT name FROM cities").rows()).hasSize(1);
        RecordedRequest request = server.takeRequest(10, TimeUnit.SECONDS);
        assertThat(request.getHeaders().get("Authorization")).as("request %d", i).isEqualTo("Bearer " + token);

        token = TestTokens.apiAccessToken();
        vol.update(token + "\n");
        assertThat(rotated.tryAcquire(10, TimeUnit.SECONDS)).as("rotation %d seen", i).isTrue();
      }
    }
    assertThat(Canaries.findIn(LogCapture.allText())).isEmpty();
  }

  private static String startedUrl(MockWebServer server) throws IOException {
    server.start(0);
    return server.url("/").toString();
  }
}
