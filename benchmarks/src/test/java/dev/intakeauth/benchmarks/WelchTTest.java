package dev.intakeauth.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WelchTTest {

  @Test
  void matchesTheTextbookValueForSmallSamples() {
    // Class 0: 1, 2, 3, 4 (mean 2.5, variance 5/3); class 1: 2, 4, 6 (mean 4, variance 4).
    WelchT t = new WelchT();
    for (int x : new int[] {1, 2, 3, 4}) {
      t.add(0, x);
    }
    for (int x : new int[] {2, 4, 6}) {
      t.add(1, x);
    }
    double expected = (2.5 - 4) / Math.sqrt((5.0 / 3) / 4 + 4.0 / 3);
    assertThat(t.t()).isCloseTo(expected, within(1e-12));
    assertThat(t.count(0)).isEqualTo(4);
    assertThat(t.mean(1)).isCloseTo(4, within(1e-12));
  }

  @Test
  void tellsAShiftedDistributionFromTheSameOneAndNotTheSameFromItself() {
    SplittableRandom random = new SplittableRandom(1);
    WelchT same = new WelchT();
    WelchT shifted = new WelchT();
    for (int i = 0; i < 200_000; i++) {
      int c = random.nextInt(2);
      double noise = random.nextGaussian() * 100;
      same.add(c, 1000 + noise);
      shifted.add(c, 1000 + noise + (c == 0 ? 2 : 0));
    }
    assertThat(Math.abs(same.t())).isLessThan(4.5);
    assertThat(shifted.t()).isGreaterThan(4.5);
  }

  @Test
  void isZeroUntilEachClassHasTwoValues() {
    WelchT t = new WelchT();
    t.add(0, 1);
    t.add(0, 2);
    t.add(1, 5);
    assertThat(t.t()).isZero();
  }
}
