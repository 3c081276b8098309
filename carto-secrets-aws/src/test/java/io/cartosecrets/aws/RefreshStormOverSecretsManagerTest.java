package io.cartosecrets.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.CartoToken;
import io.cartosecrets.RefreshingTokenProvider;
import io.cartosecrets.Secret;
import io.cartosecrets.SecretException;
import io.cartosecrets.SecretProvider;
import io.cartosecrets.SecretUnavailableException;
import io.cartosecrets.TokenMetrics;
import io.cartosecrets.testkit.FakeClock;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.aws.FakeSecretsManager;
import io.cartosecrets.testkit.aws.FakeSecretsManager.Fault;
import io.cartosecrets.testkit.aws.FakeSecretsManager.Operation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * ~200 threads hammer currentToken()/tokenRejected() for ~2 s against a real Secrets
 * Manager stand-in that flaps between success, throttling, 500s and rotation, while a fake clock
 * jumps forward and back; then close() lands mid-storm. Only invariants are asserted.
 */
class RefreshStormOverSecretsManagerTest {
  private static final int WORKERS = 200;

  /** Wraps the real AWS provider to observe concurrency and stack depth of source calls. */
  static final class Observed implements SecretProvider {
    final SecretProvider real;
    final AtomicInteger inside = new AtomicInteger();
    final AtomicInteger maxInside = new AtomicInteger();
    final AtomicInteger calls = new AtomicInteger();
    final AtomicInteger maxDepth = new AtomicInteger();

    Observed(SecretProvider real) {
      this.real = real;
    }

    private void enter() {
      calls.incrementAndGet();
      int n = inside.incrementAndGet();
      maxInside.accumulateAndGet(n, Math::max);
      maxDepth.accumulateAndGet(Thread.currentThread().getStackTrace().length, Math::max);
    }

    @Override
    public Secret fetch() {
      enter();
      try {
        return real.fetch();
      } finally {
        inside.decrementAndGet();
      }
    }

    @Override
    public Secret refresh(Secret current) {
      enter();
      try {
        return real.refresh(current);
      } finally {
        inside.decrementAndGet();
      }
    }

    @Override
    public String description() {
      return real.description();
    }

    @Override
    public void close() {
      real.close();
    }
  }

  @Test
  void stormOfReadsAndRejections_throughFlappingStoreAndJumpingClock_keepsInvariants_andCloseEndsIt() throws Exception {
    try (FakeSecretsManager aws = FakeSecretsManager.start()) {
      aws.createSecret("prod/carto", TestTokens.apiAccessToken());
      FakeClock clock = new FakeClock();
      Observed source = new Observed(AwsFixtures.provider(aws, "prod/carto").build());
      RefreshingTokenProvider tokens = RefreshingTokenProvider.builder(source)
          .clock(clock)
          .refreshInterval(Duration.ofMinutes(1))
          .maxStaleness(Duration.ofMinutes(2))
          .backoff(Duration.ofMillis(200), Duration.ofSeconds(2))
          .rejectionInterval(Duration.ofSeconds(5))
          .fetchTimeout(Duration.ofSeconds(20))
          .build();

      AtomicBoolean stop = new AtomicBoolean();
      AtomicBoolean closedFlag = new AtomicBoolean();
      Map<String, AtomicInteger> unexpected = new ConcurrentHashMap<>();
      Map<String, AtomicInteger> typed = new ConcurrentHashMap<>();
      AtomicInteger tokenReadsAfterClose = new AtomicInteger();
      AtomicInteger rejectionsCalled = new AtomicInteger();
      AtomicLong longestCallNanos = new AtomicLong();
      CountDownLatch go = new CountDownLatch(1);
      List<Thread> workers = new ArrayList<>();
      for (int i = 0; i < WORKERS; i++) {
        Thread t = new Thread(() -> {
          try {
            go.await();
          } catch (InterruptedException e) {
            return;
          }
          ThreadLocalRandom r = ThreadLocalRandom.current();
          while (true) {
            boolean closedBefore = closedFlag.get();
            long t0 = System.nanoTime();
            try {
              CartoToken tok = tokens.currentToken();
              if (r.nextInt(4) == 0) {
                rejectionsCalled.incrementAndGet();
                tokens.tokenRejected(tok);
              }
              if (closedBefore) {
                tokenReadsAfterClose.incrementAndGet();
              }
            } catch (SecretException e) {
              typed.computeIfAbsent(e.getClass().getSimpleName(), k -> new AtomicInteger()).incrementAndGet();
            } catch (IllegalStateException e) {
              if (closedFlag.get()) {
                return; // documented: after close()
              }
              unexpected.computeIfAbsent("ISE before close: " + e.getMessage(), k -> new AtomicInteger()).incrementAndGet();
            } catch (Throwable e) {
              unexpected.computeIfAbsent(e.getClass().getName(), k -> new AtomicInteger()).incrementAndGet();
            } finally {
              longestCallNanos.accumulateAndGet(System.nanoTime() - t0, Math::max);
            }
            if (stop.get()) {
              return;
            }
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200)); // pacing: leave CPU to the chaos thread
          }
        }, "storm-worker-" + i);
        t.setDaemon(true);
        workers.add(t);
        t.start();
      }

