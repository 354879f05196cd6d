package dev.intakeauth.internal;

/**
 * Comparison of a secret with presented text in time that depends only on the secret's length:
 * neither where the first difference is nor the presented length changes the work done.
 */
public final class ConstantTime {

  private ConstantTime() {}

  /**
   * Whether {@code presented[from, to)} equals {@code expected}. Every character of {@code expected}
   * is compared whatever the outcome; a presented value of another length is read at index 0
   * instead of out of range, so it costs the same as a wrong value of the right length. Allocates
   * nothing.
   *
   * @param expected the secret
   * @param presented text holding the presented value
   * @param from where the presented value starts
   * @param to where it ends (exclusive)
   * @return true if equal
   */
  public static boolean equals(char[] expected, String presented, int from, int to) {
    return equalsBit(expected, presented, from, to) == 1;
  }

  /**
   * {@link #equals} as 1 (equal) or 0, computed without a branch on the outcome, so that a caller
   * can pick its answer by index and spend the same time on a match as on a mismatch.
   *
   * @param expected the secret
   * @param presented text holding the presented value
   * @param from where the presented value starts
   * @param to where it ends (exclusive)
   * @return 1 if equal, else 0
   */
  public static int equalsBit(char[] expected, String presented, int from, int to) {
    int n = expected.length;
    int m = to - from;
    if (m <= 0) {
      return n == 0 && m == 0 ? 1 : 0;
    }
    int diff = n ^ m;
    for (int i = 0; i < n; i++) {
      // i when i < m, else 0: an arithmetic select, so the presented length adds no branch.
      int j = ((i - m) >>> 31) * i;
      diff |= expected[i] ^ presented.charAt(from + j);
    }
    // diff is never negative: 1 when it is 0, else 0.
    return (diff - 1) >>> 31;
  }
}
