package dev.intakeauth.internal;

/**
 * Comparison of a secret with presented characters in time that depends only on the secret's
 * length: neither where the first difference is nor the presented length changes the work done.
 */
public final class ConstantTime {

  private ConstantTime() {}

  /**
   * 1 if {@code presented[0, length)} equals {@code expected}, else 0, computed without a branch on
   * the outcome, so that a caller can pick its answer by index and spend the same time on a match as
   * on a mismatch. Every character of {@code expected} is compared with the character at the same
   * index of {@code presented}, whatever {@code length} is (beyond it, {@code presented} holds
   * whatever it holds, and the length difference alone makes the answer 0). Allocates nothing.
   *
   * @param expected the secret
   * @param presented the presented characters, in an array at least as long as {@code expected}
   * @param length how many characters were presented
   * @return 1 if equal, else 0
   * @throws IllegalArgumentException if {@code presented} is shorter than {@code expected}
   */
  public static int equalsBit(char[] expected, char[] presented, int length) {
    int n = expected.length;
    if (presented.length < n) {
      throw new IllegalArgumentException("the presented array must be at least as long as the secret");
    }
    int diff = n ^ length;
    for (int i = 0; i < n; i++) {
      diff |= expected[i] ^ presented[i];
    }
    // diff is never negative: 1 when it is 0, else 0.
    return (diff - 1) >>> 31;
  }
}
