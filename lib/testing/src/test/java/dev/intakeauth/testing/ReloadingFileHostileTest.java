package dev.intakeauth.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.ApplicationPrivileges;
import dev.intakeauth.AuthResult;
import dev.intakeauth.Authenticator;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.CheckResult;
import dev.intakeauth.GeneratedKey;
import dev.intakeauth.InMemoryKeyStore;
import dev.intakeauth.Privilege;
import dev.intakeauth.SecretTokens;
import dev.intakeauth.reload.ReloadingFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a hostile or broken file system does to a watched file: a FIFO, a device, a directory or a
 * symbolic-link loop at the path must neither hang the poller nor be read without bound; and a key
 * file change that touches many ids must not cost more than one scan of the cache.
 */
class ReloadingFileHostileTest {

  private static final Duration QUICKLY = Duration.ofSeconds(5);
  private static final List<Privilege> WRITE = List.of(Privilege.EVENT_WRITE);

  @TempDir Path dir;

  private final ManualClock clock = new ManualClock();
  private final List<ReloadingFile> watchers = new ArrayList<>();
  private PrintStream originalErr;
  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

  @BeforeEach
  void captureLogs() {
    originalErr = System.err;
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restore() {
    System.setErr(originalErr);
    watchers.forEach(ReloadingFile::close);
  }

  /** The token file {@link #watchTokens} watches, and the set it reloads. */
  private Path file;
  private SecretTokens tokens;

  /** Writes a token file with one token, loads it, and watches it. */
  private ReloadingFile watchTokens(String token) throws IOException {
    file = dir.resolve("tokens");
    Files.writeString(file, token + "\n");
    tokens = SecretTokens.load(file);
    ReloadingFile watcher = ReloadingFile.secretTokensFile(file, tokens).timeSource(clock).build();
    watchers.add(watcher);
    return watcher;
  }

  private List<String> warningsAbout(Path file) {
    return captured.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains(" WARN ") && l.contains(file.toString())).toList();
  }

  private static void mkfifo(Path path) throws IOException, InterruptedException {
    Process p;
    try {
      p = new ProcessBuilder("mkfifo", path.toString()).redirectErrorStream(true).start();
    } catch (IOException e) {
      p = null;
    }
    assumeTrue(p != null && p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "mkfifo is available");
  }

  /** A FIFO blocks its reader until a writer comes: the poll (and close, which waits for it) would hang. */
  @Test
  void aFifoAtThePathIsRefusedWithoutBlockingThePoller() throws Exception {
    ReloadingFile watcher = watchTokens("token");
    Files.delete(file);
    mkfifo(file);

    boolean applied;
    try {
      applied = assertTimeoutPreemptively(QUICKLY, watcher::checkNow, "a poll blocked on a FIFO");
    } catch (AssertionError e) {
      // Frees the blocked reader, so that close() (which waits for the poll) can end this test.
      Files.newOutputStream(file).close();
      throw e;
    }
    assertThat(applied).isFalse();
    assertThat(tokens.size()).isEqualTo(1);
    assertThat(warningsAbout(file)).hasSize(1).first().asString().contains("not a regular file");
    assertTimeoutPreemptively(QUICKLY, () -> assertThatThrownBy(() -> SecretTokens.load(file)).hasMessageContaining("not a regular file"));
  }

  @Test
  void aKeyStoreIsNotLoadedFromAFifoOrADevice() throws Exception {
    Path fifo = dir.resolve("keys");
    mkfifo(fifo);
    assertTimeoutPreemptively(QUICKLY, () -> assertThatThrownBy(() -> InMemoryKeyStore.load(fifo)).hasMessageContaining("not a regular file"));
    Path zero = Paths.get("/dev/zero");
    assumeTrue(Files.exists(zero), "/dev/zero exists");
    assertTimeoutPreemptively(QUICKLY, () -> assertThatThrownBy(() -> InMemoryKeyStore.load(zero)).hasMessageContaining("not a regular file"));
  }

  @Test
  void aLinkToAnEndlessDeviceIsRefusedAtOnce() throws Exception {
    Path zero = Paths.get("/dev/zero");
    assumeTrue(Files.exists(zero), "/dev/zero exists");
    ReloadingFile watcher = watchTokens("token");
    Files.delete(file);
    Files.createSymbolicLink(file, zero);

    assertThat(assertTimeoutPreemptively(QUICKLY, watcher::checkNow)).isFalse();
    assertThat(warningsAbout(file)).hasSize(1).first().asString().contains("not a regular file");
    assertThat(tokens.size()).isEqualTo(1);
  }

