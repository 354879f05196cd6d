package dev.intakeauth;

import dev.intakeauth.internal.LogSafe;
import dev.intakeauth.internal.Sha256;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * API keys kept in memory: id, a SHA-256 hash of the secret (never the secret), privileges and an
 * optional expiry. For tests, and for small deployments without Elasticsearch.
 *
 * <p>Keys are made with {@link #generateKey}, which returns the secret once, and stored in a key
 * file, one key a line:
 *
 * <pre>
 * # id  secret-hash  privileges  [expires]
 * agent-1  sha256:5e88...  event:write,config_agent:read
 * ci-job   sha256:2c26...  event:write  2027-01-01T00:00:00Z
 * </pre>
 *
 * <p>The hash is an unsalted SHA-256, which is sound for the random 192-bit secrets
 * {@link #generateKey} makes and not for passwords people choose. Answers are exact: an unknown id,
 * a wrong secret and an expired key are all {@link CheckResult#UNKNOWN_KEY}.
 */
public final class InMemoryKeyStore implements PrivilegeChecker {

  private static final String HASH_PREFIX = "sha256:";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Map<String, StoredKey> keys;
  private final TimeSource time;

  private InMemoryKeyStore(Map<String, StoredKey> keys, TimeSource time) {
    this.keys = Map.copyOf(keys);
    this.time = time;
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
   * Reads a key file.
   *
   * @param file the key file
   * @return the store
   * @throws IOException if the file cannot be read
   * @throws IllegalArgumentException if a line is malformed; the message names the line
   */
  public static InMemoryKeyStore load(Path file) throws IOException {
    return builder().load(file).build();
  }

  /**
   * The hash to store for a secret.
   *
   * @param secret the secret
   * @return {@code sha256:<hex>}
   */
  public static String hashSecret(String secret) {
    return HASH_PREFIX + HexFormat.of().formatHex(Sha256.digest(secret));
  }

  /**
   * Makes a new key with a random 192-bit secret.
   *
   * @param id the key id; not empty, no whitespace or {@code :}
   * @param privileges what the key may do
   * @param expiresAt when it stops working, or null for never
   * @return the key, with its secret shown this once
   */
  public static NewKey generateKey(String id, Collection<Privilege> privileges, @Nullable Instant expiresAt) {
    byte[] raw = new byte[24];
    RANDOM.nextBytes(raw);
    String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    StoredKey stored = new StoredKey(checkId(id), hashSecret(secret), Set.copyOf(privileges), expiresAt);
    return new NewKey(stored, secret);
  }

  /**
   * Makes a new key id: 20 random URL-safe characters, like Elasticsearch's.
   *
   * @return an id
   */
  public static String newId() {
    byte[] raw = new byte[15];
    RANDOM.nextBytes(raw);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
  }

  @Override
  public CompletableFuture<CheckResult> checkAsync(ApiKeyCredential credential, ApplicationPrivileges scope) {
    return CompletableFuture.completedFuture(check(credential, scope));
  }

  @Override
  public CheckResult check(ApiKeyCredential credential, ApplicationPrivileges scope) {
    StoredKey key = keys.get(credential.id());
    if (key == null) {
      return CheckResult.UNKNOWN_KEY;
    }
    byte[] secret = credential.secretBytes();
    byte[] presented = (HASH_PREFIX + HexFormat.of().formatHex(Sha256.digest(secret))).getBytes(StandardCharsets.US_ASCII);
    java.util.Arrays.fill(secret, (byte) 0);
    if (!MessageDigest.isEqual(key.secretHash.getBytes(StandardCharsets.US_ASCII), presented)) {
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
   * The stored keys, without secrets.
   *
   * @return the keys by id
   */
  public Collection<StoredKey> keys() {
    return keys.values();
  }

  @Override
  public String toString() {
    return "InMemoryKeyStore[" + keys.size() + " keys]";
  }

  private static String checkId(String id) {
    Objects.requireNonNull(id, "id");
    if (id.isEmpty() || id.indexOf(':') >= 0 || id.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
      throw new IllegalArgumentException("a key id must be non-empty, without whitespace or ':': \"" + LogSafe.text(id) + "\"");
    }
    return id;
  }

  /**
   * A key as stored: no secret, only its hash.
   *
   * @param id the key id
   * @param secretHash {@code sha256:<hex>} of the secret
   * @param privileges the privileges the key holds
   * @param expiresAt when the key stops working, or null for never
   */
  public record StoredKey(String id, String secretHash, Set<Privilege> privileges, @Nullable Instant expiresAt) {

    /**
     * Validates.
     *
     * @param id the key id
     * @param secretHash {@code sha256:<hex>} of the secret
     * @param privileges the privileges
     * @param expiresAt the expiry, or null
     */
    public StoredKey {
      checkId(id);
      Objects.requireNonNull(secretHash, "secretHash");
      if (!secretHash.startsWith(HASH_PREFIX) || secretHash.length() != HASH_PREFIX.length() + 64
          || !secretHash.substring(HASH_PREFIX.length()).chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        throw new IllegalArgumentException("the secret hash of key \"" + id + "\" must be sha256: and 64 lower-case hex digits");
      }
      privileges = Set.copyOf(privileges);
    }

    /**
     * This key as a key-file line.
     *
     * @return {@code id hash privileges [expiry]}
     */
    public String toLine() {
      String line = id + " " + secretHash + " " + String.join(",", privileges.stream().map(Privilege::name).sorted().toList());
      return expiresAt == null ? line : line + " " + expiresAt;
    }
  }

  /**
   * A key just made, with its secret. Show the secret once and then drop this object; its
   * {@code toString()} does not show the secret.
   */
  public static final class NewKey {
    private final StoredKey stored;
    private final String secret;

    private NewKey(StoredKey stored, String secret) {
      this.stored = stored;
      this.secret = secret;
    }

    /**
     * What to store.
     *
     * @return the key without its secret
     */
    public StoredKey stored() {
      return stored;
    }

    /**
     * The secret.
     *
     * @return the secret
     */
    public String secret() {
      return secret;
    }

    /**
     * The credential an agent sends.
     *
     * @return the credential
     */
    public ApiKeyCredential credential() {
      return ApiKeyCredential.of(stored.id(), secret);
    }

    @Override
    public String toString() {
      return "NewKey[id=" + stored.id() + ", secret=***]";
    }
  }

  /** Collects keys for an {@link InMemoryKeyStore}. */
  public static final class Builder {
    private final Map<String, StoredKey> keys = new LinkedHashMap<>();
    private TimeSource time = TimeSource.system();

    private Builder() {}

    /**
     * Adds a stored key.
     *
     * @param key the key
     * @return this builder
     * @throws IllegalArgumentException if a key with this id was added already
     */
    public Builder add(StoredKey key) {
      if (keys.putIfAbsent(key.id(), key) != null) {
        throw new IllegalArgumentException("duplicate key id \"" + key.id() + "\"");
      }
      return this;
    }

    /**
     * Adds a key by its secret, which is hashed at once and not kept.
     *
     * @param id the key id
     * @param secret the secret
     * @param privileges what it may do
     * @return this builder
     */
    public Builder addSecret(String id, String secret, Collection<Privilege> privileges) {
      return add(new StoredKey(id, hashSecret(secret), Set.copyOf(privileges), null));
    }

    /**
     * Adds every key of a key file.
     *
     * @param file the file
     * @return this builder
     * @throws IOException if it cannot be read
     * @throws IllegalArgumentException if a line is malformed; the message names the file and line
     */
    public Builder load(Path file) throws IOException {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i).strip();
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        try {
          add(parseLine(line));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(file.getFileName() + ":" + (i + 1) + ": " + e.getMessage(), e);
        }
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
      return new InMemoryKeyStore(keys, time);
    }

    private static StoredKey parseLine(String line) {
      String[] parts = line.split("\\s+");
      if (parts.length < 3 || parts.length > 4) {
        throw new IllegalArgumentException("expected: <id> <sha256:hash> <privilege,...> [<expiry>], found " + parts.length + " fields");
      }
      Set<Privilege> privileges = new LinkedHashSet<>();
      for (String name : parts[2].split(",")) {
        if (!name.isEmpty()) {
          privileges.add(Privilege.of(name));
        }
      }
      Instant expiresAt = null;
      if (parts.length == 4) {
        try {
          expiresAt = Instant.parse(parts[3]);
        } catch (DateTimeParseException e) {
          throw new IllegalArgumentException("expiry \"" + LogSafe.text(parts[3]) + "\" is not an ISO-8601 instant such as 2027-01-01T00:00:00Z");
        }
      }
      return new StoredKey(parts[0], parts[1], privileges, expiresAt);
    }
  }
}
