package io.cartosecrets.benchmarks;

import io.cartosecrets.CartoToken;
import io.cartosecrets.RefreshingTokenProvider;
import io.cartosecrets.Secret;
import io.cartosecrets.SecretProvider;
import io.cartosecrets.testkit.TestTokens;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Benchmark 1: what every request pays to learn the token. {@code RefreshingTokenProvider
 * .currentToken()} on a loaded cache, against the least a hand-written client could do: read a
 * volatile field that some other thread keeps up to date; and, to explain the difference, the
 * clock read the cache makes on every call. Run with {@code -prof gc} for bytes per operation.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(4)
public class TokenReadBenchmark {
  private final Clock clock = Clock.systemUTC();
  private RefreshingTokenProvider cache;

  /** The raw alternative: a token another thread would replace on rotation. */
  private volatile CartoToken field;

  @Setup
  public void setUp() {
    // A minted API Access Token from an in-memory source; the read path never touches the source.
    Secret secret = Secret.of(TestTokens.apiAccessToken(), "bench:memory");
    cache = RefreshingTokenProvider.create(new SecretProvider() {
      @Override
      public Secret fetch() {
        return secret;
      }

      @Override
      public String description() {
        return "bench:memory";
      }
    });
    field = cache.currentToken();
  }

  @TearDown
  public void tearDown() {
    cache.close();
  }

  @Benchmark
  public CartoToken cache() {
    return cache.currentToken();
  }

  @Benchmark
  public CartoToken volatileField() {
    return field;
  }

  // Reading the clock costs more when other processes load this virtual machine (a field read does
  // not change), so the cache and the clock read alone run at once, one thread each: each
  // measurement iteration is then a fair pair.

  /**
   * Not an alternative but the explanation: the cache reads the clock on every call (to notice the
   * refresh point without relying on a timer thread), and this is what that read costs alone.
   */
  @Benchmark
  @Group("vsClockRead")
  public CartoToken cacheBesideClock() {
    return cache.currentToken();
  }

  @Benchmark
  @Group("vsClockRead")
  public long clockRead() {
    return clock.millis();
  }
}
