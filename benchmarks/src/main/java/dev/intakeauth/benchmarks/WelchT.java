package dev.intakeauth.benchmarks;

/**
 * Welch's t statistic for two samples, kept online (Welford's mean and variance), as dudect uses it:
 * {@code t = (mean0 - mean1) / sqrt(var0 / n0 + var1 / n1)}.
 */
final class WelchT {

  private final long[] n = new long[2];
  private final double[] mean = new double[2];
  private final double[] m2 = new double[2];

  /**
   * Adds one measurement.
   *
   * @param sampleClass 0 or 1
   * @param x the value
   */
  void add(int sampleClass, double x) {
    long count = ++n[sampleClass];
    double delta = x - mean[sampleClass];
    mean[sampleClass] += delta / count;
    m2[sampleClass] += delta * (x - mean[sampleClass]);
  }

  /**
   * The statistic; 0 until each class has two values.
   *
   * @return t
   */
  double t() {
    if (n[0] < 2 || n[1] < 2) {
      return 0;
    }
    double v0 = m2[0] / (n[0] - 1);
    double v1 = m2[1] / (n[1] - 1);
    double se = Math.sqrt(v0 / n[0] + v1 / n[1]);
    return se == 0 ? 0 : (mean[0] - mean[1]) / se;
  }

  /**
   * How many values a class has.
   *
   * @param sampleClass 0 or 1
   * @return the count
   */
  long count(int sampleClass) {
    return n[sampleClass];
  }

  /**
   * A class's mean.
   *
   * @param sampleClass 0 or 1
   * @return the mean
   */
  double mean(int sampleClass) {
    return mean[sampleClass];
  }
}
