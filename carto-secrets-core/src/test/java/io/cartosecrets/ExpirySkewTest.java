package io.cartosecrets;

import static io.cartosecrets.testkit.canary.Leakproof.catchThrowable;
import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.testkit.FakeClock;
import io.cartosecrets.testkit.ManualScheduler;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * "expiries are moved 10 s earlier for clock skew" (README, Hot reload) and "the last
 * good token is served ... never past expiry". The check on what a source returns moves the expiry
 * the other way: a token that expired up to one skew ago is accepted and served, and a token inside
 * the skew window is re-fetched from the store on every single call.
 */
class ExpirySkewTest {
  private final FakeClock clock = new FakeClock();
  private final ManualScheduler scheduler = new ManualScheduler(clock);
  private final TestSource source = new TestSource();
  private RefreshingTokenProvider provider;

  @AfterEach
  void close() {
    if (provider != null) {
      provider.close();
    }
  }

  private RefreshingTokenProvider cached() {
    provider = RefreshingTokenProvider.builder(source)
        .clock(clock)
        .scheduler(scheduler)
        .executor(Runnable::run)
        .clockSkew(Duration.ofSeconds(10))
        .random(() -> 1.0)
        .build();
    return provider;
  }

  @Test
  void aTokenThatExpiredFiveSecondsAgo_isNotServed() {
    source.expiresAt.set(clock.instant().minusSeconds(5));
    RefreshingTokenProvider tokens = cached();

    Throwable e = catchThrowable(tokens::currentToken);

    assertThat(e)
        .as("a token whose expiry is 5 s in the past (by this clock) must not be handed out")
        .isInstanceOf(SecretException.class);
  }

  @Test
  void aTokenInsideTheSkewWindow_isNotFetchedFromTheStoreOnEveryCall() {
    // Valid for 5 more seconds by this clock, i.e. already expired once moved 10 s earlier.
    source.expiresAt.set(clock.instant().plusSeconds(5));
    RefreshingTokenProvider tokens = cached();

    for (int i = 0; i < 100; i++) {
      catchThrowable(tokens::currentToken);
    }

    assertThat(source.fetches.get())
        .as("store fetches for 100 calls at one instant (failures back off; successes are cached)")
        .isLessThanOrEqualTo(2);
  }
}
