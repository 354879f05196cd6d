package dev.intakeauth.reload;

import dev.intakeauth.AuthListener;
import dev.intakeauth.internal.ListenerGuard;
import dev.intakeauth.AuthorizationHeader;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.InMemoryKeyStore;
import dev.intakeauth.SecretTokens;
import dev.intakeauth.TimeSource;
import dev.intakeauth.internal.BoundedTextFile;
import dev.intakeauth.internal.Require;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one configuration file and applies its content whenever it changes, without a restart: a
 * key file into an {@link InMemoryKeyStore}, a token file into {@link SecretTokens}, or anything a
 * {@link Loader} applies.
 *
 * <p>The file is polled every period (default 5 s). A change is seen by the SHA-256 of the content,
 * not by the modification time, so an edit within the same second and a swap of a symbolic link (as
 * Kubernetes updates a mounted ConfigMap or Secret) are both seen; the path is resolved again on each
 * poll. New content is parsed whole and applied atomically by the loader.
 *
 * <p>A file that does not parse, is missing or unreadable, is larger than 1 MiB or is not UTF-8 keeps
 * the last good state: one {@code WARN} line names the file and the problem (the line number and what
 * was wrong) and never quotes the content; the same broken content (or the same problem reading it)
 * is not logged again on later polls. Each change taken, or refused, is reported to the listener's
 * {@link AuthListener#onReload(String, boolean)}. A writer should still replace the file atomically
 * (write a new file, then rename it over the old one): a poll between a truncating write and the
 * rest of it may see a shorter file that parses, such as a key file missing its last keys.
 *
 * <pre>{@code
 * InMemoryKeyStore keys = InMemoryKeyStore.load(keyFile);
 * CachingPrivilegeChecker checker = CachingPrivilegeChecker.builder(keys).build();
 * ReloadingFile watch = ReloadingFile.keysFile(keyFile, keys, checker).listener(listener).build().start();
 * // on shutdown:
 * watch.close();
 * }</pre>
 *
 * <p>{@link #status()} says, for a health endpoint, when content was last applied and whether the
 * file as it is now is refused, and why.
 *
 * <p>Thread-safe. Tests drive it with a manual {@link TimeSource} and {@link #poll()} or
 * {@link #checkNow()} instead of {@link #start()}.
 */
public final class ReloadingFile implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ReloadingFile.class);

  /**
   * Parses a file's text and applies it atomically, or throws and applies nothing.
   */
  @FunctionalInterface
  public interface Loader {
    /**
     * Parses and applies new content.
     *
     * @param text the file's whole text
     * @param source the file's name, to put before a line number in errors
     * @return a short summary for the log, such as {@code "3 keys"}; never a secret
     * @throws IllegalArgumentException if the text does not parse, with a message that names the line
     *     and the problem and quotes no content; nothing is applied then
     */
    String apply(String text, String source);
  }

  private final Path file;
  private final String source;
  private final String name;
  private final Loader loader;
  private final long periodNanos;
  private final TimeSource time;
  /** The listener, guarded; null when none was set. */
  private final @Nullable AuthListener listener;
  private final int maxBytes;

  /** When the file was last read, by the time source. */
  private long lastCheck;
  /** The digest of the content last read, or the problem that stopped it from being read. */
  private String lastSeen;
  /** When content was last applied (the first load included), by the time source's wall clock. */
  private Instant lastSuccess;
  /** When a change was last refused, or null. */
  private @Nullable Instant lastFailure;
  /** The last refusal's problem while the last read was refused, else null. */
  private @Nullable String problem;
  private @Nullable ScheduledExecutorService ownExecutor;
  private @Nullable ScheduledFuture<?> task;
  private boolean closed;

  private ReloadingFile(Builder b) {
    this.file = b.file;
    this.source = b.file.toString();
    this.name = b.name;
    this.loader = b.loader;
    this.periodNanos = b.period.toNanos();
    this.time = b.time;
    this.listener = ListenerGuard.guard(b.listener);
    this.maxBytes = b.maxBytes;
    this.lastCheck = time.nanoTime();
    byte[] bytes;
    try {
      bytes = BoundedTextFile.readBytes(file, maxBytes, source);
    } catch (IOException e) {
      throw new UncheckedIOException(name + ": " + unreadable(e), e);
    }
    String summary = loader.apply(BoundedTextFile.decode(bytes, source), source);
    this.lastSeen = digest(bytes);
    this.lastSuccess = time.instant();
    LOG.info("Loaded the {} from {}: {}; watching it for changes every {} ms", name, source, summary, TimeUnit.NANOSECONDS.toMillis(periodNanos));
  }

  /**
   * Watches a key file: each change replaces the store's whole key set
   * ({@link InMemoryKeyStore#replaceWith}) and then drops the cached answers of every key id it
   * added, changed or removed, so that a removed key or a changed secret is refused at once, not when
   * its cached answer expires. Named {@code "keys file"} in logs and to the listener.
   *
   * @param file the key file
   * @param store the store to swap the keys of
   * @param cache the cache in front of the store, or null when there is none
   * @return a builder
   */
  public static Builder keysFile(Path file, InMemoryKeyStore store, @Nullable CachingPrivilegeChecker cache) {
    Objects.requireNonNull(store, "store");
    return new Builder(file, "keys file", (text, source) -> {
      InMemoryKeyStore.Changes changes = store.replaceWith(text, source);
      if (cache != null) {
        // After the swap: a lookup that starts now already reads the new keys. One call for all ids:
        // one scan of the cache, and one invalidation, which leaves lookups of other keys under way alone.
        cache.invalidateAll(changes.affected());
      }
      return store.keyIds().size() + " keys (" + changes.added().size() + " added, " + changes.changed().size() + " changed, "
          + changes.removed().size() + " removed)";
    });
  }

  /**
   * Watches a secret-token file (one token a line; see {@link SecretTokens}): each change replaces
   * the whole set. A file with no token is refused like a broken one, and the last set is kept.
   * Tokens too long for an {@code Authorization} value of {@link AuthorizationHeader#DEFAULT_MAX_LENGTH}
   * characters are refused. Named {@code "secret tokens"} in logs and to the listener.
   *
   * @param file the token file
   * @param tokens the set to replace
   * @return a builder
   */
  public static Builder secretTokensFile(Path file, SecretTokens tokens) {
    return secretTokensFile(file, tokens, AuthorizationHeader.DEFAULT_MAX_LENGTH);
  }

  /**
   * Watches a secret-token file, as {@link #secretTokensFile(Path, SecretTokens)}, for an
   * authenticator with another maximum credential length.
   *
   * @param file the token file
   * @param tokens the set to replace
   * @param maxCredentialLength the authenticator's longest accepted {@code Authorization} value; a
   *     longer {@code Bearer <token>} could never match, and its token is refused
   * @return a builder
   */
  public static Builder secretTokensFile(Path file, SecretTokens tokens, int maxCredentialLength) {
    Objects.requireNonNull(tokens, "tokens");
    Require.positive(maxCredentialLength, "maxCredentialLength");
    return new Builder(file, "secret tokens", (text, source) -> {
      List<String> parsed = SecretTokens.parse(text, source, maxCredentialLength);
      try {
        tokens.replace(parsed);
      } catch (IllegalArgumentException e) {
        // A token too long for every authenticator using the set; the message quotes none.
        throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
      }
      return tokens.toString();
    });
  }

  /**
   * Watches any file.
   *
   * @param file the file
   * @param name what it holds, for logs and the listener, such as {@code "routes"}
   * @param loader parses and applies its content
   * @return a builder
   */
  public static Builder builder(Path file, String name, Loader loader) {
    return new Builder(file, name, loader);
  }

  /**
   * Reads the file if a period has passed since it was last read, and applies it if it changed.
   *
   * @return true if new content was applied
   */
  public synchronized boolean poll() {
    long now = time.nanoTime();
    if (now - lastCheck < periodNanos) {
      return false;
    }
    return check(now);
  }

  /**
   * Reads the file now, whether a period has passed or not, and applies it if it changed.
   *
   * @return true if new content was applied
   */
  public synchronized boolean checkNow() {
    return check(time.nanoTime());
  }

  private boolean check(long now) {
    lastCheck = now;
    byte[] bytes;
    try {
      bytes = BoundedTextFile.readBytes(file, maxBytes, source);
    } catch (IOException e) {
      return refused("io:" + e.getClass().getName(), source + " " + unreadable(e));
    } catch (IllegalArgumentException e) {
      // Too large, or not a regular file: a message of fixed text and the path, told apart by it.
      return refused("refused:" + e.getMessage(), e.getMessage());
    }
    String seen = digest(bytes);
    if (seen.equals(lastSeen)) {
      return false;
    }
    String summary;
    try {
      summary = loader.apply(BoundedTextFile.decode(bytes, source), source);
    } catch (IllegalArgumentException e) {
      return refused(seen, e.getMessage());
    }
    lastSeen = seen;
    lastSuccess = time.instant();
    problem = null;
    LOG.info("Reloaded the {} from {}: {}", name, source, summary);
    report(true);
    return true;
  }

  /**
   * Where the watch stands, for a health endpoint: when content was last applied and whether the
   * file as it is now was refused. Quotes no content.
   *
   * @return a snapshot
   */
  public synchronized Status status() {
    return new Status(name, file, lastSuccess, lastFailure, problem);
  }

  /**
   * A watch's state.
   *
   * @param name what the file holds, such as {@code "keys file"}
   * @param file the watched path
   * @param lastSuccess when content was last applied, the first load included
   * @param lastFailure when a change was last refused, or null if none ever was
   * @param problem while the file's current content (or the problem reading it) is refused, what is
   *     wrong, as logged: the file, the line and the problem, never the content; null once the
   *     last read was applied or unchanged from the applied content
   */
  public record Status(String name, Path file, Instant lastSuccess, @Nullable Instant lastFailure, @Nullable String problem) {
    /**
     * Whether the last read was refused, so the state in effect is older than the file.
     *
     * @return true while failing
     */
    public boolean failing() {
      return problem != null;
    }
  }

  /** Keeps the last good state; logs and reports a problem once, until the file changes again. */
  private boolean refused(String seen, @Nullable String problem) {
    if (!seen.equals(lastSeen)) {
      lastSeen = seen;
      lastFailure = time.instant();
      this.problem = problem == null ? "refused" : problem;
      LOG.warn("Keeping the last good {}: {}", name, problem);
      report(false);
    }
    return false;
  }

  private void report(boolean succeeded) {
    if (listener != null) {
      listener.onReload(name, succeeded);
    }
  }

  /** What went wrong reading the file, without the exception's message. */
  private static String unreadable(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "is missing";
    }
    if (e instanceof AccessDeniedException) {
      return "cannot be read: access denied";
    }
    return "cannot be read: " + e.getClass().getSimpleName();
  }

  private static String digest(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /**
   * Polls the file every period on a daemon thread of its own, until {@link #close()}.
   *
   * @return this
   * @throws IllegalStateException if it was started or closed already
   */
  public synchronized ReloadingFile start() {
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "intake-auth-reload-" + name.replace(' ', '-'));
      t.setDaemon(true);
      return t;
    });
    try {
      start(executor);
    } catch (IllegalStateException e) {
      executor.shutdownNow();
      throw e;
    }
    ownExecutor = executor;
    return this;
  }

  /**
   * Polls the file every period on a given executor, until {@link #close()}, which cancels the task
   * and leaves the executor running.
   *
   * @param executor the executor
   * @return this
   * @throws IllegalStateException if it was started or closed already
   */
  public synchronized ReloadingFile start(ScheduledExecutorService executor) {
    if (task != null || closed) {
      throw new IllegalStateException("already " + (closed ? "closed" : "started"));
    }
    task = executor.scheduleWithFixedDelay(this::pollQuietly, periodNanos, periodNanos, TimeUnit.NANOSECONDS);
    return this;
  }

  private void pollQuietly() {
    try {
      poll();
    } catch (RuntimeException e) {
      // A loader bug must not end the schedule; its message may quote the content, so it is not logged.
      LOG.warn("Reloading the {} from {} failed with {}; will try again", name, source, e.getClass().getName());
    }
  }

  /** Stops polling. Idempotent. */
  @Override
  public synchronized void close() {
    closed = true;
    if (task != null) {
      task.cancel(false);
    }
    if (ownExecutor != null) {
      ownExecutor.shutdownNow();
      ownExecutor = null;
    }
  }

  @Override
  public String toString() {
    return "ReloadingFile[" + name + ", " + source + "]";
  }

  /** Configures a {@link ReloadingFile}. */
  public static final class Builder {
    private final Path file;
    private final String name;
    private final Loader loader;
    private Duration period = Duration.ofSeconds(5);
    private TimeSource time = TimeSource.system();
    private AuthListener listener = AuthListener.NONE;
    private int maxBytes = BoundedTextFile.MAX_BYTES;

    private Builder(Path file, String name, Loader loader) {
      this.file = Objects.requireNonNull(file, "file");
      this.name = Objects.requireNonNull(name, "name");
      this.loader = Objects.requireNonNull(loader, "loader");
    }

    /**
     * How often the file is read. Default 5 seconds.
     *
     * @param period a positive duration
     * @return this builder
     */
    public Builder period(Duration period) {
      this.period = Require.positive(period, "period");
      return this;
    }

    /**
     * The time source that says when a period has passed, for {@link #poll()}. Default
     * {@link TimeSource#system()}.
     *
     * @param time the time source
     * @return this builder
     */
    public Builder timeSource(TimeSource time) {
      this.time = Objects.requireNonNull(time, "time");
      return this;
    }

    /**
     * Hears each reload and each refused change ({@link AuthListener#onReload}). Default none.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder listener(AuthListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * The largest file read; a larger one is refused, like a broken one, without being read whole.
     * Default 1 MiB.
     *
     * @param bytes a positive number of bytes
     * @return this builder
     */
    public Builder maxFileSize(int bytes) {
      this.maxBytes = Require.positive(bytes, "maxFileSize");
      return this;
    }

    /**
     * Reads and applies the file once, now, and builds the watcher; call {@link ReloadingFile#start()}
     * to poll it on a thread, or {@link ReloadingFile#poll()} from a loop of your own.
     *
     * @return the watcher
     * @throws UncheckedIOException if the file cannot be read now
     * @throws IllegalArgumentException if its content is refused now; a server should not start on
     *     a broken file
     */
    public ReloadingFile build() {
      return new ReloadingFile(this);
    }
  }
}
