package dev.intakeauth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
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
 */
public final class InMemoryKeyStore implements PrivilegeChecker {

  private final Map<String, Entry> keys;
  private final TimeSource time;
  private final BiPredicate<byte[], byte[]> sameDigest;

  /** {@code sameDigest} is {@link MessageDigest#isEqual} but for tests that watch the comparison. */
  InMemoryKeyStore(Collection<StoredKey> keys, TimeSource time, BiPredicate<byte[], byte[]> sameDigest) {
    Map<String, Entry> byId = new HashMap<>();
    for (StoredKey key : keys) {
      if (byId.putIfAbsent(key.id(), new Entry(key.digest(), key.privileges(), key.expiresAt())) != null) {
        throw new IllegalArgumentException("duplicate key id \"" + key.id() + "\"");
      }
    }
    this.keys = Map.copyOf(byId);
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
   * @throws IllegalArgumentException if a line is malformed; the message names the file and the
   *     line, and quotes no secret
   */
  public static InMemoryKeyStore load(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    return new InMemoryKeyStore(KeyFile.parse(text, String.valueOf(file.getFileName())), TimeSource.system(), MessageDigest::isEqual);
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

  @Override
  public String toString() {
    return "InMemoryKeyStore[" + keys.size() + " keys]";
  }

  private record Entry(byte[] digest, Set<Privilege> privileges, @Nullable Instant expiresAt) {}

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
