package dev.intakeauth.internal;

/**
 * Comparison of a secret with presented characters in time that depends only on the secret's
 * length: neither where the first difference is nor the presented length changes the work done.
 */
public final class ConstantTime {

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
}
