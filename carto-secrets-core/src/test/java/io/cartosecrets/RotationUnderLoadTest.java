package io.cartosecrets;

import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.testkit.Canaries;
import io.cartosecrets.testkit.FakeCartoServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/**
 * Eight threads query a stand-in CARTO without pause while the token is rotated 20 times, each
 * time revoking the old token right after the new one is in the store. Nothing may fail, and the
 * store is asked at most twice per rotation (plus the first load).
 *
 * <p>The client retries a 401 once, so a request can survive one rotation, not two: before each
 * rotation the test waits until every thread has finished a query it started after the previous
 * one. Against a fast server, 20 queries with the new token can otherwise pass while one thread is
 * descheduled between its 401 and its retry, and its retry meets a token revoked in turn.
 */
class RotationUnderLoadTest {
  private static final int THREADS = 8;
  private static final int ROTATIONS = 20;

  @Test
  void eightThreadsQueryingThroughTwentyRotations_seeZeroFailures_andFetchesStayWithinTwicePerRotationPlusOne()
      throws Exception {
    try (FakeCartoServer carto = FakeCartoServer.start()) {
      TestSource store = new TestSource();
      String first = carto.mintToken();
      store.value.set(first);
      RefreshingTokenProvider tokens = RefreshingTokenProvider.builder(store).build();
      try (CartoClient client = CartoClient.builder().baseUrl(carto.baseUrl()).tokenProvider(tokens).build()) {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger rotation = new AtomicInteger();
        AtomicIntegerArray finishedSince = new AtomicIntegerArray(THREADS);
        AtomicInteger succeeded = new AtomicInteger();
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
          int worker = i;
          Thread t =
              new Thread(
                  () -> {
                    while (running.get()) {
                      int startedIn = rotation.get();
                      try {
                        SqlResult r = client.sql("carto_dw").query("SELECT name FROM cities LIMIT 2");
                        if (r.rowCount() != 2) {
                          failures.add(new AssertionError("expected 2 rows, got " + r.rowCount()));
                        }
                        succeeded.incrementAndGet();
                      } catch (Throwable e) {
                        failures.add(e);
                      }
                      finishedSince.set(worker, startedIn);
                    }
                  },
                  "query-worker-" + i);
          workers.add(t);
          t.start();
        }

        String current = first;
        for (int i = 0; i < ROTATIONS; i++) {
          awaitQueriesWith(carto, current, 20);
          awaitEveryWorkerFinishedAQueryStartedIn(finishedSince, i);
          String next = carto.mintToken();
          store.value.set(next);
          carto.revokeToken(current);
          rotation.set(i + 1);
          current = next;
        }
        awaitQueriesWith(carto, current, 20);
        running.set(false);
        for (Thread t : workers) {
          t.join(TimeUnit.SECONDS.toMillis(30));
        }

        assertThat(failures).as("failed queries").isEmpty();
        assertThat(succeeded.get()).isGreaterThan(ROTATIONS * 20);
        TokenMetrics m = tokens.metrics();
        System.out.println("rotation under load: " + succeeded.get() + " queries, " + failures.size() + " failed, " + m);
        assertThat(m.rotations()).isEqualTo(ROTATIONS);
        assertThat(m.fetches()).isLessThanOrEqualTo(2L * ROTATIONS + 1);
        assertThat(carto.requests()).allSatisfy(c -> assertThat(Canaries.findIn(c.requestLine())).isEmpty());
      }
    }
  }

  /** Waits (bounded) until each worker has finished a query that it started in rotation {@code r} or later. */
  private static void awaitEveryWorkerFinishedAQueryStartedIn(AtomicIntegerArray finishedSince, int r) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    for (int w = 0; w < finishedSince.length(); w++) {
      while (finishedSince.get(w) < r) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("worker " + w + " finished no query in rotation " + r + " within 30 s");
        }
        Thread.onSpinWait();
        Thread.yield();
      }
    }
  }

  /** Waits (bounded) until the server has answered {@code n} requests that carried {@code token}. */
  private static void awaitQueriesWith(FakeCartoServer carto, String token, int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      long seen = carto.requests().stream().filter(c -> c.token().filter(token::equals).isPresent()).count();
      if (seen >= n) {
        return;
      }
      Thread.onSpinWait();
      Thread.yield();
    }
    throw new AssertionError("the new token was not used " + n + " times within 30 s");
  }
}
