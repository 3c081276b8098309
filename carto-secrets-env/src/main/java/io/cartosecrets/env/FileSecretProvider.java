package io.cartosecrets.env;

import io.cartosecrets.ConfigurationException;
import io.cartosecrets.Secret;
import io.cartosecrets.SecretAccessDeniedException;
import io.cartosecrets.SecretException;
import io.cartosecrets.SecretFormatException;
import io.cartosecrets.SecretNotFoundException;
import io.cartosecrets.SecretProvider;
import io.cartosecrets.SecretUnavailableException;
import io.cartosecrets.spi.JsonFields;
import io.cartosecrets.spi.SecretFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a secret from a file: a Docker secret ({@code /run/secrets/carto_token}), a Kubernetes
 * secret volume, a file a Vault or Conjur agent renders. Thread-safe.
 *
 * <p>The file is read as strict UTF-8 and exactly one trailing {@code \n} or {@code \r\n} is
 * dropped; everything else is kept. With a {@linkplain Builder#field(String) field}, the file is a
 * JSON object and the secret is that (dotted) field. A missing file, a directory or a dangling
 * symbolic link is a {@link SecretNotFoundException}; an unreadable file a
 * {@link SecretAccessDeniedException}; empty, whitespace-only, non-UTF-8 content or a control
 * character a {@link SecretFormatException}; other I/O errors a
 * {@link SecretUnavailableException}. Messages name the path and at most a position, never the
 * content. On POSIX file systems a file readable by its group or by other users is reported once
 * per provider, at WARN.
 *
 * <p><b>Rotation:</b> {@link #refresh(Secret)} compares the file's resolved real path, size,
 * modification time and file key (inode) with those seen at the last read and returns the current
 * secret itself, without reading, when nothing moved. {@link #watch(Runnable)} watches the file's
 * directory (and the directory its symbolic links resolve to) and reports every change, including
 * the way Kubernetes updates a mounted secret: new files in a {@code ..<timestamp>} directory, then
 * an atomic rename of a {@code ..data_tmp} symbolic link over {@code ..data}. After a watch
 * reported a change, the next refresh re-reads the file even if its metadata looks unchanged.
 *
 * <pre>{@code
 * FileSecretProvider token = FileSecretProvider.of(Path.of("/run/secrets/carto_token"));
 * FileSecretProvider field = FileSecretProvider.builder()
 *     .path("/etc/carto/credentials.json")
 *     .field("carto.api_token")
 *     .build();
 * }</pre>
 */
public final class FileSecretProvider implements SecretProvider {
  /** Kubernetes limits a secret to 1 MiB; a larger file is not a token. */

  private static final Logger LOG = LoggerFactory.getLogger(FileSecretProvider.class);
  private static final Pattern JWT_IN_PATH =
      Pattern.compile(".*eyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]+\\..*");
  // The Kubernetes atomic writer deletes the old ..<timestamp> directory right after the swap, so
  // resolving the link chain can fail once in a while for a file that does exist.
  private static final int READ_ATTEMPTS = 3;

  private final Path path;
  private final String field;
  private final String fileSource;
  private final String description;
  private final AtomicBoolean warnedPermissions = new AtomicBoolean();
  private final AtomicBoolean warnedEdgeSpaces = new AtomicBoolean();
  // Bumped by every watch before it calls onChange. A snapshot remembers the count from before
  // its read started, so a change reported during or after a read always causes a re-read, even
  // when a rewrite kept size, time stamp and inode (coarse time stamps, in-place writers).
  private final AtomicLong changeSignals = new AtomicLong();
  // The last successful read. Plain volatile: concurrent reads may overwrite each other, which
  // costs at most one extra read, because a snapshot's state is taken before its content and so
  // never claims to be newer than what it holds.
  private volatile Snapshot last;
  // Open watches, closed with the provider; concurrent set since watches remove themselves.
  private final Set<FileWatch> watches = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();

  private FileSecretProvider(Builder b) {
    this.path = b.path;
    this.field = b.field;
    this.fileSource = "file:" + b.path;
    this.description = b.field == null ? fileSource : fileSource + "#" + b.field;
  }

  /**
   * Reads the whole file at {@code path} (made absolute, symbolic links left unresolved so that a
   * Kubernetes swap is followed).
   *
   * @throws ConfigurationException if the path looks like a token value
   */
  public static FileSecretProvider of(Path path) {
    return builder().path(path).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The file, as an absolute path with its symbolic links unresolved. */
  public Path path() {
    return path;
  }

  /** The JSON field read from the file, if one was configured. */
  public Optional<String> field() {
    return Optional.ofNullable(field);
  }

  /**
   * Reads the file.
   *
   * @throws SecretNotFoundException if there is no regular file at the path
   * @throws SecretAccessDeniedException if the file may not be read
   * @throws SecretFormatException if the content is not a usable secret
   * @throws SecretUnavailableException on any other I/O error
   */
  @Override
  public Secret fetch() {
    return read().secret;
  }

  /**
   * Returns {@code current} itself when the file's real path, size, modification time and file key
   * are those of the last read, no watch has reported a change since, and {@code current} holds
   * what was read; otherwise reads the file, and still returns {@code current} if the content is
   * unchanged.
   */
  @Override
  public Secret refresh(Secret current) {
    if (current == null) {
      return fetch();
    }
    Snapshot seen = last;
    if (seen != null
        && seen.signals == changeSignals.get()
        && current.sameValueAs(seen.secret)
        && description.equals(current.source())) {
      try {
        if (seen.state.equals(state(Files.readAttributes(path, BasicFileAttributes.class)))) {
          return current;
        }
      } catch (IOException e) {
        // Fall through: the read below turns the same condition into a typed exception.
      }
    }
    Secret fresh;
    FileState before = stateNow();
    try {
      fresh = read().secret;
    } catch (SecretFormatException e) {
      // A writer that rewrites in place truncates first: a file that is empty now, or that changed
      // while it was read (what was read was a write in progress), after a good value is reported
      // as transient (the cache keeps the good value and reads again shortly), not as broken.
      if (isEmptyNow() || !java.util.Objects.equals(before, stateNow())) {
        throw new SecretUnavailableException(
            fileSource, "the file was empty or incomplete, probably while being rewritten; reading it again shortly");
      }
      throw e;
    }
    return fresh.sameValueAs(current) && description.equals(current.source()) ? current : fresh;
  }

  private FileState stateNow() {
    try {
      return state(Files.readAttributes(path, BasicFileAttributes.class));
    } catch (IOException e) {
      return null;
    }
  }

  private boolean isEmptyNow() {
    try {
      return Files.size(path) == 0;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Watches the file's directory, and the directory its symbolic links lead to, on a daemon thread
   * named {@code carto-secrets-file-watch-N}, and calls {@code onChange} after each batch of
   * events there. Where no directory can be watched (it does not exist), logs a warning and returns
   * a watch that does nothing: periodic refreshes still notice changes.
   *
   * <p>On Linux the JDK uses inotify and changes are reported within milliseconds; on macOS the
   * JDK polls, every few seconds.
   *
   * @throws IllegalStateException if the provider is closed
   */
  @Override
  public Watch watch(Runnable onChange) {
    Objects.requireNonNull(onChange, "onChange");
    if (closed.get()) {
      throw new IllegalStateException(description + ": the provider is closed");
    }
    Runnable signal = () -> {
      changeSignals.incrementAndGet();
      onChange.run();
    };
    Optional<FileWatch> started = FileWatch.start(path, fileSource, signal, watches::remove);
    if (started.isEmpty()) {
      return Watch.NONE;
    }
    FileWatch watch = started.get();
    watches.add(watch);
    if (closed.get()) {
      // close() ran between the check above and the add: it may have missed this watch.
      watch.close();
      throw new IllegalStateException(description + ": the provider is closed");
    }
    return watch;
  }

  /** Stops every watch this provider started. Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      for (FileWatch w : watches) {
        w.close();
      }
    }
  }

  @Override
  public String description() {
    return description;
  }

  @Override
  public String toString() {
    return "FileSecretProvider[" + description + "]";
  }

  /** How many watches are open; for tests. */
  int openWatches() {
    return watches.size();
  }

  private Snapshot read() {
    long signals = changeSignals.get();
    for (int attempt = 1; ; attempt++) {
      try {
        return readOnce(signals);
      } catch (NoSuchFileException | SecretNotFoundException e) {
        // A Kubernetes swap can remove the old target between two steps of a read; the link
        // then already points at the new one, so read again.
        if (attempt < READ_ATTEMPTS && Files.isSymbolicLink(path) && Files.exists(path)) {
          continue;
        }
        throw e instanceof IOException ? SecretFiles.ioFailure((IOException) e, path, fileSource) : (SecretNotFoundException) e;
      } catch (IOException e) {
        throw SecretFiles.ioFailure(e, path, fileSource);
      }
    }
  }

  private Snapshot readOnce(long signals) throws IOException {
    // The state is taken before the content, so a change between the two is seen on the next refresh.
    BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class);
    FileState state = attrs.isRegularFile() ? state(attrs) : null;
    warnIfShared();
    Snapshot snapshot = new Snapshot(state, signals, toSecret(SecretFiles.read(path, fileSource)));
    last = snapshot;
    return snapshot;
  }

  private FileState state(BasicFileAttributes attrs) throws IOException {
    return new FileState(path.toRealPath(), attrs.size(), attrs.lastModifiedTime(), attrs.fileKey());
  }

  private Secret toSecret(String text) {
    String value = field == null ? text : JsonFields.extract(text, field, fileSource);
    Secret secret = Secret.of(value, description);
    SecretText.warnOnEdgeSpaces(value, warnedEdgeSpaces, LOG, description);
    return secret;
  }

  private void warnIfShared() {
    if (warnedPermissions.get()) {
      return;
    }
    Set<PosixFilePermission> perms;
    try {
      perms = Files.getPosixFilePermissions(path);
    } catch (UnsupportedOperationException | IOException e) {
      return; // not POSIX, or vanished: the read reports the latter
    }
    boolean group = perms.contains(PosixFilePermission.GROUP_READ);
    boolean others = perms.contains(PosixFilePermission.OTHERS_READ);
    if ((group || others) && warnedPermissions.compareAndSet(false, true)) {
      LOG.warn(
          "{}: the secret file is readable by {} (mode {}). Make it readable by the application's"
              + " user only: mode 0400, or 0440 with a group only the application belongs to"
              + " (Kubernetes: defaultMode 0400 or 0440 on the secret volume).",
          fileSource,
          group && others ? "its group and all other users" : group ? "its group" : "all other users",
          octal(perms));
    }
  }

  static String octal(Set<PosixFilePermission> perms) {
    int mode = 0;
    for (PosixFilePermission p : perms) {
      mode |= 1 << (8 - p.ordinal());
    }
    return String.format("%04o", mode);
  }

  /** What a read saw of the file, compared by {@link #refresh(Secret)}. */
  record FileState(Path realPath, long size, FileTime modified, Object fileKey) {}

  private static final class Snapshot {
    final FileState state;
    final long signals;
    final Secret secret;

    Snapshot(FileState state, long signals, Secret secret) {
      this.state = state;
      this.signals = signals;
      this.secret = secret;
    }
  }

  /** Configures a {@link FileSecretProvider}. */
  public static final class Builder {
    private Path path;
    private String field;

    private Builder() {}

    /**
     * The file to read; made absolute, symbolic links left unresolved.
     *
     * @throws ConfigurationException if the path looks like a token value
     */
    public Builder path(Path path) {
      Objects.requireNonNull(path, "path");
      if (JWT_IN_PATH.matcher(path.toString()).matches()) {
        throw new ConfigurationException(
            "the secret file path given looks like it holds a token value; it is not shown. Give"
                + " the path of the file the token is kept in, and treat that token as leaked if"
                + " this configuration was committed or logged.");
      }
      this.path = path.toAbsolutePath();
      return this;
    }

    /** @see #path(Path) */
    public Builder path(String path) {
      Objects.requireNonNull(path, "path");
      try {
        return path(Path.of(path));
      } catch (InvalidPathException e) {
        throw new ConfigurationException(
            "the secret file path is not a valid path here (" + path.length()
                + " characters, not shown)");
      }
    }

    /**
     * Treats the file as a JSON object and reads this field from it; dots walk into nested
     * objects ({@code carto.api_token}).
     */
    public Builder field(String field) {
      Objects.requireNonNull(field, "field");
      if (field.isBlank()) {
        throw new ConfigurationException("the JSON field name of a secret file must not be blank");
      }
      this.field = field;
      return this;
    }

    /** @throws ConfigurationException if no path was given */
    public FileSecretProvider build() {
      if (path == null) {
        throw new ConfigurationException("a FileSecretProvider needs the path of the secret file");
      }
      return new FileSecretProvider(this);
    }
  }
}
