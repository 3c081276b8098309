package io.cartosecrets.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.RefreshingTokenProvider;
import io.cartosecrets.SecretException;
import io.cartosecrets.testkit.FakeClock;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.aws.FakeSecretsManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * refreshNow() from many threads at once. Each call is a freshness event that asks the
 * fetch under way for one follow-up; the follow-up runs inline on the thread that finished the
 * previous fetch. Under a steady stream of events that thread keeps fetching, one stack frame set
 * deeper each time, for as long as the stream lasts.
 */
class RefreshNowStormTest {
  @Test
  void steadyRefreshNowCalls_doNotChainFollowUpsOnOneThreadsStack() throws Exception {
    try (FakeSecretsManager aws = FakeSecretsManager.start()) {
      aws.createSecret("prod/carto", TestTokens.apiAccessToken());
      RefreshStormOverSecretsManagerTest.Observed source =
          new RefreshStormOverSecretsManagerTest.Observed(AwsFixtures.provider(aws, "prod/carto").build());
      RefreshingTokenProvider tokens = RefreshingTokenProvider.builder(source)
          .clock(new FakeClock())
          .fetchTimeout(Duration.ofSeconds(30))
          .build();
      tokens.currentToken();
      int baseDepth = source.maxDepth.get();
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong longestCallMs = new AtomicLong();
      ConcurrentHashMap<String, Integer> unexpected = new ConcurrentHashMap<>();
      CountDownLatch go = new CountDownLatch(1);
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        Thread t = new Thread(() -> {
          try {
            go.await();
          } catch (InterruptedException e) {
            return;
          }
          while (!stop.get()) {
            long t0 = System.nanoTime();
            try {
              tokens.refreshNow();
            } catch (SecretException e) {
              // typed: fine
            } catch (Throwable e) {
              unexpected.merge(e.getClass().getName(), 1, Integer::sum);
            }
            longestCallMs.accumulateAndGet(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), Math::max);
          }
        }, "refresh-now-caller-" + i);
        t.setDaemon(true);
        threads.add(t);
        t.start();
      }
      go.countDown();
      Thread.sleep(3000); // the length of the storm, not synchronization
      stop.set(true);
      for (Thread t : threads) {
        t.join(60_000);
      }
      tokens.close();
      String summary = "calls=" + source.calls + " baseDepth=" + baseDepth + " maxDepth=" + source.maxDepth
          + " longestCallMs=" + longestCallMs + " unexpected=" + unexpected;
      System.out.println("refreshNow storm: " + summary);
      assertThat(unexpected).as(summary).isEmpty();
      // A refreshNow() needs at most its own fetch plus one follow-up: its stack should not grow with
      // the number of other threads' events.
      assertThat(source.maxDepth.get()).as("stack depth of source calls: " + summary).isLessThan(baseDepth + 60);
    }
  }
}
