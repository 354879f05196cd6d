package dev.intakeauth.internal;

import java.nio.charset.StandardCharsets;

/** SHA-256 with the thread's one digest (see {@link TokenScratch}): {@code MessageDigest.getInstance} is not free. */
public final class Sha256 {

  /** The digest length, in bytes. */
  public static final int LENGTH = TokenScratch.SHA256_LENGTH;

  private Sha256() {}

  /**
   * Digests bytes.
   *
   * @param bytes the input
   * @return 32 bytes
   */
  public static byte[] digest(byte[] bytes) {
    return TokenScratch.get().sha256Of(bytes);
  }

  /**
   * Digests a string's UTF-8 bytes.
   *
   * @param s the input
   * @return 32 bytes
   */
  public static byte[] digest(String s) {
    return digest(s.getBytes(StandardCharsets.UTF_8));
  }
}
