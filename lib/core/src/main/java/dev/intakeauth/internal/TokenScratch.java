package dev.intakeauth.internal;

import java.security.DigestException;
import java.security.MessageDigest;

/**
 * Per-thread buffers for the hot paths: a header's token is copied here, then scanned, compared or
 * hashed as plain {@code char}s and bytes, so that a request allocates nothing.
 *
 * <p>The buffers are not zeroed after use: the same token stays in the request's header string and
 * in the container's own pooled buffers for as long as the container keeps them, so zeroing this
 * copy would cost every request and protect nothing. The next request on the thread overwrites it.
 */
public final class TokenScratch {

  private static final ThreadLocal<TokenScratch> PER_THREAD = ThreadLocal.withInitial(TokenScratch::new);

  private final MessageDigest sha256 = Sha256.newDigest();
  private final byte[] digest = new byte[Sha256.LENGTH];
  private char[] chars = new char[256];
  private byte[] bytes = new byte[256];

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
   * Copies {@code text[from, to)} to the start of the character buffer, growing both buffers to at
   * least {@code minCapacity} and the token's length.
   *
   * @param text the header value
   * @param from where the token starts
   * @param to where it ends (exclusive)
   * @param minCapacity the least length the buffers must have (a secret's length, for a comparison)
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
   * The byte buffer, as long as the character buffer, for a caller that converts the characters.
   *
   * @return the byte buffer
   */
  public byte[] bytes() {
    return bytes;
  }

  /**
   * The SHA-256 of the first {@code length} bytes of the byte buffer, written to this thread's
   * 32-byte buffer, which the next call overwrites.
   *
   * @param length how many bytes
   * @return the digest buffer
   */
  public byte[] sha256(int length) {
    try {
      // No reset first: digest() leaves the digest reset, and update() of an array cannot fail midway.
      sha256.update(bytes, 0, length);
      sha256.digest(digest, 0, Sha256.LENGTH);
      return digest;
    } catch (DigestException e) {
      throw new IllegalStateException("SHA-256 writes " + Sha256.LENGTH + " bytes", e);
    }
  }
}
