package io.cartosecrets;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hot-reload cache: holds the current token of a {@link SecretProvider} in memory and reloads it
 * before it expires, when it is rotated, when the source says it changed, and when CARTO rejects it.
 * This is what {@code CartoClient.fromProvider(SecretProvider)} uses by default.
 *
 * <h2>Two thresholds</h2>
 *
 * <ul>
 *   <li>At the <b>refresh point</b> one background task (or, if it is late, one caller's async task)
 *       asks the source again while every caller keeps using the current token.
 *   <li>At the <b>stale point</b> callers wait for a fresh token.
 * </ul>
 *
 * For a token with an expiry (a JWT {@code exp}, an OAuth {@code expires_in}), both points derive
 * from it: {@link Builder#refreshMargin(Duration)} (default 5 minutes) and {@link
 * Builder#staleMargin(Duration)} (default 1 minute) before the expiry, which is first moved earlier
 * by {@link Builder#clockSkew(Duration)} (default 10 seconds) because it was set by another clock.
 * For a token without expiry (CARTO API Access Tokens), the refresh point comes every {@link
 * Builder#refreshInterval(Duration)} (default 5 minutes, less up to 20% random jitter so that a fleet
 * of clients does not hit the store at once) and the stale point one interval later.
 *
 * <h2>Failures</h2>
 *
 * <p><b>When the source fails, the last good token is served until its stale point plus {@link
 * Builder#maxStaleness(Duration)} (default 1 hour), never past its own expiry.</b> Each failure is
 * reported at once (as a {@link TokenEvent.Type#REFRESH_FAILED} event and a log line), transient and
 * permanent alike, and the source is asked again after an exponential backoff with jitter ({@link
 * Builder#backoff(Duration, Duration)}, default 1 second growing to 1 minute). Past the bound, calls
 * fail with a {@link SecretUnavailableException} that names the source and carries the last cause.
 * The cache recovers by itself when the source does. Before the first token is loaded, the same
 * backoff applies: until it ends, calls get the last failure again without asking the source.
 *
 * <h2>Concurrency</h2>
 *
 * <p>Reading the current token is one volatile read and a clock read: no lock, no allocation.
 * However many threads need a refresh at once, the source is asked once (single flight) and every
 * waiter gets that result, success or failure; the first call after the backoff tries again. A 401
 * reported through {@link #tokenRejected(CartoToken)} reloads only if the rejected token is still
 * the current one, at most once per {@link Builder#rejectionInterval(Duration)} for the same token
 * (a newly rotated token that is rejected in turn may reload at once); concurrent reports of the
 * same token share one reload. A 401, a change notice from the source or {@link #refreshNow()} that
 * arrives while a refresh is under way does not take that refresh's answer, which may predate it
 * (the store read just before a rotation): one more fetch runs after it, shared by every such event.
 *
 * <p>Background refreshes run on a daemon thread named {@code carto-secrets-refresh-N}, which
 * {@link #close()} stops (it also closes the source). Pass your own scheduler and clock for tests.
 */
public final class RefreshingTokenProvider implements TokenProvider {
  private static final Logger LOG = LoggerFactory.getLogger(RefreshingTokenProvider.class);
  private static final AtomicInteger THREAD_IDS = new AtomicInteger();

  private final SecretProvider source;
  private final String description;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final boolean ownsScheduler;
  private final Executor executor;
  private final long refreshMarginMillis;
  private final long staleMarginMillis;
  private final long clockSkewMillis;
  private final long refreshIntervalMillis;
  private final long maxStalenessMillis;
  private final long rejectionIntervalMillis;
  private final long backoffBaseMillis;
  private final long backoffMaxMillis;
  private final Duration fetchTimeout;
  private final long fetchTimeoutNanos;
  private final boolean backgroundRefresh;
  private final List<TokenListener> listeners;
  private final DoubleSupplier random;

  /**
   * Everything callers read, published as one immutable snapshot so that the hot path is a single
   * volatile read; replaced (never mutated) by the one thread that completed a refresh.
   */
  private volatile State state;

  /**
   * While no token was ever loaded: the last failure and when the source may be asked again, so
   * that callers before the first success are backed off like refreshes are (an OAuth token
   * endpoint answering 429 must not be asked once per API call). Replaced (never mutated) by
   * whoever records a failure of the flight under way, as {@code state} is; cleared just before
   * the first token is published, so that a caller that then sees neither joins the flight, which
   * is still under way; null otherwise.
   */
  private volatile StartupFailure startupFailure;

  /**
   * The refresh under way, if any. Set by CAS from null, cleared by identity when it completes, or
   * abandoned by the first caller that finds it older than the fetch timeout (a source that hangs
   * must not hold every later caller hostage).
   */
  private final AtomicReference<Flight> inFlight = new AtomicReference<>();

  /**
   * Counts the events after which the source must be read anew: a 401 ({@link #tokenRejected}), a
   * change notice from the source, {@link #refreshNow()}. Each flight records the count when it is
   * created, before it asks the source; a flight that recorded less than an event's number may have
   * read the store before that event, so the event cannot take its answer and asks for one more
   * fetch after it instead (see {@link Flight#requestFollowUp()}). Only ever incremented.
   */
  private final AtomicLong freshnessEvents = new AtomicLong();

  /** The last 401-triggered reload: lets concurrent reports of one token share it. */
  private final AtomicReference<Rejection> lastRejection = new AtomicReference<>();

  /** The next scheduled background refresh; replaced each time a refresh completes. */
  private final AtomicReference<ScheduledFuture<?>> scheduled = new AtomicReference<>();

  /** Set once by the first caller to see a stale episode / an expiry, so each is reported once. */
  private final AtomicBoolean staleReported = new AtomicBoolean();

  private final AtomicBoolean expiredReported = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final SecretProvider.Watch watch;

  private final LongAdder fetches = new LongAdder();
  private final LongAdder unchanged = new LongAdder();
  private final LongAdder rotations = new LongAdder();
  private final LongAdder failures = new LongAdder();
  private final LongAdder rejections = new LongAdder();

  private RefreshingTokenProvider(Builder b) {
    this.source = b.source;
    this.description = b.source.description();
    this.clock = b.clock;
    this.refreshMarginMillis = b.refreshMargin.toMillis();
    this.staleMarginMillis = b.staleMargin.toMillis();
    this.clockSkewMillis = b.clockSkew.toMillis();
    this.refreshIntervalMillis = b.refreshInterval.toMillis();
    this.maxStalenessMillis = b.maxStaleness.toMillis();
    this.rejectionIntervalMillis = b.rejectionInterval.toMillis();
    this.backoffBaseMillis = b.backoffBase.toMillis();
    this.backoffMaxMillis = b.backoffMax.toMillis();
    this.fetchTimeout = b.fetchTimeout;
    this.fetchTimeoutNanos = b.fetchTimeout.toNanos();
    this.backgroundRefresh = b.backgroundRefresh;
    this.listeners = List.copyOf(b.listeners);
    this.random = b.random;
    if (b.scheduler != null) {
      this.scheduler = b.scheduler;
      this.ownsScheduler = false;
    } else {
      ScheduledThreadPoolExecutor s =
          new ScheduledThreadPoolExecutor(
              1,
              r -> {
                Thread t = new Thread(r, "carto-secrets-refresh-" + THREAD_IDS.incrementAndGet());
                t.setDaemon(true);
                return t;
              });
      s.setRemoveOnCancelPolicy(true);
      s.setKeepAliveTime(30, TimeUnit.SECONDS);
      s.allowCoreThreadTimeOut(true);
      this.scheduler = s;
      this.ownsScheduler = true;
    }
    this.executor = b.executor != null ? b.executor : scheduler;
    this.watch = source.watch(this::sourceChanged);
  }

  /** A cache over {@code source} with the default settings. */
  public static RefreshingTokenProvider create(SecretProvider source) {
    return builder(source).build();
  }

  public static Builder builder(SecretProvider source) {
    return new Builder(source);
  }

  /**
   * The current token, loading it on first use and waiting for a fresh one only past the stale
   * point.
   *
   * @throws SecretException if no token was ever loaded and the source fails (within the backoff
   *     after that failure, the same failure again, without asking the source), or the last good
   *     token is past its staleness bound
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public CartoToken currentToken() {
    State s = state;
    if (s != null) {
      long now = clock.millis();
      if (now < s.refreshAt) {
        return s.token;
      }
      return slowPath(s, now);
    }
    return loadFirst();
  }

  private CartoToken slowPath(State s, long now) {
    checkOpen();
    if (now < s.staleAt) {
      if (now >= s.nextAttemptAt) {
        startRefresh(true);
      }
      return s.token;
    }
    if (now < s.nextAttemptAt) {
      return serveStaleOrFail(s, now, s.lastFailure);
    }
    try {
      return await(startRefresh(false)).token;
    } catch (SecretException e) {
      State latest = state;
      return serveStaleOrFail(latest != null ? latest : s, clock.millis(), e);
    }
  }

  private CartoToken loadFirst() {
    checkOpen();
    StartupFailure f = startupFailure;
    long now = clock.millis();
    // A clock that stepped back since the failure counts as past the backoff, as for rejections.
    if (f != null && now >= f.failedAt && now < f.nextAttemptAt) {
      // The same typed failure, naming the source, as the fetch that failed threw to its waiters.
      throw f.failure;
    }
    State s = await(startRefresh(false));
    return s.token;
  }

  private CartoToken serveStaleOrFail(State s, long now, SecretException cause) {
    if (now < s.serveUntil) {
      if (staleReported.compareAndSet(false, true)) {
        LOG.warn(
            "{}: serving the last good token fp={} past its stale point while the source fails;"
                + " it is served until {} at the latest",
            description,
            s.token.fingerprint(),
            Instant.ofEpochMilli(s.serveUntil));
        emit(TokenEvent.Type.SERVING_STALE, s.token.fingerprint(), null, cause);
      }
      return s.token;
    }
    SecretUnavailableException expired =
        new SecretUnavailableException(
            description,
            "no fresh token since "
                + Instant.ofEpochMilli(s.loadedAt)
                + " and the last good one ("
                + s.token.fingerprint()
                + ") passed its staleness bound at "
                + Instant.ofEpochMilli(s.serveUntil)
                + "; last cause: "
                + (cause == null ? "none recorded" : cause.getMessage()),
            cause);
    if (expiredReported.compareAndSet(false, true)) {
      LOG.error("{}: token fp={} expired with no fresh token from the source", description, s.token.fingerprint());
      emit(TokenEvent.Type.EXPIRED, s.token.fingerprint(), null, cause);
    }
    throw expired;
  }

  /**
   * Reports that CARTO answered 401 to {@code rejected} and returns the token to try next: the
   * current one if it already differs, otherwise the result of one reload shared by every thread
   * that reports the same token. Never sleeps; waits only for that reload.
   */
  @Override
  public CartoToken tokenRejected(CartoToken rejected) {
    Objects.requireNonNull(rejected, "rejected");
    State s = state;
    if (s == null) {
      return currentToken();
    }
    while (true) {
      if (!s.token.equals(rejected)) {
        return s.token;
      }
      Rejection last = lastRejection.get();
      long now = clock.millis();
      if (last != null && last.token.equals(rejected)) {
        if (!last.done.isDone()) {
          // Another thread is reloading for this very token: share its result.
          awaitQuietly(last.done);
          return tokenAfterWait();
        }
        // A clock that stepped back makes the elapsed time negative: count that as elapsed.
        if (now >= last.at && now - last.at < rejectionIntervalMillis) {
          // The store was just asked about this token and had nothing newer.
          LOG.debug(
              "{}: token fp={} rejected again within {} ms of the last reload; not reloading",
              description,
              rejected.fingerprint(),
              rejectionIntervalMillis);
          return tokenAfterWait();
        }
      }
      Rejection mine = new Rejection(rejected, now);
      if (lastRejection.compareAndSet(last, mine)) {
        rejections.increment();
        LOG.info("{}: CARTO rejected token fp={}; checking the source for a new one", description, rejected.fingerprint());
        try {
          startRefresh(false, freshnessEvents.incrementAndGet()).whenComplete((r, e) -> mine.done.complete(null));
        } catch (RuntimeException e) {
          mine.done.complete(null);
        }
        awaitQuietly(mine.done);
        return tokenAfterWait();
      }
      s = state;
      if (s == null) {
        checkOpen();
        return currentToken();
      }
    }
  }

  private CartoToken tokenAfterWait() {
    State s = state;
    if (s == null) {
      checkOpen();
      return currentToken();
    }
    return s.token;
  }

  /**
   * Reloads now, waiting for the result, even within a backoff; a way to pick up a rotation you
   * know happened.
   */
  public CartoToken refreshNow() {
    checkOpen();
    return await(startRefresh(false, freshnessEvents.incrementAndGet())).token;
  }

  /** The counters since this provider was built. */
  public TokenMetrics metrics() {
    return new TokenMetrics(
        fetches.sum(), unchanged.sum(), rotations.sum(), failures.sum(), rejections.sum());
  }

  @Override
  public String description() {
    return description;
  }

  /** Stops background refreshes and the source's watch, and closes the source. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    // Dropping the snapshot sends later callers to the slow path, which reports the closure;
    // the hot path stays free of a closed check.
    state = null;
    ScheduledFuture<?> f = scheduled.getAndSet(null);
    if (f != null) {
      f.cancel(false);
    }
    watch.close();
    if (ownsScheduler) {
      scheduler.shutdownNow();
    }
    source.close();
  }

  @Override
  public String toString() {
    State s = state;
    return "RefreshingTokenProvider[source="
        + description
        + (s == null ? ", not loaded" : ", token=" + s.token.fingerprint())
        + "]";
  }

  // ---------------------------------------------------------------- refresh machinery

  private void sourceChanged() {
    if (!closed.get()) {
      LOG.debug("{}: the source reported a change; checking it", description);
      startRefresh(true, freshnessEvents.incrementAndGet());
    }
  }

  /**
   * Starts a refresh unless one is under way, and returns the one under way. With {@code async}
   * the work runs on the executor; otherwise in this thread, so that the thread that needs the token
   * pays for the fetch and nobody waits for a pool.
   */
  private CompletableFuture<State> startRefresh(boolean async) {
    return startRefresh(async, 0);
  }

  /**
   * As {@link #startRefresh(boolean)}, for the answer to freshness event number {@code event}
   * (0: any answer will do). A refresh under way that was created before the event may hold what
   * the store said before it, so it is not joined: it is asked to run one more fetch when it is
   * done, and that fetch's result is returned. Still single flight, and however many events arrive
   * during one refresh, they share that one extra fetch.
   */
  private CompletableFuture<State> startRefresh(boolean async, long event) {
    while (true) {
      Flight running = inFlight.get();
      if (running != null) {
        if (System.nanoTime() - running.startedNanos >= fetchTimeoutNanos) {
          abandon(running);
          continue;
        }
        if (running.eventsSeen >= event) {
          return running.future;
        }
        CompletableFuture<State> followUp = running.requestFollowUp();
        if (followUp != null) {
          return followUp;
        }
        // It finished meanwhile, and was cleared from inFlight before that: look again.
        continue;
      }
      Flight mine = new Flight(System.nanoTime(), freshnessEvents.get());
      if (!inFlight.compareAndSet(null, mine)) {
        continue;
      }
      Runnable work = () -> runRefresh(mine);
      if (async) {
        try {
          executor.execute(work);
        } catch (RejectedExecutionException e) {
          inFlight.compareAndSet(mine, null);
          mine.future.completeExceptionally(
              new SecretUnavailableException(description, "the refresh executor refused the task", e));
        }
      } else {
        work.run();
      }
      return mine.future;
    }
  }

  /** Gives up on a fetch that outlived the fetch timeout; its late result, if any, is dropped. */
  private void abandon(Flight hung) {
    if (!inFlight.compareAndSet(hung, null)) {
      return;
    }
    SecretUnavailableException failure =
        new SecretUnavailableException(
            description,
            "the source did not answer within the fetch timeout " + fetchTimeout + "; trying again");
    List<Runnable> events = new ArrayList<>(1);
    recordFailure(state, failure, events);
    hung.future.completeExceptionally(failure);
    startFollowUpIfAsked(hung);
    events.forEach(Runnable::run);
  }

  /**
   * Ends {@code done}'s part in freshness: if an event asked it for one more fetch, starts that
   * fetch (or joins one started since, which began after {@code done} was cleared and so after the
   * event) and hands its result to the event's waiters. Call after {@code done} left inFlight.
   */
  private void startFollowUpIfAsked(Flight done) {
    if (!done.finish()) {
      return;
    }
    if (closed.get()) {
      done.followUp.completeExceptionally(
          new IllegalStateException("RefreshingTokenProvider for " + description + " is closed"));
      return;
    }
    // In this thread, which has just finished the stale fetch: queued on the executor instead, the
    // follow-up would wait behind whatever that runs (with a single background thread, possibly
    // behind a listener that is itself waiting for a token).
    startRefresh(false).whenComplete(
        (s, e) -> {
          if (e == null) {
            done.followUp.complete(s);
          } else {
            done.followUp.completeExceptionally(e);
          }
        });
  }

  private void runRefresh(Flight flight) {
    List<Runnable> events = new ArrayList<>(2);
    State result = null;
    Throwable failure = null;
    try {
      result = fetchOnce(flight, events);
    } catch (Throwable t) {
      failure = t;
    } finally {
      // Clear before completing, so a waiter that reacts by calling again sees the new state
      // and starts a new refresh if it needs one.
      inFlight.compareAndSet(flight, null);
    }
    if (failure == null) {
      flight.future.complete(result);
    } else if (failure instanceof SecretException || failure instanceof IllegalStateException) {
      flight.future.completeExceptionally(failure);
    } else {
      // An Error: release the waiters now rather than after their fetch timeout, then let it fly.
      flight.future.completeExceptionally(
          new SecretUnavailableException(description, "the provider failed with " + failure.getClass().getName()));
    }
    startFollowUpIfAsked(flight);
    // The next refresh is scheduled before listeners run, so that none can stop it; listeners run
    // after the waiters are released, so a slow one delays no waiter (only the fetching thread).
    scheduleNext();
    events.forEach(Runnable::run);
    if (failure instanceof Error) {
      throw (Error) failure;
    }
  }

  private State fetchOnce(Flight flight, List<Runnable> events) {
    State prev = state;
    long now;
    CartoToken token;
    boolean same;
    fetches.increment();
    try {
      Secret secret = prev == null ? source.fetch() : source.refresh(prev.token.secret());
      if (secret == null) {
        throw new SecretUnavailableException(description, "the provider returned no secret");
      }
      now = clock.millis();
      same = prev != null && (secret == prev.token.secret() || secret.sameValueAs(prev.token.secret()));
      token = same && secret == prev.token.secret() ? prev.token : CartoToken.of(secret);
      Instant expiry = token.expiresAt().orElse(null);
      // Moved earlier by the skew, as everywhere else: a token inside the skew window is already
      // expired for this cache (serving it would also mean a fetch on every call until it ends).
      if (expiry != null && expiry.toEpochMilli() - clockSkewMillis <= now) {
        throw new SecretFormatException(
            description,
            "the source returned a token " + token.fingerprint() + " that expired at " + expiry
                + (expiry.toEpochMilli() > now ? " (within the clock skew allowance of " + clockSkewMillis + " ms)" : ""));
      }
    } catch (SecretException e) {
      recordIfCurrent(flight, prev, e, events);
      throw e;
    } catch (RuntimeException e) {
      // A provider outside this SDK threw something untyped; its message is not trusted to be
      // free of secrets, so only its type is kept.
      SecretException failure =
          new SecretUnavailableException(description, "the provider failed with " + e.getClass().getName());
      recordIfCurrent(flight, prev, failure, events);
      throw failure;
    }
    State next = State.loaded(token, now, this);
    if (closed.get()) {
      throw new IllegalStateException("RefreshingTokenProvider for " + description + " is closed");
    }
    if (inFlight.get() != flight) {
      // Abandoned as hung: a newer fetch owns the state now.
      return next;
    }
    startupFailure = null;
    state = next;
    if (closed.get()) {
      // close() ran between the check above and the write: it sets closed before it drops the
      // state, so seeing it here means the state just written must go too (the hot path never
      // checks closed).
      state = null;
      throw new IllegalStateException("RefreshingTokenProvider for " + description + " is closed");
    }
    staleReported.set(false);
    expiredReported.set(false);
    if (prev == null) {
      LOG.info("{}: loaded token fp={}", description, token.fingerprint());
      events.add(() -> emit(TokenEvent.Type.LOADED, token.fingerprint(), null, null));
    } else if (same) {
      unchanged.increment();
      LOG.debug("{}: token fp={} unchanged", description, token.fingerprint());
    } else {
      rotations.increment();
      LOG.info("{}: token rotated from fp={} to fp={}", description, prev.token.fingerprint(), token.fingerprint());
      events.add(() -> emit(TokenEvent.Type.ROTATED, token.fingerprint(), prev.token.fingerprint(), null));
    }
    return next;
  }

  private void recordIfCurrent(Flight flight, State prev, SecretException failure, List<Runnable> events) {
    if (inFlight.get() == flight && !closed.get()) {
      recordFailure(prev, failure, events);
    }
  }

  private void recordFailure(State prev, SecretException failure, List<Runnable> events) {
    failures.increment();
    long now = clock.millis();
    if (prev != null) {
      int attempt = prev.failures + 1;
      state = prev.failed(failure, now + backoffMillis(attempt), attempt);
    } else {
      StartupFailure last = startupFailure;
      int attempt = last == null ? 1 : last.failures + 1;
      startupFailure = new StartupFailure(failure, now, now + backoffMillis(attempt), attempt);
    }
    LOG.warn(
        "{}: {} failed ({}): {}",
        description,
        prev == null ? "loading the token" : "refreshing token fp=" + prev.token.fingerprint(),
        failure.retryable() ? "transient" : "permanent",
        failure.getMessage());
    String fp = prev == null ? null : prev.token.fingerprint();
    events.add(() -> emit(TokenEvent.Type.REFRESH_FAILED, fp, null, failure));
  }

  /** Exponential backoff from the base, doubling per failure, capped, with 50-100% jitter. */
  long backoffMillis(int attempt) {
    long delay = backoffBaseMillis;
    for (int i = 1; i < attempt && delay < backoffMaxMillis; i++) {
      delay *= 2;
    }
    delay = Math.min(delay, backoffMaxMillis);
    return (long) (delay * (0.5 + 0.5 * random.getAsDouble()));
  }

  private void scheduleNext() {
    if (!backgroundRefresh || closed.get()) {
      return;
    }
    State s = state;
    if (s == null) {
      return;
    }
    long at = Math.max(s.refreshAt, s.nextAttemptAt);
    long delay = Math.max(0, at - clock.millis());
    try {
      ScheduledFuture<?> next =
          scheduler.schedule(
              () -> {
                if (!closed.get()) {
                  startRefresh(false);
                }
              },
              delay,
              TimeUnit.MILLISECONDS);
      ScheduledFuture<?> old = scheduled.getAndSet(next);
      if (old != null && old != next) {
        old.cancel(false);
      }
      if (closed.get()) {
        next.cancel(false);
      }
    } catch (RejectedExecutionException e) {
      LOG.debug("{}: scheduler is shut down; no background refresh", description);
    }
  }

  private State await(CompletableFuture<State> f) {
    try {
      return f.get(fetchTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof SecretException) {
        throw (SecretException) c;
      }
      throw new SecretUnavailableException(description, "refresh failed with " + c.getClass().getName());
    } catch (TimeoutException e) {
      throw new SecretUnavailableException(
          description, "the source did not answer within " + fetchTimeout + " (fetch timeout)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SecretUnavailableException(description, "interrupted while waiting for a token");
    }
  }

  private void awaitQuietly(CompletableFuture<?> f) {
    try {
      f.get(fetchTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      // The caller only needs to know whether the token changed; it reads the state next.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void emit(TokenEvent.Type type, String fp, String previousFp, SecretException failure) {
    if (listeners.isEmpty()) {
      return;
    }
    TokenEvent event = new TokenEvent(type, description, fp, previousFp, failure, clock.instant());
    for (TokenListener l : listeners) {
      try {
        l.onEvent(event);
      } catch (VirtualMachineError e) {
        throw e; // out of memory or stack: nothing here can recover from it
      } catch (Throwable e) {
        // A listener is monitoring: its failure, Errors included (a metrics library's missing
        // class, a test's assertion), must not fail the caller whose fetch succeeded.
        LOG.warn("{}: token listener {} threw {}", description, l.getClass().getName(), e.getClass().getName());
      }
    }
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException("RefreshingTokenProvider for " + description + " is closed");
    }
  }

  /**
   * One refresh: its future, when it started (by the monotonic clock), how many freshness events
   * had happened by then, and the one extra fetch that later events may ask of it.
   */
  private static final class Flight {
    private static final int RUNNING = 0;
    private static final int FOLLOW_UP_ASKED = 1;
    private static final int DONE = 2;

    final CompletableFuture<State> future = new CompletableFuture<>();
    final long startedNanos;
    final long eventsSeen;

    /**
     * RUNNING, then FOLLOW_UP_ASKED when an event arrives that this fetch may predate, then DONE.
     * Events move it by CAS only out of RUNNING and the flight's owner sets DONE once, so either
     * the owner sees the request (and starts the follow-up) or the event sees DONE (and looks for
     * a newer flight): a request is never lost, nor served twice.
     */
    private final AtomicInteger phase = new AtomicInteger(RUNNING);

    /** The result of the fetch that runs after this one for the events that asked for it. */
    final CompletableFuture<State> followUp = new CompletableFuture<>();

    Flight(long startedNanos, long eventsSeen) {
      this.startedNanos = startedNanos;
      this.eventsSeen = eventsSeen;
    }

    /** Asks for one more fetch after this one; null if this one is already done. */
    CompletableFuture<State> requestFollowUp() {
      if (phase.compareAndSet(RUNNING, FOLLOW_UP_ASKED) || phase.get() == FOLLOW_UP_ASKED) {
        return followUp;
      }
      return null;
    }

    /** Marks this flight done; true exactly once, and only if a follow-up was asked for. */
    boolean finish() {
      return phase.getAndSet(DONE) == FOLLOW_UP_ASKED;
    }
  }

  /** Why no token could be loaded yet, when, and when the source may be asked again (epoch millis). */
  private record StartupFailure(SecretException failure, long failedAt, long nextAttemptAt, int failures) {}

  private static final class Rejection {
    final CartoToken token;
    final long at;
    final CompletableFuture<Void> done = new CompletableFuture<>();

    Rejection(CartoToken token, long at) {
      this.token = token;
      this.at = at;
    }
  }

  /** One immutable snapshot of the cache. Times are epoch millis by the provider's clock. */
  private static final class State {
    final CartoToken token;
    final long loadedAt;
    final long refreshAt;
    final long staleAt;
    /** Past this the token is not served at all: stale point plus max staleness, capped by expiry. */
    final long serveUntil;
    /** No source call before this (backoff after a failure); {@link Long#MIN_VALUE} if none. */
    final long nextAttemptAt;

    final int failures;
    final SecretException lastFailure;

    private State(
        CartoToken token,
        long loadedAt,
        long refreshAt,
        long staleAt,
        long serveUntil,
        long nextAttemptAt,
        int failures,
        SecretException lastFailure) {
      this.token = token;
      this.loadedAt = loadedAt;
      this.refreshAt = refreshAt;
      this.staleAt = staleAt;
      this.serveUntil = serveUntil;
      this.nextAttemptAt = nextAttemptAt;
      this.failures = failures;
      this.lastFailure = lastFailure;
    }

    static State loaded(CartoToken token, long now, RefreshingTokenProvider p) {
      long refreshAt;
      long staleAt;
      long serveUntil;
      Instant expiry = token.expiresAt().orElse(null);
      if (expiry != null) {
        long expires = expiry.toEpochMilli() - p.clockSkewMillis;
        long life = Math.max(0, expires - now);
        // A token that lives shorter than twice the margin is refreshed at half its life.
        refreshAt = Math.max(expires - p.refreshMarginMillis, now + life / 2);
        staleAt = expires - p.staleMarginMillis;
        if (staleAt < refreshAt) {
          staleAt = refreshAt + (expires - refreshAt) / 2;
        }
        serveUntil = Math.min(saturatedAdd(staleAt, p.maxStalenessMillis), expires);
      } else {
        long jitter = (long) (p.refreshIntervalMillis * 0.2 * p.random.getAsDouble());
        refreshAt = now + p.refreshIntervalMillis - jitter;
        staleAt = refreshAt + p.refreshIntervalMillis;
        serveUntil = saturatedAdd(staleAt, p.maxStalenessMillis);
      }
      return new State(token, now, refreshAt, staleAt, serveUntil, Long.MIN_VALUE, 0, null);
    }

    State failed(SecretException failure, long nextAttemptAt, int failures) {
      return new State(token, loadedAt, refreshAt, staleAt, serveUntil, nextAttemptAt, failures, failure);
    }

    private static long saturatedAdd(long a, long b) {
      long r = a + b;
      return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }
  }

  /** Configures a {@link RefreshingTokenProvider}. Every setting has a default. */
  public static final class Builder {
    private final SecretProvider source;
    private Clock clock = Clock.systemUTC();
    private ScheduledExecutorService scheduler;
    private Executor executor;
    private Duration refreshMargin = Duration.ofMinutes(5);
    private Duration staleMargin = Duration.ofMinutes(1);
    private Duration clockSkew = Duration.ofSeconds(10);
    private Duration refreshInterval = Duration.ofMinutes(5);
    private Duration maxStaleness = Duration.ofHours(1);
    private Duration rejectionInterval = Duration.ofSeconds(5);
    private Duration backoffBase = Duration.ofSeconds(1);
    private Duration backoffMax = Duration.ofMinutes(1);
    private Duration fetchTimeout = Duration.ofSeconds(30);
    private boolean backgroundRefresh = true;
    private final List<TokenListener> listeners = new ArrayList<>();
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();

    private Builder(SecretProvider source) {
      this.source = Objects.requireNonNull(source, "source");
    }

    /** The clock for all timing decisions; inject one in tests. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The scheduler for background refreshes. Not shut down by {@link #close()} when given here.
     * Default: a private single daemon thread named {@code carto-secrets-refresh-N}.
     */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Where refreshes started by callers between the refresh and stale points, or by a source's
     * change notice, run. Default: the scheduler. {@code Runnable::run} runs them in the calling
     * thread, which makes tests deterministic.
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /** Whether a scheduled task refreshes at the refresh point (default); else only callers do. */
    public Builder backgroundRefresh(boolean enabled) {
      this.backgroundRefresh = enabled;
      return this;
    }

    /** How long before expiry the refresh point is, for tokens that expire. Default 5 minutes. */
    public Builder refreshMargin(Duration margin) {
      this.refreshMargin = positive(margin, "refreshMargin");
      return this;
    }

    /** How long before expiry callers start to wait for a fresh token. Default 1 minute. */
    public Builder staleMargin(Duration margin) {
      this.staleMargin = nonNegative(margin, "staleMargin");
      return this;
    }

    /** How far another host's clock may be ahead; expiries are moved this much earlier. Default 10 s. */
    public Builder clockSkew(Duration skew) {
      this.clockSkew = nonNegative(skew, "clockSkew");
      return this;
    }

    /** How often a token without expiry is checked against the source. Default 5 minutes, jittered. */
    public Builder refreshInterval(Duration interval) {
      this.refreshInterval = positive(interval, "refreshInterval");
      return this;
    }

    /**
     * How long past its stale point the last good token is still served while the source fails.
     * Never past the token's expiry. Default 1 hour; {@link Duration#ZERO} fails at the stale point.
     */
    public Builder maxStaleness(Duration maxStaleness) {
      this.maxStaleness = nonNegative(maxStaleness, "maxStaleness");
      return this;
    }

    /** The shortest time between two 401-triggered reloads for the same token. Default 5 seconds. */
    public Builder rejectionInterval(Duration interval) {
      this.rejectionInterval = nonNegative(interval, "rejectionInterval");
      return this;
    }

    /** Backoff after failures: {@code base}, doubling per failure up to {@code max}, jittered. */
    public Builder backoff(Duration base, Duration max) {
      this.backoffBase = positive(base, "backoff base");
      this.backoffMax = positive(max, "backoff max");
      if (max.compareTo(base) < 0) {
        throw new IllegalArgumentException("backoff max " + max + " is less than base " + base);
      }
      return this;
    }

    /** How long a caller waits for a refresh under way before giving up. Default 30 seconds. */
    public Builder fetchTimeout(Duration timeout) {
      this.fetchTimeout = positive(timeout, "fetchTimeout");
      return this;
    }

    /** Adds a listener for {@link TokenEvent}s. */
    public Builder listener(TokenListener listener) {
      this.listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    // For tests that need exact jitter.
    Builder random(DoubleSupplier random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    public RefreshingTokenProvider build() {
      if (staleMargin.compareTo(refreshMargin) > 0) {
        throw new IllegalArgumentException(
            "staleMargin " + staleMargin + " is larger than refreshMargin " + refreshMargin
                + ": callers would wait before any background refresh");
      }
      return new RefreshingTokenProvider(this);
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, was " + d);
      }
      return d;
    }

    private static Duration nonNegative(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative()) {
        throw new IllegalArgumentException(name + " must not be negative, was " + d);
      }
      return d;
    }
  }
}
