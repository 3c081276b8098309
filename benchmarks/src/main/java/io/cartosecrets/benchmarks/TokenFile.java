package io.cartosecrets.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A secret file in a private temporary directory, rewritten the way secret agents do it: the new
 * content goes to a temporary file that is then renamed over the old one, so a reader never sees a
 * half-written token. Mode 0600, as a mounted secret should be.
 */
final class TokenFile implements AutoCloseable {
  private final Path dir;
  private final Path file;

  private TokenFile(Path dir) {
    this.dir = dir;
    this.file = dir.resolve("carto_token");
  }

  static TokenFile create(String token) {
    try {
      TokenFile f = new TokenFile(Files.createTempDirectory("carto-bench-"));
      f.write(token);
      return f;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Path path() {
    return file;
  }

  /** {@code file:/...}: the reference an application would configure. */
  String reference() {
    return "file:" + file;
  }

  void write(String token) {
    try {
      Path tmp = Files.createTempFile(dir, ".carto_token", ".tmp",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, token + "\n");
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // A temporary directory left behind is harmless.
    }
  }
}
