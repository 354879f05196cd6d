package dev.intakeauth;

import dev.intakeauth.internal.BoundedTextFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiPredicate;
import org.jspecify.annotations.Nullable;

/**
 * API keys kept in memory: id, a SHA-256 hash of the secret (never the secret), privileges and an
 * optional expiry. For tests, and for small deployments without Elasticsearch.
 *
 * <p>Keys are made with {@link GeneratedKey#generate}, which returns the secret once, and stored
 * in a key file, one key a line, read by {@link #load(Path)}:
 *
 * <pre>
 * # id  secret-hash  privileges  [expires]
 * agent-1  sha256:5e88...  event:write,config_agent:read
 * ci-job   sha256:2c26...  event:write  2027-01-01T00:00:00Z
 * </pre>
 *
 * <p>The hash is an unsalted SHA-256, which is sound for the random 192-bit secrets
 * {@link GeneratedKey} makes and not for passwords people choose. A wrong secret is compared in
 * full, in constant time, like a right one. Answers are exact: an unknown id, a wrong secret and an
 * expired key are all {@link CheckResult#UNKNOWN_KEY}.
 *
 * <p>The whole key set can be replaced while the server runs ({@link #reload(Path)},
 * {@link #replaceWith(String, String)}; a {@code ReloadingFile} does it when the key file changes):
 * the swap is atomic, and it reports which key ids were added, changed or removed, so that the caller
 * can {@linkplain CachingPrivilegeChecker#invalidate(String) drop their cached answers} and a removed
 * key stops working at once rather than when its cached answer expires.
 */
public final class InMemoryKeyStore implements PrivilegeChecker {

  /** The current key set; immutable, swapped whole. */
  private volatile Map<String, Entry> keys;
  private final TimeSource time;
  private final BiPredicate<byte[], byte[]> sameDigest;

  /** {@code sameDigest} is {@link MessageDigest#isEqual} but for tests that watch the comparison. */
  InMemoryKeyStore(Collection<StoredKey> keys, TimeSource time, BiPredicate<byte[], byte[]> sameDigest) {
    this.keys = byId(keys);
    this.time = Objects.requireNonNull(time, "time");
    this.sameDigest = sameDigest;
  }

  /**
   * Starts an empty store.
   *
   * @return a builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Reads a key file (UTF-8), judging expiry dates by the system clock.
   *
   * @param file the key file
   * @return the store
   * @throws IOException if the file cannot be read
   * @throws IllegalArgumentException if it is larger than 1 MiB, not a regular file or not UTF-8, or
   *     if a line is malformed; the message names the file and the line, and quotes no secret
   */
  public static InMemoryKeyStore load(Path file) throws IOException {
    return load(file, TimeSource.system());
  }

  /**
   * Reads a key file (UTF-8), judging expiry dates by a given time source.
   *
   * @param file the key file
   * @param time the time source expiry dates are judged by
   * @return the store
   * @throws IOException if the file cannot be read
   * @throws IllegalArgumentException if it is larger than 1 MiB, not a regular file or not UTF-8, or
   *     if a line is malformed; the message names the file and the line, and quotes no secret
   */
  public static InMemoryKeyStore load(Path file, TimeSource time) throws IOException {
    // Bounded, and regular files only: a FIFO or a device at the path must not hang or flood the start.
    String text = BoundedTextFile.read(file, BoundedTextFile.MAX_BYTES, String.valueOf(file.getFileName()));
    return new InMemoryKeyStore(KeyFile.parse(text, String.valueOf(file.getFileName())), time, MessageDigest::isEqual);
  }

  /**
   * Replaces the whole key set with the keys of a key file (UTF-8, at most 1 MiB), atomically. A file
   * that cannot be read or parsed leaves the current keys in place.
   *
   * @param file the key file
   * @return which key ids were added, changed or removed
   * @throws IOException if the file cannot be read
   * @throws IllegalArgumentException if it is too large, not UTF-8, or a line is malformed; the
   *     message names the file and the line, and quotes no secret
   */
  public Changes reload(Path file) throws IOException {
    String source = file.toString();
    return replaceWith(BoundedTextFile.read(file, BoundedTextFile.MAX_BYTES, source), source);
  }

  /**
   * Replaces the whole key set with the keys of a key file's text, atomically: a check sees the old
   * set or the new one, never a mix. Text that does not parse leaves the current keys in place.
   *
   * <p>Cached answers are not this store's: after a swap, pass the {@linkplain Changes#affected()
   * affected ids} to {@link CachingPrivilegeChecker#invalidate(String)} so that a removed or changed
   * key is refused at once.
   *
   * @param keyFileText the whole text of a key file
   * @param source the name put before the line number in errors, such as the file's path
   * @return which key ids were added, changed or removed
   * @throws IllegalArgumentException if a line is malformed, as {@code source:line: problem}
   */
  public Changes replaceWith(String keyFileText, String source) {
    Map<String, Entry> next = byId(KeyFile.parse(keyFileText, source));
    synchronized (this) {
      Map<String, Entry> previous = keys;
      keys = next;
      return Changes.between(previous, next);
    }
  }

