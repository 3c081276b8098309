package io.cartosecrets.env;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cartosecrets.ConfigurationException;
import io.cartosecrets.Secret;
import io.cartosecrets.SecretAccessDeniedException;
import io.cartosecrets.SecretException;
import io.cartosecrets.SecretFormatException;
import io.cartosecrets.SecretNotFoundException;
import io.cartosecrets.SecretUnavailableException;
import io.cartosecrets.testkit.Canaries;
import io.cartosecrets.testkit.LogCapture;
import io.cartosecrets.testkit.TestTokens;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.Level;

class FileSecretProviderTest {
  @TempDir Path dir;

  @BeforeEach
  void clearLogs() {
    LogCapture.clear();
  }

  private Path write(String name, String content) throws IOException {
    return write(name, content.getBytes(UTF_8));
  }

  private Path write(String name, byte[] content) throws IOException {
    Path f = dir.resolve(name);
    Files.write(f, content);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("r--------"));
    return f;
  }

  private static SecretException fetchFailure(Path f) {
    try {
      FileSecretProvider.of(f).fetch();
    } catch (SecretException e) {
      return e;
    }
    throw new AssertionError("fetch succeeded");
  }

  // ---- content ----

  @Test
  void wholeFile_isTheSecret_describedAsFileAndPath() throws IOException {
    String token = TestTokens.apiAccessToken();
    Path f = write("carto_token", token);
    FileSecretProvider p = FileSecretProvider.of(f);

    Secret s = p.fetch();

    assertThat(s.reveal()).isEqualTo(token);
    assertThat(s.source()).isEqualTo("file:" + f).isEqualTo(p.description());
    assertThat(p.toString()).isEqualTo("FileSecretProvider[file:" + f + "]");
    assertThat(p.path()).isEqualTo(f);
    assertThat(p.field()).isEmpty();
  }

  @Test
  void oneTrailingNewline_isDropped() throws IOException {
    String token = TestTokens.apiAccessToken();
    assertThat(FileSecretProvider.of(write("t", token + "\n")).fetch().reveal()).isEqualTo(token);
  }

  @Test
  void oneTrailingCrLf_isDropped() throws IOException {
    String token = TestTokens.apiAccessToken();
    assertThat(FileSecretProvider.of(write("t", token + "\r\n")).fetch().reveal()).isEqualTo(token);
  }

  @Test
  void twoTrailingNewlines_keepOne_reportedAsControlCharacterAtItsPosition() throws IOException {
    String token = TestTokens.apiAccessToken();
    Path f = write("t", token + "\n\n");

    SecretException e = fetchFailure(f);

    assertThat(e).isInstanceOf(SecretFormatException.class);
    assertThat(e.getMessage())
        .startsWith("file:" + f + ": ")
        .contains("control character at position " + token.length() + " of " + (token.length() + 1));
    assertThat(Canaries.findIn(e.toString())).isEmpty();
  }

  @Test
  void loneCarriageReturn_isNotTrimmed_andReportedAsControlCharacter() throws IOException {
    String token = TestTokens.apiAccessToken();
    assertThat(fetchFailure(write("t", token + "\r")))
        .isInstanceOf(SecretFormatException.class)
        .hasMessageContaining("position " + token.length());
  }

  @Test
  void interiorAndEdgeSpaces_areKept_andEdgeSpacesWarnedOnce() throws IOException {
    String a = TestTokens.secret(8);
    String b = TestTokens.secret(8);
    Path f = write("t", " " + a + " " + b + "\n");
    FileSecretProvider p = FileSecretProvider.of(f);

    assertThat(p.fetch().reveal()).isEqualTo(" " + a + " " + b);
    p.fetch();

    assertThat(LogCapture.lines(Level.WARN, "starts or ends with a space")).hasSize(1);
    assertThat(Canaries.findIn(LogCapture.allText())).isEmpty();
  }

  @Test
  void emptyFile_isFormatError() throws IOException {
    Path f = write("t", "");
    assertThat(fetchFailure(f))
        .isInstanceOf(SecretFormatException.class)
        .hasMessage("file:" + f + ": the file is empty");
  }

  @Test
  void fileEmptiedAfterAGoodValue_isTransient_soTheCacheKeepsTheGoodValue() throws IOException {
    Path f = write("carto_token", TestTokens.apiAccessToken() + "\n");
    FileSecretProvider p = FileSecretProvider.of(f);
    Secret good = p.fetch();
    Files.write(f, new byte[0]); // an in-place rewrite, caught between truncate and write
    assertThatThrownBy(() -> p.refresh(good))
        .isInstanceOf(io.cartosecrets.SecretUnavailableException.class)
        .hasMessageContaining("being rewritten");
    String next = TestTokens.apiAccessToken();
    Files.writeString(f, next + "\n");
    assertThat(p.refresh(good).reveal()).isEqualTo(next);
  }

  @Test
  void fileHoldingOnlyANewline_isEmpty() throws IOException {
    assertThat(fetchFailure(write("t", "\n")))
        .isInstanceOf(SecretFormatException.class)
        .hasMessageEndingWith("the file is empty");
  }

  @Test
  void whitespaceOnlyFile_isFormatError() throws IOException {
    Path f = write("t", "   \t  \n");
    assertThat(fetchFailure(f))
        .isInstanceOf(SecretFormatException.class)
        .hasMessage("file:" + f + ": the file holds only whitespace (6 characters)");
  }

  @Test
  void invalidUtf8_isFormatError_withByteOffsetOnly() throws IOException {
    String token = TestTokens.apiAccessToken();
    byte[] t = token.getBytes(UTF_8);
    byte[] bytes = new byte[t.length + 2];
    System.arraycopy(t, 0, bytes, 0, 10);
    bytes[10] = (byte) 0xc3; // a lead byte followed by ASCII: malformed
    System.arraycopy(t, 10, bytes, 11, t.length - 10);
    Path f = write("t", bytes);

    assertThat(fetchFailure(f))
        .isInstanceOf(SecretFormatException.class)
        .hasMessageContaining("not UTF-8")
        .hasMessageContaining("byte offset 10 of " + bytes.length)
        .satisfies(e -> assertThat(Canaries.findIn(e.toString())).isEmpty());
  }

  @Test
  void utf8ByteOrderMark_isFormatError() throws IOException {
    byte[] token = TestTokens.apiAccessToken().getBytes(UTF_8);
    byte[] bytes = new byte[token.length + 3];
    bytes[0] = (byte) 0xef;
    bytes[1] = (byte) 0xbb;
    bytes[2] = (byte) 0xbf;
    System.arraycopy(token, 0, bytes, 3, token.length);

    assertThat(fetchFailure(write("t", bytes)))
        .isInstanceOf(SecretFormatException.class)
        .hasMessageContaining("byte order mark");
  }

  @Test
  void nonAsciiUtf8_isDecoded() throws IOException {
    String value = "p\u00e4ss-" + TestTokens.secret(8);
    assertThat(FileSecretProvider.of(write("t", value)).fetch().reveal()).isEqualTo(value);
  }

  @Test
  void fileLargerThanOneMebibyte_isFormatError() throws IOException {
    byte[] big = new byte[io.cartosecrets.spi.SecretFiles.MAX_BYTES + 1];
    Arrays.fill(big, (byte) 'a');
    assertThat(fetchFailure(write("t", big)))
        .isInstanceOf(SecretFormatException.class)
        .hasMessageContaining((io.cartosecrets.spi.SecretFiles.MAX_BYTES + 1) + " bytes");
  }

  // ---- JSON field ----

  @Test
  void field_readsThatStringFromAJsonFile() throws IOException {
    String token = TestTokens.apiAccessToken();
    Path f = write("creds.json",
        "{\"carto\": {\"api_token\": \"" + token + "\", \"other\": \"" + TestTokens.secret() + "\"}}\n");
    FileSecretProvider p = FileSecretProvider.builder().path(f).field("carto.api_token").build();

    Secret s = p.fetch();

    assertThat(s.reveal()).isEqualTo(token);
    assertThat(s.source()).isEqualTo("file:" + f + "#carto.api_token");
    assertThat(p.field()).contains("carto.api_token");
  }

  @Test
  void missingField_namesTheFieldButNotTheContent() throws IOException {
    Path f = write("creds.json", "{\"api_token\": \"" + TestTokens.apiAccessToken() + "\"}");
    FileSecretProvider p = FileSecretProvider.builder().path(f.toString()).field("token").build();

    assertThatThrownBy(p::fetch)
        .isInstanceOf(SecretFormatException.class)
        .hasMessageContaining("file:" + f)
        .hasMessageContaining("no field 'token'")
        .satisfies(e -> assertThat(((SecretFormatException) e).field()).contains("token"))
        .satisfies(e -> assertThat(Canaries.findIn(e.toString())).isEmpty());
  }

  @Test
  void fieldOfAFileThatIsNotJson_isFormatErrorWithoutContent() throws IOException {
    Path f = write("t", TestTokens.apiAccessToken());
    FileSecretProvider p = FileSecretProvider.builder().path(f).field("api_token").build();

    assertThatThrownBy(p::fetch)
        .isInstanceOf(SecretFormatException.class)
        .hasMessageContaining("not valid JSON")
        .satisfies(e -> assertThat(Canaries.findIn(e.toString())).isEmpty());
  }

  // ---- where the file is not ----

  @Test
  void missingFile_isNotFound_namingThePath() {
    Path f = dir.resolve("nope");
    assertThat(fetchFailure(f))
        .isInstanceOf(SecretNotFoundException.class)
        .hasMessage("file:" + f + ": no such file: " + f)
        .satisfies(e -> assertThat(e.retryable()).isFalse());
  }

  @Test
  void missingParentDirectory_isNotFound() {
    Path f = dir.resolve("no/such/dir/token");
    assertThat(fetchFailure(f)).isInstanceOf(SecretNotFoundException.class).hasMessageContaining(f.toString());
  }

  @Test
  void directoryGivenAsTheFile_isNotFound_suggestingAKeyInside() throws IOException {
    Path d = Files.createDirectory(dir.resolve("carto_secret"));
    assertThat(fetchFailure(d))
        .isInstanceOf(SecretNotFoundException.class)
        .hasMessageContaining(d + " is a directory, not a file")
        .hasMessageContaining(d + "/<key>");
  }

  @Test
  void pathUnderARegularFile_isNotFound_namingTheFileInTheWay() throws IOException {
    Path parent = write("plain", TestTokens.apiAccessToken());
    Path f = parent.resolve("carto_token");
    assertThat(fetchFailure(f))
        .isInstanceOf(SecretNotFoundException.class)
        .hasMessageContaining(parent + " is a file, not a directory")
        .satisfies(e -> assertThat(Canaries.findIn(e.toString())).isEmpty());
  }

  @Test
  void danglingSymbolicLink_isNotFound_sayingSo() throws IOException {
    Path link = Files.createSymbolicLink(dir.resolve("carto_token"), dir.resolve("gone"));
    assertThat(fetchFailure(link))
        .isInstanceOf(SecretNotFoundException.class)
        .hasMessageContaining("symbolic link to a file that does not exist");
  }

  @Test
  void fifo_isRefusedWithoutBlocking() throws Exception {
    Path fifo = dir.resolve("pipe");
    Process mk;
    try {
      mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
    } catch (IOException e) {
      assumeTrue(false, "mkfifo is not available");
      return;
    }
    assumeTrue(mk.waitFor(10, TimeUnit.SECONDS) && mk.exitValue() == 0, "mkfifo worked");

    assertThat(fetchFailure(fifo))
        .isInstanceOf(SecretNotFoundException.class)
        .hasMessageContaining("not a regular file");
  }

  // ---- permissions ----

  @Test
  void unreadableFile_isAccessDenied_withPathAndPermissionDenied() throws IOException {
    Path f = write("t", TestTokens.apiAccessToken());
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("---------"));
    assumeFalse(Files.isReadable(f), "this user (root?) can read a mode 000 file");

    assertThat(fetchFailure(f))
        .isInstanceOf(SecretAccessDeniedException.class)
        .hasMessageContaining("cannot read " + f + ": permission denied")
        .satisfies(e -> assertThat(e.retryable()).isFalse());
  }

  // Root reads any file, so the case above is skipped on CI; the mapping itself is checked here.
  @Test
  void accessDeniedFromTheFileSystem_isAccessDenied_evenWhereRootCanReadEverything() {
    Path f = dir.resolve("carto_token");
    SecretException e = io.cartosecrets.spi.SecretFiles.ioFailure(new AccessDeniedException(f.toString()), f, "file:" + f);

    assertThat(e)
        .isInstanceOf(SecretAccessDeniedException.class)
        .hasMessage("file:" + f + ": cannot read " + f + ": permission denied. Make it readable by"
            + " the user the application runs as (mode 0400, owned by that user).");
    assertThat(e.source()).isEqualTo("file:" + f);
    assertThat(e.retryable()).isFalse();
  }

  @Test
  void otherIoErrors_areUnavailableAndRetryable() {
    Path f = dir.resolve("carto_token");
    SecretException e = io.cartosecrets.spi.SecretFiles.ioFailure(
        new FileSystemException(f.toString(), null, "Input/output error"), f, "file:" + f);

    assertThat(e).isInstanceOf(SecretUnavailableException.class)
        .hasMessage("file:" + f + ": I/O error reading " + f + ": Input/output error");
    assertThat(e.retryable()).isTrue();
    assertThat(io.cartosecrets.spi.SecretFiles.ioFailure(new IOException("boom"), f, "file:" + f))
        .isInstanceOf(SecretUnavailableException.class)
        .hasMessageContaining("IOException");
  }

  @Test
  void groupOrOtherReadableFile_isWarnedOncePerProvider_withMode() throws IOException {
    Path f = write("shared_token", TestTokens.apiAccessToken());
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
    FileSecretProvider p = FileSecretProvider.of(f);

    Secret s = p.fetch();
    p.fetch();
    Files.setLastModifiedTime(f, FileTime.fromMillis(Files.getLastModifiedTime(f).toMillis() - 60_000));
    p.refresh(s);

    List<LogCapture.Line> warns = LogCapture.lines(Level.WARN, "file:" + f);
    assertThat(warns).hasSize(1);
    assertThat(warns.get(0).text())
        .contains("readable by its group and all other users (mode 0644)")
        .contains("0400")
        .contains("0440");
    assertThat(warns.get(0).logger()).isEqualTo(FileSecretProvider.class.getName());

    FileSecretProvider.of(f).fetch();
    assertThat(LogCapture.lines(Level.WARN, "file:" + f)).as("a second provider warns once too").hasSize(2);
    assertThat(Canaries.findIn(LogCapture.allText())).isEmpty();
  }

  @Test
  void groupOnlyAndOthersOnlyReadable_areNamedPrecisely() throws IOException {
    Path g = write("g", TestTokens.apiAccessToken());
    Files.setPosixFilePermissions(g, PosixFilePermissions.fromString("r--r-----"));
    Path o = write("o", TestTokens.apiAccessToken());
    Files.setPosixFilePermissions(o, PosixFilePermissions.fromString("rw----r--"));

    FileSecretProvider.of(g).fetch();
    FileSecretProvider.of(o).fetch();

    assertThat(LogCapture.lines(Level.WARN, "file:" + g).get(0).text())
        .contains("readable by its group (mode 0440)");
    assertThat(LogCapture.lines(Level.WARN, "file:" + o).get(0).text())
        .contains("readable by all other users (mode 0604)");
  }

  @Test
  void ownerOnlyFile_isNotWarnedAbout() throws IOException {
    Path f = write("t", TestTokens.apiAccessToken());
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));

    FileSecretProvider.of(f).fetch();

    assertThat(LogCapture.lines(Level.WARN, "file:" + f)).isEmpty();
  }

  // ---- refresh ----

  @Test
  void refresh_fileUntouched_returnsTheSameInstance() throws IOException {
    FileSecretProvider p = FileSecretProvider.of(write("t", TestTokens.apiAccessToken()));
    Secret first = p.fetch();

    assertThat(p.refresh(first)).isSameAs(first);
    assertThat(p.refresh(first)).isSameAs(first);
  }

  @Test
  void refresh_fileRewrittenWithNewToken_returnsTheNewToken() throws IOException {
    Path f = write("t", TestTokens.apiAccessToken());
    FileSecretProvider p = FileSecretProvider.of(f);
    Secret first = p.fetch();

    String next = TestTokens.apiAccessToken() + "x"; // a different size, whatever the clock says
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    Files.writeString(f, next);
    Secret second = p.refresh(first);

    assertThat(second.reveal()).isEqualTo(next);
    assertThat(p.refresh(second)).isSameAs(second);
  }

  @Test
  void refresh_fileReplacedByRenameWithSameSizeAndTime_isNoticedByItsInode() throws IOException {
    Path f = write("t", TestTokens.apiAccessToken());
    FileSecretProvider p = FileSecretProvider.of(f);
    Secret first = p.fetch();
    FileTime mtime = Files.getLastModifiedTime(f);

    String next = TestTokens.apiAccessToken();
    Path tmp = write("t.tmp", next.substring(0, first.reveal().length()));
    Files.setLastModifiedTime(tmp, mtime);
    Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

    assertThat(p.refresh(first).reveal()).isEqualTo(next.substring(0, first.reveal().length()));
  }

  @Test
  void refresh_touchedButSameContent_returnsTheSameInstanceAfterReading() throws IOException {
    Path f = write("t", TestTokens.apiAccessToken());
    FileSecretProvider p = FileSecretProvider.of(f);
    Secret first = p.fetch();

    Files.setLastModifiedTime(f, FileTime.fromMillis(Files.getLastModifiedTime(f).toMillis() + 5_000));

    assertThat(p.refresh(first)).isSameAs(first);
  }

  /**
   * The cheap path does not read: a rewrite that keeps inode, size and time stamp goes unseen by
   * refresh alone (a watch catches it; see FileWatchTest). This is what "cheap" costs.
   */
  @Test
  void refresh_metadataUnchanged_doesNotReadTheFile() throws IOException {
    String token = TestTokens.apiAccessToken();
    Path f = write("t", token);
    FileSecretProvider p = FileSecretProvider.of(f);
    Secret first = p.fetch();
    FileTime mtime = Files.getLastModifiedTime(f);

    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    Files.writeString(f, TestTokens.apiAccessToken().substring(0, token.length()));
    Files.setLastModifiedTime(f, mtime);

    assertThat(p.refresh(first)).isSameAs(first);
    assertThat(p.fetch()).isNotEqualTo(first);
  }

  @Test
  void refresh_ofASecretFromElsewhere_readsTheFile() throws IOException {
    String token = TestTokens.apiAccessToken();
    FileSecretProvider p = FileSecretProvider.of(write("t", token));
    p.fetch();
    Secret foreign = Secret.of(token, "env:CARTO_API_TOKEN");

    Secret s = p.refresh(foreign);

    assertThat(s).isNotSameAs(foreign).isEqualTo(foreign);
    assertThat(s.source()).isEqualTo(p.description());
  }

  @Test
  void refresh_fileDeleted_throwsNotFound() throws IOException {
    Path f = write("t", TestTokens.apiAccessToken());
    FileSecretProvider p = FileSecretProvider.of(f);
    Secret first = p.fetch();

    Files.delete(f);

    assertThatThrownBy(() -> p.refresh(first)).isInstanceOf(SecretNotFoundException.class);
  }

  // ---- configuration ----

  @Test
  void relativePath_isMadeAbsolute() {
    FileSecretProvider p = FileSecretProvider.of(Path.of("carto_token"));
    assertThat(p.path().isAbsolute()).isTrue();
    assertThat(p.description()).isEqualTo("file:" + Path.of("carto_token").toAbsolutePath());
  }

  @Test
  void tokenGivenAsPath_isRefusedWithoutEchoingIt() {
    String jwt = TestTokens.apiAccessToken();
    assertThatThrownBy(() -> FileSecretProvider.of(Path.of(jwt)))
        .isInstanceOf(ConfigurationException.class)
        .satisfies(e -> assertThat(Canaries.findIn(e.getMessage())).isEmpty());
    assertThatThrownBy(() -> FileSecretProvider.builder().path("/run/secrets/" + jwt))
        .isInstanceOf(ConfigurationException.class);
  }

  @Test
  void builderWithoutPath_isConfigurationError() {
    assertThatThrownBy(() -> FileSecretProvider.builder().build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("needs the path");
    assertThatThrownBy(() -> FileSecretProvider.builder().field(" "))
        .isInstanceOf(ConfigurationException.class);
  }

  @Test
  void concurrentFetchAndRefresh_whileTheFileRotates_neverSeeAMixOrAnError() throws Exception {
    KubernetesSecretVolume vol = KubernetesSecretVolume.create(
        Files.createDirectory(dir.resolve("vol")), "carto_token", TestTokens.apiAccessToken());
    FileSecretProvider p = FileSecretProvider.of(vol.file());
    Set<String> written = ConcurrentHashMap.newKeySet();
    written.add(p.fetch().reveal());
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      AtomicBoolean stop = new AtomicBoolean();
      List<Future<Integer>> readers = new ArrayList<>();
      for (int t = 0; t < 3; t++) {
        readers.add(pool.submit(() -> {
          int reads = 0;
          Secret cur = p.fetch();
          while (!stop.get()) {
            cur = p.refresh(cur);
            if (!written.contains(cur.reveal())) {
              throw new AssertionError("read a value that was never written");
            }
            reads++;
          }
          return reads;
        }));
      }
      for (int i = 0; i < 50; i++) {
        String next = TestTokens.apiAccessToken();
        written.add(next);
        vol.update(next);
      }
      stop.set(true);
      for (Future<Integer> r : readers) {
        assertThat(r.get(30, TimeUnit.SECONDS)).isPositive();
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
