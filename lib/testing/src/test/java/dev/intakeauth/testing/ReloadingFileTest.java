package dev.intakeauth.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.intakeauth.AuthListener;
import dev.intakeauth.AuthResult;
import dev.intakeauth.Authenticator;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.GeneratedKey;
import dev.intakeauth.InMemoryKeyStore;
import dev.intakeauth.Privilege;
import dev.intakeauth.SecretTokens;
import dev.intakeauth.reload.ReloadingFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reloading a token file and a key file from real files, with time driven by hand. Log lines are
 * captured from the test logger's standard error.
 */
class ReloadingFileTest {

  private static final List<Privilege> WRITE = List.of(Privilege.EVENT_WRITE);

  @TempDir Path dir;

  private final ManualClock clock = new ManualClock();
  private final Reloads reloads = new Reloads();
  private final List<ReloadingFile> watchers = new ArrayList<>();
  private PrintStream originalErr;
  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

  /** Counts what the listener hears. */
  static final class Reloads implements AuthListener {
    final List<String> events = new ArrayList<>();

    @Override
    public synchronized void onReload(String source, boolean succeeded) {
      events.add(source + (succeeded ? " ok" : " refused"));
    }

    synchronized List<String> events() {
      return List.copyOf(events);
    }
  }

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

  /** The warnings logged so far about {@code file}. */
  private List<String> warningsAbout(Path file) {
    return captured.toString(StandardCharsets.UTF_8).lines()
        .filter(l -> l.contains(" WARN ") && l.contains(file.toString()))
        .toList();
  }

  private ReloadingFile watch(ReloadingFile.Builder builder) {
    ReloadingFile watcher = builder.timeSource(clock).listener(reloads).build();
    watchers.add(watcher);
    return watcher;
  }

  private static void write(Path file, String text) throws IOException {
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }

  private static boolean accepted(Authenticator auth, String token) {
    return auth.authenticate("Bearer " + token) instanceof AuthResult.Authenticated;
  }

  @Test
  void aChangeIsTakenOnTheNextDuePollAndNotBefore() throws IOException {
    Path file = dir.resolve("tokens");
    write(file, "old-token\n");
    SecretTokens tokens = SecretTokens.load(file);
    Authenticator auth = Authenticator.builder().secretTokens(tokens).build();
    ReloadingFile watcher = watch(ReloadingFile.secretTokensFile(file, tokens).period(Duration.ofSeconds(5)));

    write(file, "# rotating: both for now\nold-token\n  new-token  \n");
    clock.advance(Duration.ofMillis(4999));
    assertThat(watcher.poll()).as("not due yet").isFalse();
    assertThat(accepted(auth, "new-token")).isFalse();
    clock.advance(Duration.ofMillis(1));
    assertThat(watcher.poll()).isTrue();
    assertThat(accepted(auth, "new-token")).isTrue();
    assertThat(accepted(auth, "old-token")).isTrue();
    assertThat(tokens.size()).isEqualTo(2);

    // Same content, rewritten: nothing to apply. Then the old token goes, within the same second.
    write(file, "# rotating: both for now\nold-token\n  new-token  \n");
    clock.advance(Duration.ofSeconds(5));
    assertThat(watcher.poll()).isFalse();
    write(file, "new-token\n");
    assertThat(watcher.poll()).as("read at the last poll: the next is 5 s later").isFalse();
    assertThat(watcher.checkNow()).as("the content differs, whatever the modification time").isTrue();
    assertThat(accepted(auth, "old-token")).isFalse();
    assertThat(accepted(auth, "new-token")).isTrue();
    assertThat(reloads.events()).containsExactly("secret tokens ok", "secret tokens ok");
    assertThat(captured.toString(StandardCharsets.UTF_8)).doesNotContain("old-token").doesNotContain("new-token");
  }

