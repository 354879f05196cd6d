package dev.intakeauth.internal;

import java.security.DigestException;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * Per-thread buffers for the hot paths: a header's token is copied here, then scanned, compared or
 * hashed as plain {@code char}s and bytes, so that a request allocates nothing. The token may be a
 * secret: {@link #clear} the buffers when done.
 */
public final class TokenScratch {

  private static final ThreadLocal<TokenScratch> PER_THREAD = ThreadLocal.withInitial(TokenScratch::new);

  private final MessageDigest sha256 = Sha256.newDigest();
  private final byte[] digest = new byte[Sha256.LENGTH];
  private char[] chars = new char[256];
  private byte[] bytes = new byte[256];
  private int bytesUsed;

  private TokenScratch() {}

  /**
   * This thread's buffers.
   *
   * @return the buffers; use them on this thread only, and not across calls that may use them too
   */
  public static TokenScratch get() {
    return PER_THREAD.get();
  }

  /**
   * Copies {@code text[from, to)} to the start of the character buffer, grown to at least
   * {@code minCapacity} and the token's length.
   *
   * @param text the header value
   * @param from where the token starts
   * @param to where it ends (exclusive)
   * @param minCapacity the least length the buffer must have (a secret's length, for a comparison)
   * @return the character buffer
   */
  public char[] copy(String text, int from, int to, int minCapacity) {
    int need = Math.max(to - from, minCapacity);
    if (chars.length < need) {
      chars = new char[Math.max(need, chars.length * 2)];
      bytes = new byte[chars.length];
    }
    text.getChars(from, to, chars, 0);
    return chars;
  }

  /**
   * The SHA-256 of the first {@code length} copied characters, which must be ASCII (such as base64):
   * the digest of their UTF-8 bytes, written to this thread's 32-byte buffer, which the next call
   * overwrites.
   *
   * @param length how many characters
   * @return the digest buffer
   * @throws IllegalArgumentException if a character is not ASCII
   */
  public byte[] sha256OfAscii(int length) {
    char[] in = chars;
    byte[] out = bytes;
    int high = 0;
    for (int i = 0; i < length; i++) {
      char c = in[i];
      high |= c;
      out[i] = (byte) c;
    }
    bytesUsed = Math.max(bytesUsed, length);
    if (high >= 0x80) {
      throw new IllegalArgumentException("not ASCII");
    }
    try {
      // No reset first: digest() leaves the digest reset, and update() of an array cannot fail midway.
      sha256.update(out, 0, length);
      sha256.digest(digest, 0, Sha256.LENGTH);
      return digest;
    } catch (DigestException e) {
      throw new IllegalStateException("SHA-256 writes " + Sha256.LENGTH + " bytes", e);
    }
  }

  /**
   * Zeroes the first {@code length} characters, and the bytes written since the last clear.
   *
   * @param length how many characters were copied
   */
  public void clear(int length) {
    Arrays.fill(chars, 0, length, '\0');
    if (bytesUsed > 0) {
      Arrays.fill(bytes, 0, bytesUsed, (byte) 0);
      bytesUsed = 0;
    }
  }
}
