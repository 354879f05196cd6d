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
   * 1 if {@code presented[0, length)} equals {@code expected}, else 0, computed without a branch on
   * the outcome. Every byte of {@code expected} is compared with the byte at the same index of
   * {@code presented}, whatever {@code length} is (beyond it, {@code presented} holds whatever it
   * holds, and the length difference alone makes the answer 0), eight at a time. Allocates nothing.
   *
   * @param expected the secret
   * @param presented the presented bytes, in an array at least as long as {@code expected}
   * @param length how many bytes were presented
   * @return 1 if equal, else 0
   * @throws IllegalArgumentException if {@code presented} is shorter than {@code expected}
   */
  public static int equalsBit(byte[] expected, byte[] presented, int length) {
    int n = expected.length;
    if (presented.length < n) {
      throw new IllegalArgumentException("the presented array must be at least as long as the secret");
    }
    long diff = n ^ length;
    int i = 0;
    for (; i <= n - Long.BYTES; i += Long.BYTES) {
      diff |= (long) LONGS.get(expected, i) ^ (long) LONGS.get(presented, i);
    }
    for (; i < n; i++) {
      diff |= expected[i] ^ presented[i];
    }
    // (diff | -diff) has its sign bit set exactly when diff is not 0.
    return (int) ((diff | -diff) >>> 63) ^ 1;
  }

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
}
