package io.cartosecrets.benchmarks;

import io.cartosecrets.CartoClient;
import io.cartosecrets.RefreshingTokenProvider;
import io.cartosecrets.TokenMetrics;
import io.cartosecrets.env.FileSecretProvider;
import io.cartosecrets.testkit.FakeCartoServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import okhttp3.OkHttpClient;

/**
 * Benchmark 3: rotation under load. 16 threads query a {@link FakeCartoServer} through one {@link
 * CartoClient} for 30 seconds while, every second, a new token is minted, written to the secret
 * file (atomic rename) and the old one revoked at once. The client reads the file through the
 * default cache, with the file watch on, as an application would.
 *
 * <p>Reports requests completed and failed, calls to the store, 401s the client absorbed, and
 * latency percentiles overall, for requests in flight during the {@value #WINDOW_MS} ms after a
 * revocation, and for the rest (steady state).
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.cartosecrets.benchmarks.RotationUnderLoad [seconds] [threads]</pre>
 */
public final class RotationUnderLoad {
  static final int WINDOW_MS = 100;
  private static final String SQL = "SELECT name, country FROM cities WHERE country = @country ORDER BY population DESC LIMIT 3";
  private static final Map<String, Object> PARAMS = Map.of("country", "Spain");

  private RotationUnderLoad() {}

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 16;
    System.out.printf(Locale.ROOT, "== 3. Rotation under load: %d threads, %d s, token rotated every 1 s, old one revoked at once%n",
        threads, seconds);
    try (FakeCartoServer server = FakeCartoServer.start()) {
      String[] token = {server.mintToken()};
      TokenFile file = TokenFile.create(token[0]);
      CountingSecretProvider store = new CountingSecretProvider(FileSecretProvider.of(file.path()), true);
      RefreshingTokenProvider cache = RefreshingTokenProvider.create(store);
      Unauthorized401s unauthorized = new Unauthorized401s();
      OkHttpClient http = Http.pooled(threads * 2).newBuilder().addNetworkInterceptor(unauthorized).build();
      try (CartoClient carto = CartoClient.builder().baseUrl(server.baseUrl()).tokenProvider(cache).okHttpClient(http).build()) {
        // Warm-up: JIT (the HTTP stack takes about 15 s to plateau on 2 cores), connections. Not counted.
        run(carto, threads, Duration.ofSeconds(15));
        server.clearRequests();
        long storeBefore = store.calls();
        TokenMetrics before = cache.metrics();
        long unauthorizedBefore = unauthorized.count();

        List<Long> revokedAt = new ArrayList<>();
        ScheduledExecutorService rotator = Executors.newSingleThreadScheduledExecutor();
        rotator.scheduleAtFixedRate(() -> {
          String next = server.mintToken();
          file.write(next);
          server.revokeToken(token[0]);
          synchronized (revokedAt) {
            revokedAt.add(System.nanoTime());
          }
          token[0] = next;
          // MockWebServer and the fake keep every request; drop them so memory stays flat.
          server.clearRequests();
        }, 1, 1, TimeUnit.SECONDS);
        Result result = run(carto, threads, Duration.ofSeconds(seconds));
        rotator.shutdown();
        rotator.awaitTermination(5, TimeUnit.SECONDS);

        TokenMetrics after = cache.metrics();
        Latencies around = new Latencies();
        Latencies steady = new Latencies();
        long window = TimeUnit.MILLISECONDS.toNanos(WINDOW_MS);
        long[] rotations = revokedAt.stream().mapToLong(Long::longValue).sorted().toArray();
        for (Result.Sample s : result.samples) {
          (inFlightAfterRotation(s, rotations, window) ? around : steady).add(s.end - s.start);
        }
        Latencies all = new Latencies();
        all.addAll(around);
        all.addAll(steady);
        System.out.printf(Locale.ROOT, "rotations: %d%n", rotations.length);
        System.out.printf(Locale.ROOT, "requests completed: %d (%.0f/s), failed: %d %s%n",
            result.samples.size(), result.samples.size() / (double) seconds, result.failures.sum(), result.failureTypes);
        System.out.printf(Locale.ROOT, "store calls: %d (cache: %d fetches, %d rotations, %d unchanged, %d 401 reloads)%n",
            store.calls() - storeBefore, after.fetches() - before.fetches(), after.rotations() - before.rotations(),
            after.unchangedChecks() - before.unchangedChecks(), after.rejections() - before.rejections());
        System.out.printf(Locale.ROOT, "401s absorbed by the client (retried with the new token): %d%n",
            unauthorized.count() - unauthorizedBefore);
        System.out.println("latency all:                         " + all.summary());
        System.out.printf(Locale.ROOT, "latency in flight <= %d ms after a revocation: %s%n", WINDOW_MS, around.summary());
        System.out.println("latency steady state (the rest):     " + steady.summary());
        System.out.printf(Locale.ROOT, "extra latency around a rotation: mean %+.3f ms, p50 %+.3f ms, p99 %+.3f ms, max %+.3f ms%n",
            around.meanMillis() - steady.meanMillis(),
            around.percentileMillis(50) - steady.percentileMillis(50),
            around.percentileMillis(99) - steady.percentileMillis(99),
            around.percentileMillis(100) - steady.percentileMillis(100));
      }
      http.dispatcher().executorService().shutdown();
      file.close();
    }
  }

  private static boolean inFlightAfterRotation(Result.Sample s, long[] rotations, long window) {
    for (long r : rotations) {
      if (s.start < r + window && s.end > r) {
        return true;
      }
    }
    return false;
  }

  private static Result run(CartoClient carto, int threads, Duration duration) throws InterruptedException {
    Result result = new Result();
    long deadline = System.nanoTime() + duration.toNanos();
    List<Thread> workers = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      Thread t = new Thread(() -> {
        List<Result.Sample> mine = new ArrayList<>();
        while (true) {
          long start = System.nanoTime();
          if (start >= deadline) {
            break;
          }
          try {
            carto.sql(FakeCartoServer.DEFAULT_CONNECTION).query(SQL, PARAMS);
            mine.add(new Result.Sample(start, System.nanoTime()));
          } catch (RuntimeException e) {
            result.failures.increment();
            result.failureTypes.merge(e.getClass().getSimpleName(), 1L, Long::sum);
          }
        }
        synchronized (result.samples) {
          result.samples.addAll(mine);
        }
      }, "load-" + i);
      workers.add(t);
      t.start();
    }
    for (Thread t : workers) {
      t.join();
    }
    return result;
  }

  private static final class Result {
    final List<Sample> samples = new ArrayList<>();
    final LongAdder failures = new LongAdder();
    final Map<String, Long> failureTypes = new ConcurrentHashMap<>();

    record Sample(long start, long end) {}
  }
}