  @Test
  void aBrokenFileKeepsTheLastGoodStateAndIsLoggedOnceWithoutItsContent() throws IOException {
    Path file = dir.resolve("tokens");
    write(file, "good-token\n");
    SecretTokens tokens = SecretTokens.load(file);
    Authenticator auth = Authenticator.builder().secretTokens(tokens).build();
    ReloadingFile watcher = watch(ReloadingFile.secretTokensFile(file, tokens));

    write(file, "good-token\nnew secret-with-a-space\n");
    for (int i = 0; i < 5; i++) {
      clock.advance(Duration.ofSeconds(5));
      assertThat(watcher.poll()).isFalse();
    }
    assertThat(accepted(auth, "good-token")).as("the last good set").isTrue();
    List<String> warnings = warningsAbout(file);
    assertThat(warnings).hasSize(1);
    assertThat(warnings.get(0)).contains("Keeping the last good secret tokens").contains(file + ":2:").contains("white space")
        .doesNotContain("secret-with-a-space").doesNotContain("good-token");
    assertThat(reloads.events()).containsExactly("secret tokens refused");

    // Another broken content is a new problem, logged once too; then a good file recovers.
    write(file, "# every token removed\n");
    clock.advance(Duration.ofSeconds(5));
    watcher.poll();
    watcher.poll();
    clock.advance(Duration.ofSeconds(5));
    watcher.poll();
    assertThat(warningsAbout(file)).hasSize(2).last().asString().contains("no token");
    assertThat(accepted(auth, "good-token")).as("an empty set neither opens nor closes the door").isTrue();
    write(file, "fixed-token\n");
    clock.advance(Duration.ofSeconds(5));
    assertThat(watcher.poll()).isTrue();
    assertThat(accepted(auth, "fixed-token")).isTrue();
    assertThat(accepted(auth, "good-token")).isFalse();
    assertThat(reloads.events()).containsExactly("secret tokens refused", "secret tokens refused", "secret tokens ok");
  }

  @Test
  void statusSaysWhenContentWasLastAppliedAndWhetherTheFileIsRefusedWithoutQuotingIt() throws IOException {
    Path file = dir.resolve("tokens");
    write(file, "first-token\n");
    SecretTokens tokens = SecretTokens.load(file);
    java.time.Instant loaded = clock.instant();
    ReloadingFile watcher = watch(ReloadingFile.secretTokensFile(file, tokens));
    assertThat(watcher.status()).isEqualTo(new ReloadingFile.Status("secret tokens", file, loaded, null, null));
    assertThat(watcher.status().failing()).isFalse();

    write(file, "first-token\nsecond secret-with-a-space\n");
    clock.advance(Duration.ofSeconds(5));
    java.time.Instant refusedAt = clock.instant();
    watcher.poll();
    clock.advance(Duration.ofSeconds(5));
    watcher.poll();
    ReloadingFile.Status refused = watcher.status();
    assertThat(refused.failing()).isTrue();
    assertThat(refused.lastSuccess()).as("the first load is still in effect").isEqualTo(loaded);
    assertThat(refused.lastFailure()).as("when the change was first refused").isEqualTo(refusedAt);
    assertThat(refused.problem()).contains(file + ":2:").contains("white space").doesNotContain("secret-with-a-space").doesNotContain("first-token");
    assertThat(refused.toString()).doesNotContain("secret-with-a-space").doesNotContain("first-token");

    write(file, "second-token\n");
    clock.advance(Duration.ofSeconds(5));
    assertThat(watcher.poll()).isTrue();
    assertThat(watcher.status()).isEqualTo(new ReloadingFile.Status("secret tokens", file, clock.instant(), refusedAt, null));

    // A missing file is a problem too, and putting the same good content back ends it.
    Files.delete(file);
    clock.advance(Duration.ofSeconds(5));
    watcher.poll();
    assertThat(watcher.status().problem()).isEqualTo(file + " is missing");
    write(file, "second-token\n");
    clock.advance(Duration.ofSeconds(5));
    watcher.poll();
    assertThat(watcher.status().failing()).isFalse();
    assertThat(watcher.status().lastSuccess()).isEqualTo(clock.instant());
  }

