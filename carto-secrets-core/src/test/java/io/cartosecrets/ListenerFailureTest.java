package io.cartosecrets;

import static io.cartosecrets.testkit.canary.Leakproof.catchThrowable;
import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.testkit.FakeClock;
import io.cartosecrets.testkit.ManualScheduler;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Listeners run on the thread that completed the fetch, before the next background
 * refresh is scheduled, and only RuntimeExceptions are contained. A listener that throws an Error
 * (an assertion in a test listener, a NoClassDefFoundError of a metrics library, a
 * StackOverflowError) makes currentToken() throw although the token loaded, and leaves no
 * background refresh scheduled: the cache silently stops refreshing ahead.
 */
class ListenerFailureTest {
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

  @Test
  void aListenerThatThrowsAnError_neitherFailsTheCallerNorStopsBackgroundRefresh() {
    provider = RefreshingTokenProvider.builder(source)
        .clock(clock)
        .scheduler(scheduler)
        .random(() -> 1.0)
        .listener(e -> {
          if (e.type() == TokenEvent.Type.LOADED) {
            throw new NoClassDefFoundError("io/metrics/Counter (test)");
          }
        })
        .build();

    Throwable thrown = catchThrowable(provider::currentToken);

    assertThat(thrown).as("currentToken() after a successful load").isNull();
    assertThat(scheduler.pendingCount()).as("background refreshes scheduled after the first load").isEqualTo(1);
  }
}
