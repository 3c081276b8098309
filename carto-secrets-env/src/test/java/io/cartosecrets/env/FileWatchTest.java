package io.cartosecrets.env;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cartosecrets.Secret;
import io.cartosecrets.SecretProvider;
import io.cartosecrets.testkit.Canaries;
import io.cartosecrets.testkit.LogCapture;
import io.cartosecrets.testkit.TestTokens;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.Level;

class FileWatchTest {
  private static final long TIMEOUT_MS = 10_000;

  @TempDir Path dir;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeEach
  void clearLogs() {
    LogCapture.clear();
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  private <T extends AutoCloseable> T closeLater(T c) {
    toClose.add(c);
    return c;
  }

  /**
   * Waits for reported changes until a refresh yields {@code expected}. Each wait is bounded: a
   * watch that stops reporting fails the test instead of hanging it.
   */
  private static Secret awaitValue(
      FileSecretProvider p, Semaphore changes, Secret current, String expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
    while (true) {
      long left = deadline - System.nanoTime();
      assertThat(changes.tryAcquire(Math.max(0, left), TimeUnit.NANOSECONDS))
          .as("a change of %s was reported within %d ms", p.description(), TIMEOUT_MS)
          .isTrue();
      Secret s = p.refresh(current);
      if (s.reveal().equals(expected)) {
        return s;
      }
    }
  }

  private static List<Thread> watchThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith(FileWatch.THREAD_PREFIX))
        .collect(Collectors.toList());
  }

  private Path writeOwnerOnly(Path f, String content) throws IOException {
    Files.write(f, content.getBytes(UTF_8));
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    return f;
  }

  @Test
  void kubernetesSymlinkSwap_fiveTimes_eachIsReportedByWatchAndReadByRefresh() throws Exception {
    KubernetesSecretVolume vol =
        KubernetesSecretVolume.create(dir, "carto_token", TestTokens.apiAccessToken() + "\n");
    FileSecretProvider p = closeLater(FileSecretProvider.of(vol.file()));
    Secret current = p.fetch();
    Semaphore changes = new Semaphore(0);
    closeLater(p.watch(changes::release));

    for (int i = 1; i <= 5; i++) {
      String next = TestTokens.apiAccessToken();
      KubernetesSecretVolume.Staged staged = vol.stage(next + "\n");
      // Staging alone (a new ..<timestamp> directory and ..data_tmp) is reported, but the file the
      // application opens still holds the old token.
      assertThat(changes.tryAcquire(TIMEOUT_MS, TimeUnit.MILLISECONDS)).as("staging %d reported", i).isTrue();
      assertThat(p.refresh(current)).as("before swap %d", i).isSameAs(current);

      changes.drainPermits();
      staged.swap();
      Secret updated = awaitValue(p, changes, current, next);

      assertThat(updated).as("swap %d", i).isNotEqualTo(current);
      assertThat(updated.source()).isEqualTo("file:" + vol.file());
      current = updated;
    }
    assertThat(Canaries.findIn(LogCapture.allText())).isEmpty();
  }

  @Test
  void kubernetesSymlinkSwap_fiveTimes_eachIsReadByRefreshAloneWithoutAWatch() throws Exception {
    KubernetesSecretVolume vol = KubernetesSecretVolume.create(dir, "carto_token", TestTokens.apiAccessToken());
    FileSecretProvider p = FileSecretProvider.of(vol.file());
    Secret current = p.fetch();

    for (int i = 1; i <= 5; i++) {
      assertThat(p.refresh(current)).as("unchanged before swap %d", i).isSameAs(current);
      // Same length as before: only the resolved real path and the inode tell the files apart.
      String next = TestTokens.apiAccessToken().substring(0, current.reveal().length());
      vol.update(next);

      Secret updated = p.refresh(current);

      assertThat(updated.reveal()).as("swap %d", i).isEqualTo(next);
      assertThat(p.refresh(updated)).isSameAs(updated);
      current = updated;
    }
  }

  @Test
  void inPlaceRewriteKeepingSizeAndTimestamp_isReadAfterTheWatchReportsIt() throws Exception {
    String token = TestTokens.apiAccessToken();
    Path f = writeOwnerOnly(dir.resolve("carto_token"), token);
    FileSecretProvider p = closeLater(FileSecretProvider.of(f));
    Secret current = p.fetch();
    FileTime mtime = Files.getLastModifiedTime(f);
    Semaphore changes = new Semaphore(0);
    closeLater(p.watch(changes::release));

    String next = TestTokens.apiAccessToken().substring(0, token.length());
    Files.writeString(f, next);
    Files.setLastModifiedTime(f, mtime);

    assertThat(awaitValue(p, changes, current, next).reveal()).isEqualTo(next);
  }

  @Test
  void fileReplacedByRenamingATempFile_isReportedEveryTime() throws Exception {
    Path f = writeOwnerOnly(dir.resolve("carto_token"), TestTokens.apiAccessToken());
    FileSecretProvider p = closeLater(FileSecretProvider.of(f));
    Secret current = p.fetch();
    Semaphore changes = new Semaphore(0);
    closeLater(p.watch(changes::release));

    for (int i = 0; i < 3; i++) {
      String next = TestTokens.apiAccessToken();
      Path tmp = writeOwnerOnly(dir.resolve(".carto_token.tmp"), next);
      Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      current = awaitValue(p, changes, current, next);
    }
  }

  @Test
  void linkIntoAnotherDirectory_targetRewritten_isReportedFromThatDirectory() throws Exception {
    Path store = Files.createDirectory(dir.resolve("agent-output"));
    Path target = writeOwnerOnly(store.resolve("token"), TestTokens.apiAccessToken());
    Path appDir = Files.createDirectory(dir.resolve("app"));
    Path link = Files.createSymbolicLink(appDir.resolve("carto_token"), target);
    FileSecretProvider p = closeLater(FileSecretProvider.of(link));
    Secret current = p.fetch();
    Semaphore changes = new Semaphore(0);
    closeLater(p.watch(changes::release));

    String next = TestTokens.apiAccessToken() + "-2";
    Files.writeString(target, next); // nothing changes in appDir itself

    assertThat(awaitValue(p, changes, current, next).reveal()).isEqualTo(next);
  }

  @Test
  void watchThread_isADaemon_namedByCounterOnly_withoutAnySecret() throws Exception {
    String token = TestTokens.apiAccessToken();
    Path f = writeOwnerOnly(dir.resolve(TestTokens.identifier("carto_token_")), token);
    FileSecretProvider p = closeLater(FileSecretProvider.of(f));
    p.fetch();

    FileWatch w = (FileWatch) closeLater(p.watch(() -> {}));

    Thread t = watchThreads().stream().filter(x -> x.getName().equals(w.threadName())).findFirst().orElseThrow();
    assertThat(t.isDaemon()).isTrue();
    assertThat(t.getName()).matches("carto-secrets-file-watch-\\d+");
    for (Thread any : Thread.getAllStackTraces().keySet()) {
      assertThat(Canaries.findIn(any.getName())).as("thread name %s", any.getName()).isEmpty();
    }
    assertThat(w.toString()).doesNotContain(token).contains("file:" + f);
  }

  @Test
  void closedWatch_stopsItsThread_andIsNotCalledAgain() throws Exception {
    Path f = writeOwnerOnly(dir.resolve("carto_token"), TestTokens.apiAccessToken());
    FileSecretProvider p = closeLater(FileSecretProvider.of(f));
    AtomicInteger firstCalls = new AtomicInteger();
    FileWatch first = (FileWatch) p.watch(firstCalls::incrementAndGet);

    first.close();
    first.close(); // idempotent
    assertThat(first.isRunning()).isFalse();
    int callsAtClose = firstCalls.get();

    // A second watch proves the next change is delivered; the closed one must not hear it.
    Semaphore second = new Semaphore(0);
    closeLater(p.watch(second::release));
    writeOwnerOnly(f, TestTokens.apiAccessToken());
    assertThat(second.tryAcquire(TIMEOUT_MS, TimeUnit.MILLISECONDS)).isTrue();

    assertThat(firstCalls.get()).isEqualTo(callsAtClose);
    assertThat(p.openWatches()).isEqualTo(1);
  }

  @Test
  void providerClose_stopsEveryWatch_andRefusesNewOnes() throws Exception {
    Path f = writeOwnerOnly(dir.resolve("carto_token"), TestTokens.apiAccessToken());
    FileSecretProvider p = FileSecretProvider.of(f);
    List<FileWatch> watches = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      watches.add((FileWatch) p.watch(() -> {}));
    }
    assertThat(watches).allMatch(FileWatch::isRunning);

    p.close();
    p.close();

    assertThat(watches).noneMatch(FileWatch::isRunning);
    assertThat(p.openWatches()).isZero();
    assertThatThrownBy(() -> p.watch(() -> {}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void manyWatchesOpenedAndClosed_leaveNoThreadBehind() throws Exception {
    Path f = writeOwnerOnly(dir.resolve("carto_token"), TestTokens.apiAccessToken());
    FileSecretProvider p = closeLater(FileSecretProvider.of(f));
    Set<Thread> before = Thread.getAllStackTraces().keySet();

    for (int i = 0; i < 25; i++) {
      SecretProvider.Watch w = p.watch(() -> {});
      if (i % 2 == 0) {
        w.close();
      }
    }
    p.close();

    List<Thread> started = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> !before.contains(t))
        .collect(Collectors.toList());
    // Our threads are joined by close(); the JDK's own watch-service threads end shortly after
    // their service is closed, so they are waited for, with a bound.
    for (Thread t : started) {
      t.join(TIMEOUT_MS);
      assertThat(t.isAlive()).as("thread %s still alive", t.getName()).isFalse();
    }
    assertThat(watchThreads()).isEmpty();
  }

  @Test
  void callbackThatThrows_isLoggedByTypeOnly_andWatchingGoesOn() throws Exception {
    Path f = writeOwnerOnly(dir.resolve("carto_token"), TestTokens.apiAccessToken());
    FileSecretProvider p = closeLater(FileSecretProvider.of(f));
    String canary = TestTokens.secret();
    Semaphore calls = new Semaphore(0);
    closeLater(p.watch(() -> {
      calls.release();
      throw new IllegalStateException("callback failed holding " + canary);
    }));

    writeOwnerOnly(f, TestTokens.apiAccessToken());
    assertThat(calls.tryAcquire(TIMEOUT_MS, TimeUnit.MILLISECONDS)).isTrue();
    calls.drainPermits();
    writeOwnerOnly(f, TestTokens.apiAccessToken());
    assertThat(calls.tryAcquire(TIMEOUT_MS, TimeUnit.MILLISECONDS)).as("still watching").isTrue();

    // The log line is written right after the callback returns: wait for it on a closed watch.
    p.close();
    assertThat(LogCapture.lines(Level.WARN, "change callback failed with java.lang.IllegalStateException"))
        .isNotEmpty();
    assertThat(Canaries.findIn(LogCapture.allText())).isEmpty();
  }

  @Test
  void watchOfAFileInAMissingDirectory_warnsAndReturnsANoOpWatch() {
    FileSecretProvider p = FileSecretProvider.of(dir.resolve("missing/carto_token"));

    SecretProvider.Watch w = p.watch(() -> {});

    assertThat(w).isSameAs(SecretProvider.Watch.NONE);
    assertThat(LogCapture.lines(Level.WARN, "cannot watch directory")).hasSize(1);
    assertThat(p.openWatches()).isZero();
  }
}
