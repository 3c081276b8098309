package io.cartosecrets.env;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A secret volume laid out and updated the way the kubelet's atomic writer does it
 * (kubernetes/pkg/volume/util/atomic_writer.go):
 *
 * <pre>
 * dir/..2026_06_01_12_00_00.000000001/carto_token   the data, one directory per generation
 * dir/..data -> ..2026_06_01_12_00_00.000000001      the current generation
 * dir/carto_token -> ..data/carto_token             what the application opens
 * </pre>
 *
 * An update writes a new generation directory, points a {@code ..data_tmp} link at it, renames that
 * link over {@code ..data} in one atomic step, and deletes the old generation.
 */
final class KubernetesSecretVolume {
  private final Path dir;
  private final String key;
  private int generation;
  private Path current;

  private KubernetesSecretVolume(Path dir, String key) {
    this.dir = dir;
    this.key = key;
  }

  static KubernetesSecretVolume create(Path dir, String key, String content) {
    KubernetesSecretVolume v = new KubernetesSecretVolume(dir, key);
    try {
      v.current = v.writeGeneration(content);
      Files.createSymbolicLink(dir.resolve("..data"), v.current.getFileName());
      Files.createSymbolicLink(dir.resolve(key), Path.of("..data", key));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return v;
  }

  /** What the application is configured with: the user-visible link. */
  Path file() {
    return dir.resolve(key);
  }

  Path dir() {
    return dir;
  }

  /** A complete update: stage, swap, delete the old generation. */
  void update(String content) {
    stage(content).swap();
  }

  /** Writes a new generation and its {@code ..data_tmp} link, without swapping yet. */
  Staged stage(String content) {
    try {
      Path next = writeGeneration(content);
      Path tmp = dir.resolve("..data_tmp");
      Files.createSymbolicLink(tmp, next.getFileName());
      return new Staged(next, tmp);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  final class Staged {
    private final Path next;
    private final Path tmp;

    private Staged(Path next, Path tmp) {
      this.next = next;
      this.tmp = tmp;
    }

    /** Renames {@code ..data_tmp} over {@code ..data}, then deletes the old generation. */
    void swap() {
      try {
        Files.move(tmp, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
        deleteTree(current);
        current = next;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private Path writeGeneration(String content) throws IOException {
    generation++;
    Path g = dir.resolve(String.format("..2026_06_01_12_00_00.%09d", generation));
    Files.createDirectory(g);
    Files.write(g.resolve(key), content.getBytes(StandardCharsets.UTF_8));
    return g;
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }
}
