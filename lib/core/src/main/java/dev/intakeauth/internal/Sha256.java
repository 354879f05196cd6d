package dev.intakeauth.internal;

import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * SHA-256 with one reusable digest and buffers per thread: {@code MessageDigest.getInstance} is not
 * free, and the hot path hashes every API key it sees.
 */
public final class Sha256 {

  /** The digest length, in bytes. */
  public static final int LENGTH = 32;

  private static final ThreadLocal<Sha256> PER_THREAD = ThreadLocal.withInitial(Sha256::new);

  private final MessageDigest md = newDigest();
  private final byte[] output = new byte[LENGTH];
  private byte[] input = new byte[128];

  private Sha256() {}

  /**
   * Digests bytes.
   *
   * @param bytes the input
   * @return 32 bytes
   */
  public static byte[] digest(byte[] bytes) {
    MessageDigest md = PER_THREAD.get().md;
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
   * Digests ASCII characters (such as base64) without allocating: the same digest as
   * {@link #digest(String)} for the same text, written to this thread's own 32-byte buffer, which the
   * next call on the thread overwrites: read it at once. The input buffer is cleared after use, since
   * the text may be a secret.
   *
   * @param ascii the input's characters; each below 128
   * @param length how many of them
   * @return this thread's output buffer, holding the digest
   * @throws IllegalArgumentException if a character is not ASCII
   */
  public static byte[] digestAscii(char[] ascii, int length) {
    Sha256 self = PER_THREAD.get();
    if (self.input.length < length) {
      self.input = new byte[Math.max(length, self.input.length * 2)];
    }
    byte[] in = self.input;
    int high = 0;
    for (int i = 0; i < length; i++) {
      char c = ascii[i];
      high |= c;
      in[i] = (byte) c;
    }
    try {
      if (high >= 0x80) {
        throw new IllegalArgumentException("not ASCII");
      }
      // No reset first: digest() leaves the digest reset, and update() of an array cannot fail midway.
      MessageDigest md = self.md;
      md.update(in, 0, length);
      md.digest(self.output, 0, LENGTH);
      return self.output;
    } catch (DigestException e) {
      throw new IllegalStateException("SHA-256 writes " + LENGTH + " bytes", e);
    } finally {
      java.util.Arrays.fill(in, 0, length, (byte) 0);
    }
  }

  private static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
