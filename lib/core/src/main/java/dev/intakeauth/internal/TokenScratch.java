package dev.intakeauth.internal;

import java.util.Arrays;

/**
 * A per-thread array that the hot paths copy a header's token into, so that they scan, compare and
 * hash plain {@code char}s without allocating. The token may be a secret: {@link #clear} it when done.
 */
public final class TokenScratch {

  private static final ThreadLocal<char[][]> PER_THREAD = ThreadLocal.withInitial(() -> new char[][] {new char[256]});

  private TokenScratch() {}

  /**
   * Copies {@code text[from, to)} to the start of this thread's array, grown to at least
   * {@code minCapacity} and the token's length.
   *
   * @param text the header value
   * @param from where the token starts
   * @param to where it ends (exclusive)
   * @param minCapacity the least length the array must have (a secret's length, for a comparison)
   * @return this thread's array; valid until the next call on this thread
   */
  public static char[] copy(String text, int from, int to, int minCapacity) {
    char[][] holder = PER_THREAD.get();
    int need = Math.max(to - from, minCapacity);
    if (holder[0].length < need) {
      holder[0] = new char[Math.max(need, holder[0].length * 2)];
    }
    char[] chars = holder[0];
    text.getChars(from, to, chars, 0);
    return chars;
  }

  /**
   * Zeroes the first {@code length} characters.
   *
   * @param chars the array {@link #copy} returned
   * @param length how many characters were copied
   */
  public static void clear(char[] chars, int length) {
    Arrays.fill(chars, 0, length, '\0');
  }
}