      int clockJumps = 0;
      int refreshNows = 0;
      go.countDown();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
      ThreadLocalRandom r = ThreadLocalRandom.current();
      for (int step = 0; step < 400 && System.nanoTime() < end; step++) {
        switch (r.nextInt(6)) {
          case 0:
            aws.putSecretValue("prod/carto", TestTokens.apiAccessToken());
            break;
          case 1:
            aws.failNext(r.nextInt(1, 4), Fault.THROTTLING);
            break;
          case 2:
            aws.failNext(Operation.GET_SECRET_VALUE, 1, Fault.INTERNAL_ERROR);
            break;
          case 3:
            clock.advance(Duration.ofSeconds(r.nextLong(-600, 600)));
            clockJumps++;
            break;
          case 4:
            aws.clearFaults();
            break;
          default:
            refreshNows++;
            try {
              tokens.refreshNow();
            } catch (SecretException e) {
              typed.computeIfAbsent("refreshNow:" + e.getClass().getSimpleName(), k -> new AtomicInteger()).incrementAndGet();
            }
            break;
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2)); // pacing only, not synchronization
      }
      TokenMetrics beforeClose = tokens.metrics();
      closedFlag.set(true);
      tokens.close();
      int callsAtClose = source.calls.get();
      stop.set(true);
      for (Thread t : workers) {
        t.join(TimeUnit.SECONDS.toMillis(30));
      }
      List<String> alive = new ArrayList<>();
      for (Thread t : workers) {
        if (t.isAlive()) {
          alive.add(t.getName() + " " + java.util.Arrays.toString(t.getStackTrace()));
        }
      }
      TokenMetrics m = tokens.metrics();
      String summary = "metrics=" + m + " calls=" + source.calls + " maxInside=" + source.maxInside
          + " maxDepth=" + source.maxDepth + " jumps=" + clockJumps + " refreshNows=" + refreshNows
          + " rejectionsCalled=" + rejectionsCalled + " typed=" + typed + " longestCallMs="
          + TimeUnit.NANOSECONDS.toMillis(longestCallNanos.get());
      System.out.println("storm: " + summary);

      assertThat(alive).as("threads still running 30 s after close(): " + summary).isEmpty();
      assertThat(unexpected).as("undocumented exceptions: " + summary).isEmpty();
      assertThat(source.maxInside.get()).as("single flight: " + summary).isEqualTo(1);
      assertThat(source.calls.get() - callsAtClose).as("source calls after close(): " + summary).isLessThanOrEqualTo(1);
      assertThat(typed.keySet()).as(summary).allMatch(k -> k.endsWith(SecretUnavailableException.class.getSimpleName()));
      // Every fetch has a cause: the first load, a rejection, refreshNow, or a clock jump (which can
      // move past a refresh/backoff point); each cause at most one fetch plus one follow-up.
      long causes = 1 + m.rejections() + refreshNows + clockJumps;
      assertThat(m.fetches()).as("fetch bound: " + summary).isLessThanOrEqualTo(2 * causes);
      // Follow-up fetches must not pile up on one thread's stack.
      assertThat(source.maxDepth.get()).as("stack depth of source calls: " + summary).isLessThan(600);
      assertThat(beforeClose.fetches()).isPositive();
    }
  }
}
