package dev.intakeauth;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A key as the store keeps it: its id, the SHA-256 of its secret (never the secret), the privileges
 * it holds and when it stops working.
 *
 * @param id the key id; not empty, no whitespace, control or format characters, no {@code :}, not
 *     starting with {@code #} (a key file would read its line as a comment)
 * @param sha256 the secret's SHA-256 as 64 lower-case hex digits
 * @param privileges the privileges the key holds; no name with {@code ,} or white space, which a key
 *     file would read back as other privileges
 * @param expiresAt when the key stops working, or null for never
 */
record StoredKey(String id, String sha256, Set<Privilege> privileges, @Nullable Instant expiresAt) {

  StoredKey {
    checkId(id);
    Objects.requireNonNull(sha256, "sha256");
    if (!isSha256Hex(sha256)) {
      throw new IllegalArgumentException("the secret hash must be 64 lower-case hex digits");
    }
    privileges = Set.copyOf(privileges);
    for (Privilege p : privileges) {
      if (p.name().chars().anyMatch(c -> c == ',' || Character.isWhitespace(c) || Character.isSpaceChar(c))) {
        throw new IllegalArgumentException("a key's privilege names must not contain ',' or white space");
      }
    }
  }

  /** Hashes a secret at once; the secret is not kept. */
  static StoredKey ofSecret(String id, byte[] secret, Collection<Privilege> privileges, @Nullable Instant expiresAt) {
    return new StoredKey(id, HexFormat.of().formatHex(sha256(secret)), Set.copyOf(privileges), expiresAt);
  }

  /** The 32 bytes of the secret's hash. */
  byte[] digest() {
    return HexFormat.of().parseHex(sha256);
  }

  /** A fresh digest per call: the in-memory store is not the hot path (the cache in front of it is). */
  static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  static boolean isSha256Hex(String s) {
    return s.length() == 64 && s.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }

  /**
   * Ids end up in log lines as the principal, so none may break a line, hide text or look like
   * another: no control, whitespace or format characters. The message does not quote the id, which
   * may be a mistyped {@code id:secret}.
   */
  static String checkId(String id) {
    Objects.requireNonNull(id, "id");
    if (id.isEmpty() || id.charAt(0) == '#' || id.chars().anyMatch(StoredKey::notInId)) {
      throw new IllegalArgumentException("a key id must be non-empty, not start with '#', and have no ':', whitespace, control or format characters");
    }
    return id;
  }

  private static boolean notInId(int c) {
    return c == ':' || Character.isISOControl(c) || Character.isWhitespace(c) || Character.isSpaceChar(c)
        || Character.getType(c) == Character.FORMAT;
  }
}
