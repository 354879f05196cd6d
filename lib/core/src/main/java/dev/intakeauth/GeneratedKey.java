package dev.intakeauth;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import org.jspecify.annotations.Nullable;

/**
 * An API key just made for the in-memory key store, with a random 192-bit secret. Give its
 * {@link #credential()} to the agent and put its {@link #keyFileLine()} in the key file (or add the
 * key to a store in the same process), then drop it: the secret is kept nowhere else, and
 * {@code toString()} does not show it.
 */
public final class GeneratedKey {

  private static final SecureRandom RANDOM = new SecureRandom();

  private final StoredKey stored;
  private final String secret;

  private GeneratedKey(StoredKey stored, String secret) {
    this.stored = stored;
    this.secret = secret;
  }

  /**
   * Makes a key with a random 192-bit secret.
   *
   * @param id the key id; not empty, no {@code :}, whitespace, control or format characters
   * @param privileges what the key may do
   * @param expiresAt when it stops working, or null for never
   * @return the key, with its secret shown this once
   * @throws IllegalArgumentException if the id is not allowed
   */
  public static GeneratedKey generate(String id, Collection<Privilege> privileges, @Nullable Instant expiresAt) {
    String secret = randomText(24);
    return new GeneratedKey(StoredKey.ofSecret(id, secret.getBytes(StandardCharsets.UTF_8), privileges, expiresAt), secret);
  }

  /**
   * Makes a key id: 20 random URL-safe characters, like Elasticsearch's.
   *
   * @return an id
   */
  public static String newId() {
    return randomText(15);
  }

  /**
   * The secret. Shown this once: the store keeps only its hash.
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

  /**
   * The key's line for a key file: id, hash of the secret, privileges and expiry, never the secret.
   *
   * @return {@code id sha256:<hex> privileges [expiry]}
   */
  public String keyFileLine() {
    return KeyFile.line(stored);
  }

  StoredKey stored() {
    return stored;
  }

  @Override
  public String toString() {
    return "GeneratedKey[id=" + stored.id() + ", secret=***]";
  }

  private static String randomText(int bytes) {
    byte[] raw = new byte[bytes];
    RANDOM.nextBytes(raw);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
  }
}