  @Test
  void aDirectoryOrALinkLoopAtThePathIsRefusedAndEachProblemIsLoggedOnce() throws Exception {
    ReloadingFile watcher = watchTokens("token");

    Files.delete(file);
    Files.createDirectory(file);
    assertThat(assertTimeoutPreemptively(QUICKLY, watcher::checkNow)).isFalse();
    assertThat(assertTimeoutPreemptively(QUICKLY, watcher::checkNow)).isFalse();
    assertThat(warningsAbout(file)).hasSize(1).first().asString().contains("not a regular file");

    Files.delete(file);
    Path other = dir.resolve("other");
    Files.createSymbolicLink(other, file);
    Files.createSymbolicLink(file, other);
    assertThat(assertTimeoutPreemptively(QUICKLY, watcher::checkNow)).isFalse();
    assertThat(warningsAbout(file)).hasSize(2);
    assertThat(tokens.size()).isEqualTo(1);
  }

  /**
   * The watcher checks token lengths against its own limit (1024 by default); an authenticator with
   * a shorter one could never match a longer token. Taking such a file would drop the old tokens and
   * lock every agent out.
   */
  @Test
  void aTokenTooLongForTheAuthenticatorUsingTheSetIsRefusedNotALockout() throws Exception {
    ReloadingFile watcher = watchTokens("old-token");
    Authenticator auth = Authenticator.builder().secretTokens(tokens).maxCredentialLength(64).build();
    String tooLong = "n".repeat(60);
    Files.writeString(file, tooLong + "\n");

    assertThat(watcher.checkNow()).isFalse();
    assertThat(auth.authenticate("Bearer old-token")).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(warningsAbout(file)).hasSize(1).first().asString().contains("could never match").doesNotContain(tooLong);
    Files.writeString(file, "n".repeat(57) + "\n");
    assertThat(watcher.checkNow()).isTrue();
    assertThat(auth.authenticate("Bearer " + "n".repeat(57))).isInstanceOf(AuthResult.Authenticated.class);
  }

  /** Too large, then not a regular file: a different problem, so it is logged, not taken for the last one. */
  @Test
  void aNewProblemAfterAnOversizedFileIsLoggedToo() throws Exception {
    ReloadingFile watcher = watchTokens("token");
    Files.write(file, new byte[(1 << 20) + 1]);
    assertThat(watcher.checkNow()).isFalse();
    Files.delete(file);
    Files.createDirectory(file);
    assertThat(watcher.checkNow()).isFalse();
    List<String> warnings = warningsAbout(file);
    assertThat(warnings).hasSize(2);
    assertThat(warnings.get(0)).contains("larger than");
    assertThat(warnings.get(1)).contains("not a regular file");
  }

  /**
   * A key file change that touches more ids than the checker remembers invalidations of (64) must
   * not make it throw away the answer of a lookup under way for a key the change did not touch: that
   * key would ask the backend again, and spend the new-key budget again.
   */
  @Test
  void aKeyFileChangeOfManyIdsKeepsTheAnswerOfAnUntouchedKeyUnderWay() throws Exception {
    GeneratedKey untouched = GeneratedKey.generate("untouched", WRITE, null);
    Path file = dir.resolve("keys");
    Files.writeString(file, untouched.keyFileLine() + "\n");
    InMemoryKeyStore store = InMemoryKeyStore.load(file, clock);
    FaultInjectingChecker backend = FaultInjectingChecker.wrap(store);
    CachingPrivilegeChecker checker = CachingPrivilegeChecker.builder(backend).timeSource(clock).executor(Runnable::run).build();
    ReloadingFile watcher = ReloadingFile.keysFile(file, store, checker).timeSource(clock).build();
    watchers.add(watcher);

    backend.hang();
    CompletableFuture<CheckResult> underWay = checker.checkAsync(untouched.credential(), ApplicationPrivileges.APM);
    StringBuilder text = new StringBuilder(untouched.keyFileLine()).append('\n');
    for (int i = 0; i < 65; i++) {
      text.append(GeneratedKey.generate("added-" + i, WRITE, null).keyFileLine()).append('\n');
    }
    Files.writeString(file, text);
    assertThat(watcher.checkNow()).isTrue();
    assertThat(backend.release()).isEqualTo(1);
    assertThat(underWay.join()).isInstanceOf(CheckResult.Granted.class);

    assertThat(checker.cachedKeyIds()).containsExactly("untouched");
    ApiKeyCredential credential = untouched.credential();
    assertThat(checker.check(credential, ApplicationPrivileges.APM)).isInstanceOf(CheckResult.Granted.class);
    assertThat(backend.calls()).as("answered from the cache").isEqualTo(1);
  }
}
