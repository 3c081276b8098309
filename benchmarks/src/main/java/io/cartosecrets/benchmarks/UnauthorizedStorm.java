package io.cartosecrets.benchmarks;

import io.cartosecrets.CartoClient;
import io.cartosecrets.CartoToken;
import io.cartosecrets.RefreshingTokenProvider;
import io.cartosecrets.SecretProvider;
import io.cartosecrets.TokenProvider;
import io.cartosecrets.env.FileSecretProvider;
import io.cartosecrets.testkit.FakeCartoServer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Response;

/**
 * Benchmark 4: a 401 storm. 1000 requests carry a token that CARTO has just revoked, all at once;
 * the new token is already in the store. Reports how many of them got the 401, how many calls went
 * to the store, and the time from the moment they were all sent until every one had succeeded.
 *
 * <p>To make the 1000 truly concurrent, a network interceptor holds each request, after the client
 * has put the (revoked) token on it and before it is sent, until all 1000 are there; then it lets
 * them all go at once. The store is a secret file read through a counting wrapper, with its watch
 * off: like AWS Secrets Manager, Vault or Conjur, it cannot tell the client that it changed, so
 * the client learns of the rotation from the 401s. The connections are opened beforehand, so the
 * storm does not measure TCP handshakes.
 *
 * <p>The raw alternative is the hand-written client: a volatile field holding the token, reloaded
 * from the store on every 401.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.cartosecrets.benchmarks.UnauthorizedStorm [requests] [rounds]</pre>
 */
public final class UnauthorizedStorm {
  private static final String SQL = "SELECT COUNT(*) AS n FROM cities";

  private UnauthorizedStorm() {}

  public static void main(String[] args) throws Exception {
    int requests = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    System.out.printf(Locale.ROOT, "== 4. 401 storm: %d concurrent requests with a just-revoked token, %d rounds per client%n",
        requests, rounds);
    storm("RefreshingTokenProvider (SDK)", RefreshingTokenProvider::create, requests, rounds);
    storm("volatile field, reload on each 401 (raw)", ReloadOn401::new, requests, rounds);
  }

  private static void storm(String name, Function<SecretProvider, TokenProvider> cache, int requests, int rounds)
      throws Exception {
    ExecutorService callers = Executors.newFixedThreadPool(requests);
    try (FakeCartoServer server = FakeCartoServer.start()) {
      String token = server.mintToken();
      TokenFile file = TokenFile.create(token);
      CountingSecretProvider store = new CountingSecretProvider(FileSecretProvider.of(file.path()), false);
      Gate gate = new Gate();
      Unauthorized401s unauthorized = new Unauthorized401s();
      OkHttpClient http = Http.pooled(requests + 16).newBuilder().addNetworkInterceptor(gate).addNetworkInterceptor(unauthorized).build();
      try (CartoClient carto = CartoClient.builder().baseUrl(server.baseUrl()).tokenProvider(cache.apply(store)).okHttpClient(http).build()) {
        // Opens `requests` connections (the gate makes them all concurrent) and warms the JIT.
        for (int i = 0; i < 3; i++) {
          round(carto, callers, gate, requests);
        }
        long[] storms = new long[rounds];
        long[] baselines = new long[rounds];
        System.out.println(name + ":");
        for (int r = 0; r < rounds; r++) {
          // The same burst with a valid token, for comparison: what 1000 requests take anyway.
          Round baseline = round(carto, callers, gate, requests);
          String next = server.mintToken();
          file.write(next);
          server.revokeToken(token);
          token = next;
          server.clearRequests();
          long storeBefore = store.calls();
          long unauthorizedBefore = unauthorized.count();
          Round storm = round(carto, callers, gate, requests);
          storms[r] = storm.nanos;
          baselines[r] = baseline.nanos;
          System.out.printf(Locale.ROOT,
              "  round %d: %d got 401, store calls %d, failed %d, all succeeded %.1f ms after they were sent"
                  + " (same burst, valid token: %.1f ms, failed %d)%n",
              r + 1, unauthorized.count() - unauthorizedBefore, store.calls() - storeBefore, storm.failures,
              storm.nanos / 1e6, baseline.nanos / 1e6, baseline.failures);
        }
        System.out.printf(Locale.ROOT, "  median time to all succeeded: %s; same burst with a valid token: %s%n",
            Latencies.medianRange(storms), Latencies.medianRange(baselines));
      }
      http.dispatcher().executorService().shutdown();
      http.connectionPool().evictAll();
      file.close();
    } finally {
      callers.shutdownNow();
    }
  }

  /** Runs {@code n} queries at once; the time is from the gate's release to the last success. */
  private static Round round(CartoClient carto, ExecutorService callers, Gate gate, int n)
      throws InterruptedException, ExecutionException {
    gate.arm(n);
    CountDownLatch ready = new CountDownLatch(n);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Long>> ends = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      ends.add(callers.submit(() -> {
        ready.countDown();
        go.await();
        try {
          carto.sql(FakeCartoServer.DEFAULT_CONNECTION).query(SQL);
          return System.nanoTime();
        } catch (RuntimeException e) {
          return -1L;
        }
      }));
    }
    ready.await();
    go.countDown();
    long last = 0;
    int failures = 0;
    for (Future<Long> f : ends) {
      long end = f.get();
      if (end < 0) {
        failures++;
      }
      last = Math.max(last, end);
    }
    gate.disarm();
    return new Round(last - gate.releasedAt(), failures);
  }

  private record Round(long nanos, int failures) {}

  /**
   * Holds each request, token already on it, until {@code n} are held; then releases them together.
   * Requests after that (the retries) pass straight through.
   */
  private static final class Gate implements Interceptor {
    private volatile CountDownLatch arrivals;
    private final AtomicLong releasedAt = new AtomicLong();

    void arm(int n) {
      releasedAt.set(0);
      arrivals = new CountDownLatch(n);
    }

    void disarm() {
      arrivals = null;
    }

    long releasedAt() {
      return releasedAt.get();
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
      CountDownLatch a = arrivals;
      if (a != null && a.getCount() > 0) {
        a.countDown();
        if (a.getCount() == 0) {
          releasedAt.compareAndSet(0, System.nanoTime());
        }
        try {
          if (!a.await(60, TimeUnit.SECONDS)) {
            throw new IOException("the storm never gathered");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted at the gate", e);
        }
      }
      return chain.proceed(chain.request());
    }
  }

  /** The raw alternative: the token in a volatile field, reloaded from the store on every 401. */
  private static final class ReloadOn401 implements TokenProvider {
    private final SecretProvider source;
    private volatile CartoToken token;

    ReloadOn401(SecretProvider source) {
      this.source = source;
    }

    @Override
    public CartoToken currentToken() {
      CartoToken t = token;
      if (t == null) {
        t = CartoToken.of(source.fetch());
        token = t;
      }
      return t;
    }

    @Override
    public CartoToken tokenRejected(CartoToken rejected) {
      CartoToken t = CartoToken.of(source.fetch());
      token = t;
      return t;
    }

    @Override
    public String description() {
      return source.description();
    }

    @Override
    public void close() {
      source.close();
    }
  }
}