  private static Map<String, Entry> byId(Collection<StoredKey> keys) {
    Map<String, Entry> byId = new HashMap<>();
    for (StoredKey key : keys) {
      if (byId.putIfAbsent(key.id(), new Entry(key.digest(), key.privileges(), key.expiresAt())) != null) {
        throw new IllegalArgumentException("duplicate key id \"" + key.id() + "\"");
      }
    }
    return Map.copyOf(byId);
  }

  /**
   * The key ids a {@linkplain #replaceWith replacement} of the key set touched. Key ids are not
   * secrets; no hash or secret is here.
   *
   * @param added ids that were not in the old set
   * @param changed ids in both sets whose hash, privileges or expiry differ
   * @param removed ids that are not in the new set
   */
  public record Changes(Set<String> added, Set<String> changed, Set<String> removed) {

    /**
     * Copies the sets.
     *
     * @param added ids that were not in the old set
     * @param changed ids in both sets whose hash, privileges or expiry differ
     * @param removed ids that are not in the new set
     */
    public Changes {
      added = Set.copyOf(added);
      changed = Set.copyOf(changed);
      removed = Set.copyOf(removed);
    }

    /**
     * Every id whose cached answers may be wrong now: added (an earlier "unknown key" answer),
     * changed and removed.
     *
     * @return a new set
     */
    public Set<String> affected() {
      Set<String> all = new HashSet<>(added);
      all.addAll(changed);
      all.addAll(removed);
      return all;
    }

    /**
     * Whether nothing changed.
     *
     * @return true if no id was added, changed or removed
     */
    public boolean isEmpty() {
      return added.isEmpty() && changed.isEmpty() && removed.isEmpty();
    }

    private static Changes between(Map<String, Entry> before, Map<String, Entry> after) {
      Set<String> added = new HashSet<>();
      Set<String> changed = new HashSet<>();
      Set<String> removed = new HashSet<>();
      for (Map.Entry<String, Entry> e : after.entrySet()) {
        Entry old = before.get(e.getKey());
        if (old == null) {
          added.add(e.getKey());
        } else if (!old.sameAs(e.getValue())) {
          changed.add(e.getKey());
        }
      }
      for (String id : before.keySet()) {
        if (!after.containsKey(id)) {
          removed.add(id);
        }
      }
      return new Changes(added, changed, removed);
    }
  }

  @Override
  public CompletableFuture<CheckResult> checkAsync(ApiKeyCredential credential, ApplicationPrivileges scope) {
    return CompletableFuture.completedFuture(check(credential, scope));
  }

  @Override
  public CheckResult check(ApiKeyCredential credential, ApplicationPrivileges scope) {
    Entry key = keys.get(credential.id());
    if (key == null) {
      return CheckResult.UNKNOWN_KEY;
    }
    byte[] secret = credential.secretBytes();
    byte[] presented = StoredKey.sha256(secret);
    Arrays.fill(secret, (byte) 0);
    // Both sides are 32-byte digests, so a wrong secret of any length is compared in full.
    if (!sameDigest.test(key.digest, presented)) {
      return CheckResult.UNKNOWN_KEY;
    }
    if (key.expiresAt != null && !time.instant().isBefore(key.expiresAt)) {
      return CheckResult.UNKNOWN_KEY;
    }
    Set<Privilege> held = new LinkedHashSet<>();
    for (Privilege p : scope.privileges()) {
      if (key.privileges.contains(p)) {
        held.add(p);
      }
    }
    return new CheckResult.Granted(held, null);
  }

  /**
   * The ids of the keys held now. Holds no secret.
   *
   * @return the ids
   */
  public Set<String> keyIds() {
    return keys.keySet();
  }

  @Override
  public String toString() {
    return "InMemoryKeyStore[" + keys.size() + " keys]";
  }

  private record Entry(byte[] digest, Set<Privilege> privileges, @Nullable Instant expiresAt) {
    /** The hashes are public data compared at reload, not a secret compared per request. */
    boolean sameAs(Entry other) {
      return Arrays.equals(digest, other.digest) && privileges.equals(other.privileges) && Objects.equals(expiresAt, other.expiresAt);
    }
  }

  /** Collects keys made in this process for an {@link InMemoryKeyStore}. */
  public static final class Builder {
    private final Map<String, StoredKey> keys = new LinkedHashMap<>();
    private TimeSource time = TimeSource.system();

    private Builder() {}

    /**
     * Adds a key just made; the store keeps only its hash.
     *
     * @param key the key
     * @return this builder
     * @throws IllegalArgumentException if a key with this id was added already
     */
    public Builder add(GeneratedKey key) {
      return add(key.stored());
    }

    /** For tests that need a secret of their choosing; users generate keys. */
    Builder addSecret(String id, String secret, Collection<Privilege> privileges) {
      return add(StoredKey.ofSecret(id, secret.getBytes(StandardCharsets.UTF_8), privileges, null));
    }

    private Builder add(StoredKey key) {
      if (keys.putIfAbsent(key.id(), key) != null) {
        throw new IllegalArgumentException("duplicate key id \"" + key.id() + "\"");
      }
      return this;
    }

    /**
     * The time source expiry dates are judged by ({@link TimeSource#instant()}). Default
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
     * Builds the store.
     *
     * @return an immutable, thread-safe store
     */
    public InMemoryKeyStore build() {
      return new InMemoryKeyStore(keys.values(), time, MessageDigest::isEqual);
    }
  }
}
