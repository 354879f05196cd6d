package dev.intakeauth.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Comparison of a secret with presented characters in time that depends only on the secret's
 * length: neither where the first difference is nor the presented length changes the work done.
 */
public final class ConstantTime {

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private ConstantTime() {}

  /**
   * 1 if {@code presented[from, from + length)} equals {@code expected}, else 0, computed without a
   * branch on the outcome, so that a caller can pick its answer by index and spend the same time on a
   * match as on a mismatch. Every character of {@code expected} is compared with a presented
   * character: the one at the same index, or the last one when fewer were presented (the length
   * difference alone then makes the answer 0). Reads the characters in place and allocates nothing.
   *
   * @param expected the secret
   * @param presented the text that holds the presented characters
   * @param from where they start
   * @param length how many characters were presented; at least 1
   * @return 1 if equal, else 0
   * @throws IllegalArgumentException if {@code length} is less than 1
   */
  public static int equalsBit(char[] expected, String presented, int from, int length) {
    if (length < 1) {
      throw new IllegalArgumentException("at least one character must be presented");
    }
    int n = expected.length;
    int last = from + length - 1;
    int diff = n ^ length;
    for (int i = 0; i < n; i++) {
      // Math.min compiles to a conditional move, not a branch.
      diff |= expected[i] ^ presented.charAt(Math.min(from + i, last));
    }
    // diff is never negative: 1 when it is 0, else 0.
    return (diff - 1) >>> 31;
  }

  /** A number no {@code char} equals: the padding of {@link #padded}. */
  private static final int NO_CHARACTER = 0x10000;

  /**
   * A secret's characters, then {@link #NO_CHARACTER} up to {@code length}, for
   * {@link #visibleTokenEqualsBit}.
   *
   * @param secret the secret
   * @param length the longest text that will be compared with it
   * @return the padded characters
   */
  public static int[] padded(String secret, int length) {
    int[] padded = new int[Math.max(length, secret.length())];
    java.util.Arrays.fill(padded, NO_CHARACTER);
    for (int i = 0; i < secret.length(); i++) {
      padded[i] = secret.charAt(i);
    }
    return padded;
  }

  /**
   * Compares {@code text[from, text.length())} with a secret in one pass over the presented
   * characters, in place, and checks in the same pass that they are all visible ASCII (what the header
   * parser takes whole as a token). Each presented character is compared with the secret's at its
   * index, or with the padding beyond it; the work depends only on how many characters were
   * presented, never on the secret, on where a difference is, or on whether there is one.
   *
   * @param paddedSecret the secret as {@link #padded} makes it, at least as long as the text
   * @param secretLength the secret's length
   * @param text the text that holds the presented characters
   * @param from where they start
   * @return 1 if they equal the secret, 0 if not, and -1 if one of them is not visible ASCII (the
   *     caller then takes the full parser, which refuses such a token for its own reason)
   */
  public static int visibleTokenEqualsBit(int[] paddedSecret, int secretLength, String text, int from) {
    int n = text.length();
    int bad = 0;
    int diff = (n - from) ^ secretLength;
    for (int i = from, j = 0; i < n; i++, j++) {
      char c = text.charAt(i);
      // The sign bit is set for c < 0x21 and for c > 0x7e.
      bad |= (c - 0x21) | (0x7e - c);
      diff |= c ^ paddedSecret[j];
    }
    if (bad < 0) {
      return -1;
    }
    // diff is never negative: 1 when it is 0, else 0.
    return (diff - 1) >>> 31;
  }

  /**
   * {@link #visibleTokenEqualsBit} against every one of several secrets, with no early exit: each
   * secret is compared in full and the answers are combined with bit operations, so the work depends
   * only on how many characters were presented and how many secrets there are, never on which secret
   * (if any) they equal.
   *
   * @param paddedSecrets the secrets as {@link #padded} makes them, each at least as long as the text;
   *     at least one
   * @param secretLengths the secrets' lengths, in the same order
   * @param text the text that holds the presented characters
   * @param from where they start
   * @return 1 if they equal one of the secrets, 0 if none, and -1 if one of them is not visible ASCII
   */
  public static int visibleTokenMatchBit(int[][] paddedSecrets, int[] secretLengths, String text, int from) {
    // The first pass also checks the characters; the others only compare. -1 | anything is -1.
    int match = visibleTokenEqualsBit(paddedSecrets[0], secretLengths[0], text, from);
    int n = text.length();
    for (int k = 1; k < paddedSecrets.length; k++) {
      int[] paddedSecret = paddedSecrets[k];
      int diff = (n - from) ^ secretLengths[k];
      for (int i = from, j = 0; i < n; i++, j++) {
        diff |= text.charAt(i) ^ paddedSecret[j];
      }
      match |= (diff - 1) >>> 31;
    }
    return match;
  }

  /**
   * {@link #equalsBit} against every one of several secrets, with no early exit, the answers
   * combined with bit operations: the work depends only on the secrets' lengths, never on which one
   * (if any) the presented characters equal.
   *
   * @param expected the secrets
   * @param presented the text that holds the presented characters
   * @param from where they start
   * @param length how many characters were presented; at least 1
   * @return 1 if they equal one of the secrets, else 0
   */
  public static int anyEqualsBit(char[][] expected, String presented, int from, int length) {
    int match = 0;
    for (char[] secret : expected) {
      match |= equalsBit(secret, presented, from, length);
    }
    return match;
  }
}