  @Test
  void aRemovedKeyIsRefusedAtOnceNotWhenItsCachedAnswerExpires() throws IOException {
    GeneratedKey kept = GeneratedKey.generate("kept", WRITE, null);
    GeneratedKey removed = GeneratedKey.generate("removed", WRITE, null);
    GeneratedKey changed = GeneratedKey.generate("changed", WRITE, null);
    GeneratedKey added = GeneratedKey.generate("added", WRITE, null);
    Path file = dir.resolve("keys");
    write(file, kept.keyFileLine() + "\n" + removed.keyFileLine() + "\n" + changed.keyFileLine() + "\n");
    InMemoryKeyStore store = InMemoryKeyStore.load(file, clock);
    CachingPrivilegeChecker checker = CachingPrivilegeChecker.builder(store).timeSource(clock).executor(Runnable::run)
        .expireAfterWrite(Duration.ofMinutes(10)).build();
    Authenticator auth = Authenticator.builder().apiKeys(checker).build();
    ReloadingFile watcher = watch(ReloadingFile.keysFile(file, store, checker));
    for (GeneratedKey key : List.of(kept, removed, changed)) {
      assertThat(auth.authenticate(key.credential().authorizationValue())).isInstanceOf(AuthResult.Authenticated.class);
    }
    assertThat(auth.authenticate(added.credential().authorizationValue())).isInstanceOf(AuthResult.Unauthorized.class);
    assertThat(checker.cachedKeyIds()).contains("kept", "removed", "changed");

    GeneratedKey changedAgain = GeneratedKey.generate("changed", WRITE, null);
    write(file, kept.keyFileLine() + "\n" + changedAgain.keyFileLine() + "\n" + added.keyFileLine() + "\n");
    clock.advance(Duration.ofSeconds(5));
    assertThat(watcher.poll()).isTrue();

    assertThat(auth.authenticate(removed.credential().authorizationValue())).as("removed: refused within the cache lifetime")
        .isInstanceOf(AuthResult.Unauthorized.class);
    assertThat(auth.authenticate(changed.credential().authorizationValue())).as("the old secret of a changed key")
        .isInstanceOf(AuthResult.Unauthorized.class);
    assertThat(auth.authenticate(changedAgain.credential().authorizationValue())).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(auth.authenticate(added.credential().authorizationValue())).as("an earlier refusal is not kept")
        .isInstanceOf(AuthResult.Authenticated.class);
    assertThat(auth.authenticate(kept.credential().authorizationValue())).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(store.keyIds()).containsExactlyInAnyOrder("kept", "changed", "added");
    String logs = captured.toString(StandardCharsets.UTF_8);
    assertThat(logs).contains("3 keys (1 added, 1 changed, 1 removed)");
    for (GeneratedKey key : List.of(kept, removed, changed, changedAgain, added)) {
      assertThat(logs).doesNotContain(key.secret());
    }
  }

  @Test
  void aKeyFileWithASecretWhereItsHashBelongsIsRefusedInOneLineThatDoesNotQuoteIt() throws IOException {
    GeneratedKey key = GeneratedKey.generate("agent", WRITE, null);
    GeneratedKey pasted = GeneratedKey.generate("pasted", WRITE, null);
    Path file = dir.resolve("keys");
    write(file, key.keyFileLine() + "\n");
    InMemoryKeyStore store = InMemoryKeyStore.load(file, clock);
    CachingPrivilegeChecker checker = CachingPrivilegeChecker.builder(store).timeSource(clock).executor(Runnable::run).build();
    Authenticator auth = Authenticator.builder().apiKeys(checker).build();
    ReloadingFile watcher = watch(ReloadingFile.keysFile(file, store, checker));
    write(file, key.keyFileLine() + "\n# pasted by mistake\npasted " + pasted.secret() + " event:write\n");
    for (int i = 0; i < 4; i++) {
      clock.advance(Duration.ofSeconds(5));
      assertThat(watcher.poll()).isFalse();
    }
    List<String> warnings = warningsAbout(file);
    assertThat(warnings).hasSize(1);
    assertThat(warnings.get(0)).contains("Keeping the last good keys file").contains(file + ":3: the second field must be the secret's hash")
        .doesNotContain(pasted.secret());
    assertThat(captured.toString(StandardCharsets.UTF_8)).doesNotContain(pasted.secret()).doesNotContain(key.secret());
    assertThat(auth.authenticate(key.credential().authorizationValue())).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(reloads.events()).containsExactly("keys file refused");
  }

