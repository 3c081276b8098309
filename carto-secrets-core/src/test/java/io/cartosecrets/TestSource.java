package io.cartosecrets;

import io.cartosecrets.testkit.TestTokens;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An in-memory secret store for the cache's own tests: holds a current value that a test can
 * rotate, can be made to fail, counts calls, and can hold fetches at a gate to make concurrency
 * observable. Provider modules test against wire-level stand-ins instead.
 */
class TestSource implements SecretProvider {
  final AtomicReference<String> value = new AtomicReference<>(TestTokens.apiAccessToken());
  final AtomicReference<Instant> expiresAt = new AtomicReference<>();
  final AtomicReference<SecretException> failure = new AtomicReference<>();
  final AtomicInteger fetches = new AtomicInteger();
  final AtomicInteger closes = new AtomicInteger();
  /** When set, each fetch waits here until the test releases a permit. */
  volatile Semaphore gate;
  /** Counted down when a fetch reaches the gate. */
  volatile CountDownLatch atGate = new CountDownLatch(1);
  /**
   * When set, a fetch reads the value before it waits at the gate, as a real read does before its
   * answer travels back: a rotation while it waits is not in its answer.
   */
  volatile boolean readBeforeGate;

  /** A source holding {@code value} (minted by the test) instead of a fresh token. */
  static TestSource holding(String value) {
    TestSource s = new TestSource();
    s.value.set(value);
    return s;
  }

  String rotate() {
    String next = TestTokens.apiAccessToken();
    value.set(next);
    return next;
  }

  void failTransiently() {
    failure.set(new SecretUnavailableException(description(), "store unreachable (test)"));
  }

  void failPermanently() {
    failure.set(new SecretAccessDeniedException(description(), "access denied (test)"));
  }

  void recover() {
    failure.set(null);
  }

  @Override
  public Secret fetch() {
    String read = value.get();
    fetches.incrementAndGet();
    Semaphore g = gate;
    if (g != null) {
      waitAt(g);
    }
    SecretException f = failure.get();
    if (f != null) {
      throw f;
    }
    return Secret.builder(readBeforeGate ? read : value.get(), description()).expiresAt(expiresAt.get()).build();
  }

  /** Counts down {@link #atGate}, then waits for a permit of {@code g}. */
  void waitAt(Semaphore g) {
    GatedCallers.waitAt(atGate, g, description());
  }

  @Override
  public String description() {
    return "test:store";
  }

  @Override
  public void close() {
    closes.incrementAndGet();
  }
}
