package io.cartosecrets.testkit.canary;

import io.cartosecrets.testkit.Canaries;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The check after a module's tests: no file under its build directory, the surefire reports and
 * the tests' temporary files included, holds any canary the test JVM registered. The build runs
 * it in the {@code verify} phase, after surefire has written its reports:
 *
 * <pre>java io.cartosecrets.testkit.canary.LeftoverScan target/ target/canary-registry.hex</pre>
 *
 * Compiled classes and archives are skipped (they are built before the tests run). When the
 * module ran tests but left no registry, the harness did not run, and that is a failure too.
 */
public final class LeftoverScan {
  private static final Set<String> SKIPPED_DIRECTORIES =
      Set.of("classes", "test-classes", "generated-sources", "generated-test-sources", "maven-status", "maven-archiver");

  /** Next to the registry: what the harness found in output after the last test, at JVM exit. */
  private static final String LATE_FINDINGS = "canary-late-findings.txt";

  private LeftoverScan() {}

  /** Where the harness reports leaks found at JVM exit, or null when no registry is kept. */
  static Path lateFindingsFile() {
    String registry = System.getProperty(Canaries.REGISTRY_PROPERTY);
    return registry == null || registry.isBlank() ? null : Path.of(registry).resolveSibling(LATE_FINDINGS);
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      throw new IllegalArgumentException("usage: LeftoverScan <build directory> <canary registry>");
    }
    Path target = Path.of(args[0]);
    Path registry = Path.of(args[1]);
    Path reports = target.resolve("surefire-reports");
    if (!Files.exists(registry)) {
      if (Files.isDirectory(reports)) {
        throw new IllegalStateException(
            "tests ran in " + target + " but no canary registry was written to " + registry
                + ": the canary harness did not run");
      }
      return; // no tests ran: nothing to check
    }
    Path late = registry.resolveSibling(LATE_FINDINGS);
    if (Files.exists(late)) {
      throw new IllegalStateException("canary leak after the last test of the module (logged or printed by a"
          + " background thread, found at exit):\n" + Files.readString(late, StandardCharsets.UTF_8));
    }
    int canaries = 0;
    for (String hex : Files.readAllLines(registry, StandardCharsets.US_ASCII)) {
      if (!hex.isBlank()) {
        Canaries.register(new String(HexFormat.of().parseHex(hex.strip()), StandardCharsets.UTF_8));
        canaries++;
      }
    }
    List<String> findings = new ArrayList<>();
    int files;
    try (Stream<Path> walk = Files.walk(target)) {
      List<Path> candidates = walk.filter(p -> isScanned(target, registry, p)).toList();
      files = candidates.size();
      for (Path file : candidates) {
        // Latin-1 maps every byte to one char, so a canary is found in any text encoding's ASCII range.
        String text = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        Canaries.findIn(text).ifPresent(hit -> findings.add(target.relativize(file) + ": " + hit));
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    if (!findings.isEmpty()) {
      throw new IllegalStateException(
          "canary leak in files the tests left behind:\n  - " + String.join("\n  - ", findings));
    }
    System.out.println("[canary] " + files + " files under " + target + " hold none of the " + canaries + " canaries");
  }

  private static boolean isScanned(Path target, Path registry, Path p) {
    if (!Files.isRegularFile(p) || p.equals(registry) || p.getFileName().toString().equals(LATE_FINDINGS)) {
      return false;
    }
    Path relative = target.relativize(p);
    if (relative.getNameCount() > 1 && SKIPPED_DIRECTORIES.contains(relative.getName(0).toString())) {
      return false;
    }
    String name = p.getFileName().toString();
    return !name.endsWith(".class") && !name.endsWith(".jar");
  }
}
