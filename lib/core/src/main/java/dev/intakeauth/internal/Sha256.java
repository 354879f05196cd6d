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
   * Digests a string of ASCII characters (such as base64) without allocating: the same digest as
   * {@link #digest(String)} for ASCII input, written to this thread's own 32-byte buffer, which the
   * next call on the thread overwrites: read it at once. The input buffer is cleared after use, since
   * the text may be a secret.
   *
   * @param ascii text holding the input; every character of the range below 128
   * @param from where the input starts
   * @param to where it ends (exclusive)
   * @return this thread's output buffer, holding the digest
   * @throws IllegalArgumentException if a character is not ASCII
   */
  public static byte[] digestAscii(String ascii, int from, int to) {
    Sha256 self = PER_THREAD.get();
    int n = to - from;
    if (self.input.length < n) {
      self.input = new byte[Math.max(n, self.input.length * 2)];
    }
    byte[] in = self.input;
    int high = 0;
    for (int i = 0; i < n; i++) {
      char c = ascii.charAt(from + i);
      high |= c;
      in[i] = (byte) c;
    }
    try {
      if (high >= 0x80) {
        throw new IllegalArgumentException("not ASCII");
      }
      MessageDigest md = self.md;
      md.reset();
      md.update(in, 0, n);
      md.digest(self.output, 0, LENGTH);
      return self.output;
    } catch (DigestException e) {
      throw new IllegalStateException("SHA-256 writes " + LENGTH + " bytes", e);
    } finally {
      java.util.Arrays.fill(in, 0, n, (byte) 0);
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
