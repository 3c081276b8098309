package io.cartosecrets.env;

import io.cartosecrets.SecretProvider;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the directories a secret file lives in and calls back after every batch of events.
 *
 * <p>Two directories are watched: the file's own (where Kubernetes renames {@code ..data_tmp} over
 * {@code ..data}, and where Docker or an agent replaces the file) and the one its symbolic links
 * resolve to, when that differs (a link into another directory whose file is rewritten). The
 * second changes with every Kubernetes swap and its old directory is deleted, so the set is
 * re-resolved after every batch: stale keys are cancelled and new directories registered. Every
 * key is reset after its events are taken, without which the JDK delivers nothing more for it and
 * only the first swap would be seen.
 *
 * <p>One daemon thread per watch, named {@code carto-secrets-file-watch-N} (a counter, nothing
 * from the file or its content). {@link #close()} closes the {@link WatchService}, which wakes the
 * thread, and waits for it to end.
 */
final class FileWatch implements SecretProvider.Watch {
  private static final Logger LOG = LoggerFactory.getLogger(FileWatch.class);
  private static final AtomicInteger THREAD_IDS = new AtomicInteger();
  private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(5);
  static final String THREAD_PREFIX = "carto-secrets-file-watch-";

  private final Path file;
  private final String source;
  private final Runnable onChange;
  private final Consumer<FileWatch> onClose;
  private final WatchService service;
  // Registered directories by key. Filled by start() before the thread starts (Thread.start
  // publishes it), then touched only by the watch thread.
  private final Map<WatchKey, Path> keys = new HashMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Thread thread;

  private FileWatch(
      Path file, String source, Runnable onChange, Consumer<FileWatch> onClose, WatchService service) {
    this.file = file;
    this.source = source;
    this.onChange = onChange;
    this.onClose = onClose;
    this.service = service;
    this.thread = new Thread(this::run, THREAD_PREFIX + THREAD_IDS.incrementAndGet());
    this.thread.setDaemon(true);
  }

  /**
   * Starts watching {@code file}'s directories, or returns empty (after a warning) when none of
   * them can be watched.
   */
  static Optional<FileWatch> start(
      Path file, String source, Runnable onChange, Consumer<FileWatch> onClose) {
    WatchService service;
    try {
      service = file.getFileSystem().newWatchService();
    } catch (IOException | UnsupportedOperationException e) {
      LOG.warn("{}: cannot watch for changes ({}); changes are noticed at the next scheduled"
          + " refresh only", source, e.getClass().getSimpleName());
      return Optional.empty();
    }
    FileWatch watch = new FileWatch(file, source, onChange, onClose, service);
    watch.reconcile();
    if (watch.keys.isEmpty()) {
      watch.closeService();
      LOG.warn("{}: cannot watch directory {} (does it exist?); changes are noticed at the next"
          + " scheduled refresh only", source, file.getParent());
      return Optional.empty();
    }
    watch.thread.start();
    LOG.debug("{}: watching {} on thread {}", source, watch.keys.values(), watch.thread.getName());
    return Optional.of(watch);
  }

  /** Stops watching and waits (up to 5 s) for the watch thread to end. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    closeService();
    if (Thread.currentThread() != thread) {
      try {
        thread.join(JOIN_TIMEOUT.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (thread.isAlive()) {
        LOG.warn("{}: watch thread {} still runs its change callback after {}", source,
            thread.getName(), JOIN_TIMEOUT);
      }
    }
    onClose.accept(this);
  }

  /** The watch thread's name; for tests. */
  String threadName() {
    return thread.getName();
  }

  boolean isRunning() {
    return thread.isAlive();
  }

  private void run() {
    while (!closed.get()) {
      try {
        drain(service.take());
        WatchKey more;
        while ((more = service.poll()) != null) {
          drain(more);
        }
        reconcile();
      } catch (ClosedWatchServiceException | InterruptedException e) {
        break;
      }
      if (closed.get()) {
        break;
      }
      if (keys.isEmpty()) {
        LOG.warn("{}: the watched directory {} is gone; changes are noticed at the next scheduled"
            + " refresh only", source, file.getParent());
      }
      try {
        onChange.run();
      } catch (RuntimeException e) {
        // Only the type: the message belongs to someone else's code and may say anything.
        LOG.warn("{}: the change callback failed with {}; still watching", source,
            e.getClass().getName());
      }
      if (keys.isEmpty()) {
        break;
      }
    }
  }

  private void drain(WatchKey key) {
    key.pollEvents(); // any event, overflow included, means "check again"
    if (!key.reset()) {
      keys.remove(key); // the directory is gone (an old Kubernetes ..<timestamp> directory)
    }
  }

  /** Registers the directories that should be watched now and cancels the rest. */
  private void reconcile() {
    Set<Path> wanted = new LinkedHashSet<>();
    Path parent = file.getParent();
    if (parent != null) {
      wanted.add(parent);
    }
    try {
      Path realParent = file.toRealPath().getParent();
      if (realParent != null) {
        wanted.add(realParent);
      }
    } catch (IOException e) {
      // Missing for now (deleted, or mid-swap): the next event re-resolves it.
    }
    for (Iterator<Map.Entry<WatchKey, Path>> it = keys.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<WatchKey, Path> e = it.next();
      if (!e.getKey().isValid() || !wanted.contains(e.getValue())) {
        e.getKey().cancel();
        it.remove();
      }
    }
    for (Path dir : wanted) {
      if (keys.containsValue(dir)) {
        continue;
      }
      try {
        WatchKey key = dir.register(service,
            StandardWatchEventKinds.ENTRY_CREATE,
            StandardWatchEventKinds.ENTRY_DELETE,
            StandardWatchEventKinds.ENTRY_MODIFY);
        keys.put(key, dir);
      } catch (IOException e) {
        LOG.debug("{}: cannot watch {} ({})", source, dir, e.getClass().getSimpleName());
      }
    }
  }

  private void closeService() {
    try {
      service.close();
    } catch (IOException e) {
      LOG.debug("{}: closing the watch service failed ({})", source, e.getClass().getSimpleName());
    }
  }

  @Override
  public String toString() {
    return "FileWatch[" + source + ", " + thread.getName() + "]";
  }
}
