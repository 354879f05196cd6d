package dev.intakeauth.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256 with one reusable digest per thread: {@code MessageDigest.getInstance} is not free. */
public final class Sha256 {

  /** The digest length, in bytes. */
  public static final int LENGTH = 32;

  private static final ThreadLocal<MessageDigest> PER_THREAD = ThreadLocal.withInitial(Sha256::newDigest);

  private Sha256() {}

  /**
   * Digests bytes.
   *
   * @param bytes the input
   * @return 32 bytes
   */
  public static byte[] digest(byte[] bytes) {
    MessageDigest md = PER_THREAD.get();
    md.reset();
    return md.digest(bytes);
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

  /**
   * A new SHA-256 digest.
   *
   * @return the digest
   */
  public static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