  @Test
  void theKeySetSwapReportsWhatChanged() throws IOException {
    GeneratedKey a = GeneratedKey.generate("a", WRITE, null);
    GeneratedKey b = GeneratedKey.generate("b", WRITE, null);
    InMemoryKeyStore store = InMemoryKeyStore.builder().add(a).add(b).build();
    GeneratedKey bReadOnly = GeneratedKey.generate("b", List.of(Privilege.of("config_agent:read")), null);
    GeneratedKey c = GeneratedKey.generate("c", WRITE, null);
    InMemoryKeyStore.Changes changes = store.replaceWith(bReadOnly.keyFileLine() + "\n" + c.keyFileLine() + "\n", "keys");
    assertThat(changes.added()).containsExactly("c");
    assertThat(changes.changed()).containsExactly("b");
    assertThat(changes.removed()).containsExactly("a");
    assertThat(changes.affected()).containsExactlyInAnyOrder("a", "b", "c");
    assertThat(store.replaceWith(bReadOnly.keyFileLine() + "\n" + c.keyFileLine() + "\n", "keys").isEmpty()).isTrue();
    assertThatThrownBy(() -> store.replaceWith("d " + b.secret() + " event:write\n", "keys"))
        .hasMessageStartingWith("keys:1: ").hasMessageNotContaining(b.secret());
    assertThat(store.keyIds()).as("a refused text changes nothing").containsExactlyInAnyOrder("b", "c");
  }

  @Test
  void aDeletedFileKeepsTheKeysAndItsReturnIsTaken() throws IOException {
    GeneratedKey key = GeneratedKey.generate("k", WRITE, null);
    Path file = dir.resolve("keys");
    write(file, key.keyFileLine() + "\n");
    InMemoryKeyStore store = InMemoryKeyStore.load(file, clock);
    ReloadingFile watcher = watch(ReloadingFile.keysFile(file, store, null));
    Files.delete(file);
    for (int i = 0; i < 3; i++) {
      clock.advance(Duration.ofSeconds(5));
      assertThat(watcher.poll()).isFalse();
    }
    assertThat(store.keyIds()).containsExactly("k");
    assertThat(warningsAbout(file)).hasSize(1).first().asString().contains("is missing");
    write(file, key.keyFileLine() + "\n");
    clock.advance(Duration.ofSeconds(5));
    assertThat(watcher.poll()).isTrue();
    assertThat(store.keyIds()).containsExactly("k");
    assertThat(reloads.events()).containsExactly("keys file refused", "keys file ok");
  }

