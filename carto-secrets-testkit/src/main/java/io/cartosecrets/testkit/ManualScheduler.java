package io.cartosecrets.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link ScheduledExecutorService} that runs nothing by itself: a test moves its {@link FakeClock}
 * and calls {@link #runDueTasks()}, which runs every task that is due, in the calling thread, in
 * order of due time. Deterministic background work without sleeps.
 */
public final class ManualScheduler extends AbstractExecutorService implements ScheduledExecutorService {
  private final FakeClock clock;
  private final AtomicLong sequence = new AtomicLong();

  /** Pending tasks by due time, then submission order. Guarded by {@code this}. */
  private final PriorityQueue<Task<?>> queue =
      new PriorityQueue<>(Comparator.<Task<?>>comparingLong(t -> t.dueAt).thenComparingLong(t -> t.seq));

  private volatile boolean shutdown;

  public ManualScheduler(FakeClock clock) {
    this.clock = clock;
  }

  /**
   * Runs every task due by the clock's current time, including tasks that those tasks schedule
   * for now or earlier. Returns how many ran.
   */
  public int runDueTasks() {
    int ran = 0;
    while (true) {
      Task<?> next;
      synchronized (this) {
        next = queue.peek();
        if (next == null || next.dueAt > clock.millis()) {
          return ran;
        }
        queue.poll();
      }
      if (!next.isCancelled()) {
        next.run();
        ran++;
      }
      if (ran > 100_000) {
        throw new IllegalStateException("more than 100000 tasks due at once: a task reschedules itself for now");
      }
    }
  }

  /** Moves the clock by {@code d} and runs what is then due. */
  public int advanceAndRun(Duration d) {
    clock.advance(d);
    return runDueTasks();
  }

  /** Tasks not yet run and not cancelled. */
  public synchronized int pendingCount() {
    int n = 0;
    for (Task<?> t : queue) {
      if (!t.isCancelled()) {
        n++;
      }
    }
    return n;
  }

  /** Delays of the pending tasks from now, soonest first. */
  public synchronized List<Duration> pendingDelays() {
    List<Task<?>> tasks = new ArrayList<>(queue);
    tasks.sort(queue.comparator());
    List<Duration> out = new ArrayList<>();
    for (Task<?> t : tasks) {
      if (!t.isCancelled()) {
        out.add(Duration.ofMillis(t.dueAt - clock.millis()));
      }
    }
    return out;
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return enqueue(Executors.callable(command, null), unit.toMillis(delay));
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    return enqueue(callable, unit.toMillis(delay));
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
    throw new UnsupportedOperationException("periodic tasks are not supported by ManualScheduler");
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
    throw new UnsupportedOperationException("periodic tasks are not supported by ManualScheduler");
  }

  @Override
  public void execute(Runnable command) {
    enqueue(Executors.callable(command, null), 0);
  }

  private <V> Task<V> enqueue(Callable<V> c, long delayMillis) {
    if (shutdown) {
      throw new RejectedExecutionException("ManualScheduler is shut down");
    }
    Task<V> t = new Task<>(c, clock.millis() + Math.max(0, delayMillis), sequence.incrementAndGet());
    synchronized (this) {
      queue.add(t);
    }
    return t;
  }

  @Override
  public void shutdown() {
    shutdown = true;
  }

  @Override
  public List<Runnable> shutdownNow() {
    shutdown = true;
    synchronized (this) {
      List<Runnable> left = new ArrayList<>(queue);
      queue.clear();
      return left;
    }
  }

  @Override
  public boolean isShutdown() {
    return shutdown;
  }

  @Override
  public boolean isTerminated() {
    return shutdown;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return shutdown;
  }

  private final class Task<V> extends FutureTask<V> implements ScheduledFuture<V> {
    final long dueAt;
    final long seq;

    Task(Callable<V> callable, long dueAt, long seq) {
      super(callable);
      this.dueAt = dueAt;
      this.seq = seq;
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(dueAt - clock.millis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public int compareTo(Delayed o) {
      return Long.compare(getDelay(TimeUnit.MILLISECONDS), o.getDelay(TimeUnit.MILLISECONDS));
    }
  }
}
