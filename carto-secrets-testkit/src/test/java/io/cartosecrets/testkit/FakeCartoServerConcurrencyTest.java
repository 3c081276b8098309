package io.cartosecrets.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.testkit.TestHttp.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FakeCartoServerConcurrencyTest {
  private static final int THREADS = 64;
  private final FakeCartoServer carto = FakeCartoServer.start();
  private final ExecutorService pool = Executors.newFixedThreadPool(THREADS);

  @AfterEach
  void stop() throws InterruptedException {
    pool.shutdownNow();
    assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    carto.close();
  }

  @Test
  void sixtyFourConcurrentRequestsWithDistinctTokens_allSucceedAndAreAllRecorded() throws Exception {
    List<String> tokens = new ArrayList<>();
    for (int i = 0; i < THREADS; i++) {
      tokens.add(carto.mintToken());
    }
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Reply>> futures = new ArrayList<>();
    for (int i = 0; i < THREADS; i++) {
      String token = tokens.get(i);
      boolean post = i % 2 == 0;
      futures.add(
          pool.submit(() -> {
            start.await();
            return post
                ? TestHttp.postSql(carto, token, Map.of("q", "SELECT name FROM cities WHERE population > @min", "queryParameters", Map.of("min", 2_000_000)))
                : TestHttp.getSql(carto, token, "SELECT name FROM cities WHERE population > 2000000");
          }));
    }

    start.countDown();
    for (Future<Reply> f : futures) {
      Reply reply = f.get(30, TimeUnit.SECONDS);
      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.json().get("rows")).hasSize(5);
    }

    assertThat(carto.requestCount()).isEqualTo(THREADS);
    assertThat(carto.requests()).extracting(FakeCartoServer.Call::sequence).doesNotHaveDuplicates();
    assertThat(carto.requests()).extracting(c -> c.token().orElseThrow()).containsExactlyInAnyOrderElementsOf(tokens);
  }

  @Test
  void concurrentRevocationAndTokenCreation_leaveTheRegistryConsistent() throws Exception {
    String oauth = carto.mintOAuthToken();
    List<String> revoked = new ArrayList<>();
    for (int i = 0; i < THREADS / 2; i++) {
      revoked.add(carto.mintToken());
    }
    CountDownLatch start = new CountDownLatch(1);
    List<Future<String>> created = new ArrayList<>();
    List<Future<?>> revocations = new ArrayList<>();
    for (int i = 0; i < THREADS / 2; i++) {
      String token = revoked.get(i);
      revocations.add(pool.submit(() -> {
        start.await();
        carto.revokeToken(token);
        return null;
      }));
      created.add(
          pool.submit(() -> {
            start.await();
            Reply r =
                TestHttp.send(
                    "POST",
                    carto.baseUrl() + "/v3/tokens",
                    oauth,
                    Map.of("grants", List.of(Map.of("connection_name", "carto_dw", "source", "cities"))));
            assertThat(r.status()).isEqualTo(201);
            return r.json().get("token").asText();
          }));
    }

    start.countDown();
    for (Future<?> f : revocations) {
      f.get(30, TimeUnit.SECONDS);
    }
    List<String> fresh = new ArrayList<>();
    for (Future<String> f : created) {
      fresh.add(f.get(30, TimeUnit.SECONDS));
    }

    assertThat(fresh).doesNotHaveDuplicates().allMatch(carto::isValid);
    assertThat(revoked).noneMatch(carto::isValid);
    assertThat(TestHttp.get(carto.baseUrl() + "/v3/tokens", oauth).json().findValuesAsText("token"))
        .containsExactlyInAnyOrderElementsOf(fresh);
  }
}