  /** As Kubernetes updates a mounted Secret: the file is a link into {@code ..data}, a link swapped by a rename. */
  @Test
  void aSymbolicLinkSwapIsSeen() throws IOException {
    Path v1 = Files.createDirectories(dir.resolve("..2030_01_01_v1"));
    Path v2 = Files.createDirectories(dir.resolve("..2030_01_01_v2"));
    write(v1.resolve("tokens"), "first\n");
    write(v2.resolve("tokens"), "second\n");
    Path data = dir.resolve("..data");
    Files.createSymbolicLink(data, v1.getFileName());
    Path file = dir.resolve("tokens");
    Files.createSymbolicLink(file, Path.of("..data", "tokens"));
    SecretTokens tokens = SecretTokens.load(file);
    Authenticator auth = Authenticator.builder().secretTokens(tokens).build();
    ReloadingFile watcher = watch(ReloadingFile.secretTokensFile(file, tokens));
    assertThat(accepted(auth, "first")).isTrue();

    Path next = dir.resolve("..data_tmp");
    Files.createSymbolicLink(next, v2.getFileName());
    Files.move(next, data, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    clock.advance(Duration.ofSeconds(5));
    assertThat(watcher.poll()).isTrue();
    assertThat(accepted(auth, "second")).isTrue();
    assertThat(accepted(auth, "first")).isFalse();
  }

  @Test
  void aHugeFileIsRefusedWithoutBeingReadWhole() throws IOException {
    Path file = dir.resolve("tokens");
    write(file, "token\n");
    SecretTokens tokens = SecretTokens.load(file);
    ReloadingFile watcher = watch(ReloadingFile.secretTokensFile(file, tokens));
    byte[] huge = new byte[(1 << 20) + 1];
    java.util.Arrays.fill(huge, (byte) 'a');
    Files.write(file, huge);
    clock.advance(Duration.ofSeconds(5));
    assertThat(watcher.poll()).isFalse();
    clock.advance(Duration.ofSeconds(5));
    assertThat(watcher.poll()).isFalse();
    assertThat(warningsAbout(file)).hasSize(1).first().asString().contains("larger than 1048576 bytes");
    assertThat(tokens.size()).isEqualTo(1);
    assertThatThrownBy(() -> SecretTokens.load(file)).hasMessageContaining("larger than 1048576 bytes");
  }

  @Test
  void binaryGarbageIsRefusedByLine() throws IOException {
    Path file = dir.resolve("keys");
    GeneratedKey key = GeneratedKey.generate("k", WRITE, null);
    write(file, key.keyFileLine() + "\n");
    InMemoryKeyStore store = InMemoryKeyStore.load(file, clock);
    ReloadingFile watcher = watch(ReloadingFile.keysFile(file, store, null));
    byte[] garbage = new byte[4096];
    new Random(14).nextBytes(garbage);
    byte[] withLines = ("# header\n" + key.keyFileLine() + "\n").getBytes(StandardCharsets.UTF_8);
    byte[] content = new byte[withLines.length + garbage.length];
    System.arraycopy(withLines, 0, content, 0, withLines.length);
    System.arraycopy(garbage, 0, content, withLines.length, garbage.length);
    content[withLines.length] = (byte) 0xff;
    Files.write(file, content);
    clock.advance(Duration.ofSeconds(5));
    assertThat(watcher.poll()).isFalse();
    assertThat(warningsAbout(file)).hasSize(1).first().asString().contains(file + ":3: not UTF-8 text");
    assertThat(store.keyIds()).containsExactly("k");
  }

  @Test
  void controlCharactersAndOverlongTokensAreRefusedWithTheReason() throws IOException {
    Path file = dir.resolve("tokens");
    write(file, "token\n");
    SecretTokens tokens = SecretTokens.load(file);
    ReloadingFile watcher = watch(ReloadingFile.secretTokensFile(file, tokens, 64));
    write(file, "token\nabc\u001b[2Jdef\n");
    clock.advance(Duration.ofSeconds(5));
    watcher.poll();
    write(file, "token\n" + "x".repeat(58) + "\n");
    clock.advance(Duration.ofSeconds(5));
    watcher.poll();
    List<String> warnings = warningsAbout(file);
    assertThat(warnings).hasSize(2);
    assertThat(warnings.get(0)).contains(file + ":2: the token holds a control or format character at column 4").doesNotContain("abc");
    assertThat(warnings.get(1)).contains(file + ":2: the token is 58 characters long").contains("could never match")
        .doesNotContain("xxxx");
    assertThat(tokens.size()).isEqualTo(1);
  }

  @Test
  void aBrokenFileAtStartIsAnErrorThatNamesIt() throws IOException {
    Path file = dir.resolve("keys");
    write(file, "agent sha256:not-a-hash event:write\n");
    InMemoryKeyStore store = InMemoryKeyStore.builder().build();
    assertThatThrownBy(() -> ReloadingFile.keysFile(file, store, null).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(file + ":1: the second field must be");
    Path missing = dir.resolve("absent");
    assertThatThrownBy(() -> ReloadingFile.keysFile(missing, store, null).build())
        .isInstanceOf(UncheckedIOException.class).hasMessage("keys file: is missing");
  }

  /** Requests that authenticate while the keys and tokens are reloaded see the old state or the new one. */
  @Test
  void requestsDuringReloadsNeverSeeAHalfState() throws Exception {
    GeneratedKey stable = GeneratedKey.generate("stable", WRITE, null);
    GeneratedKey sometimes = GeneratedKey.generate("sometimes", WRITE, null);
    String one = stable.keyFileLine() + "\n";
    String two = stable.keyFileLine() + "\n" + sometimes.keyFileLine() + "\n";
    Path keys = dir.resolve("keys");
    Path tokenFile = dir.resolve("tokens");
    write(keys, one);
    write(tokenFile, "common\nold\n");
    InMemoryKeyStore store = InMemoryKeyStore.load(keys, clock);
    CachingPrivilegeChecker checker = CachingPrivilegeChecker.builder(store).timeSource(clock).newKeysPerMinute(1_000_000).build();
    SecretTokens tokens = SecretTokens.load(tokenFile);
    Authenticator auth = Authenticator.builder().secretTokens(tokens).apiKeys(checker).build();
    ReloadingFile keysWatcher = watch(ReloadingFile.keysFile(keys, store, checker));
    ReloadingFile tokensWatcher = watch(ReloadingFile.secretTokensFile(tokenFile, tokens));

    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<String> failure = new AtomicReference<>();
    CountDownLatch started = new CountDownLatch(2);
    List<Thread> readers = new ArrayList<>();
    for (int r = 0; r < 2; r++) {
      Thread t = new Thread(() -> {
        started.countDown();
        while (!stop.get()) {
          AuthResult key = auth.authenticate(stable.credential().authorizationValue());
          AuthResult other = auth.authenticate(sometimes.credential().authorizationValue());
          boolean token = accepted(auth, "common");
          if (!(key instanceof AuthResult.Authenticated) || !token
              || !(other instanceof AuthResult.Authenticated || other instanceof AuthResult.Unauthorized)) {
            failure.compareAndSet(null, key + " " + other + " " + token);
          }
        }
      });
      readers.add(t);
      t.start();
    }
    started.await();
    for (int i = 0; i < 200; i++) {
      write(keys, i % 2 == 0 ? two : one);
      write(tokenFile, i % 2 == 0 ? "new\ncommon\n" : "common\nold\n");
      keysWatcher.checkNow();
      tokensWatcher.checkNow();
    }
    stop.set(true);
    for (Thread t : readers) {
      t.join();
    }
    assertThat(failure.get()).isNull();
    assertThat(store.keyIds()).containsExactly("stable");
  }

  @Test
  void startPollsOnTheGivenExecutorAndCloseStopsIt() throws Exception {
    Path file = dir.resolve("tokens");
    write(file, "first\n");
    SecretTokens tokens = SecretTokens.load(file);
    List<Runnable> scheduled = new ArrayList<>();
    List<ScheduledFuture<?>> futures = new ArrayList<>();
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1) {
      @Override
      public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
        assertThat(unit.toNanos(delay)).isEqualTo(Duration.ofSeconds(2).toNanos());
        scheduled.add(command);
        ScheduledFuture<?> future = super.scheduleWithFixedDelay(() -> {}, 1, 1, TimeUnit.DAYS);
        futures.add(future);
        return future;
      }
    };
    try {
      ReloadingFile watcher = watch(ReloadingFile.secretTokensFile(file, tokens).period(Duration.ofSeconds(2)));
      watcher.start(executor);
      assertThatThrownBy(() -> watcher.start(executor)).isInstanceOf(IllegalStateException.class);
      write(file, "first\nsecond\n");
      clock.advance(Duration.ofSeconds(2));
      scheduled.get(0).run();
      assertThat(tokens.size()).isEqualTo(2);
      watcher.close();
      assertThat(futures.get(0).isCancelled()).isTrue();
      assertThat(executor.isShutdown()).as("a given executor is the caller's").isFalse();
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  void aThrowingListenerNeverStopsAReload() throws IOException {
    Path file = dir.resolve("tokens");
    write(file, "first\n");
    SecretTokens tokens = SecretTokens.load(file);
    ReloadingFile watcher = ReloadingFile.secretTokensFile(file, tokens).timeSource(clock).listener(new AuthListener() {
      @Override
      public void onReload(String source, boolean succeeded) {
        throw new IllegalStateException("listener bug");
      }
    }).build();
    watchers.add(watcher);
    write(file, "second\n");
    assertThat(watcher.checkNow()).isTrue();
    assertThat(tokens.size()).isEqualTo(1);
    assertThat(captured.toString(StandardCharsets.UTF_8)).contains("threw in onReload");
  }
}
