package io.cartosecrets.benchmarks;

import io.cartosecrets.Secret;
import io.cartosecrets.SecretProvider;
import java.util.concurrent.atomic.LongAdder;

/**
 * Wraps a real provider and counts every call that goes to its store ({@code fetch} and {@code
 * refresh}): the number a benchmark reports as "fetches from the store". With {@code watch} off
 * the wrapped provider's change notices are not passed on, which makes a file behave like a remote
 * store that cannot be watched (AWS Secrets Manager, Vault, Conjur): the cache learns of a rotation
 * only on its next check or on a 401.
 */
final class CountingSecretProvider implements SecretProvider {
  private final SecretProvider delegate;
  private final boolean watch;
  private final LongAdder calls = new LongAdder();

  CountingSecretProvider(SecretProvider delegate, boolean watch) {
    this.delegate = delegate;
    this.watch = watch;
  }

  long calls() {
    return calls.sum();
  }

  @Override
  public Secret fetch() {
    calls.increment();
    return delegate.fetch();
  }

  @Override
  public Secret refresh(Secret current) {
    calls.increment();
    return delegate.refresh(current);
  }

  @Override
  public String description() {
    return delegate.description();
  }

  @Override
  public Watch watch(Runnable onChange) {
    return watch ? delegate.watch(onChange) : Watch.NONE;
  }

  @Override
  public void close() {
    delegate.close();
  }
}
