package dev.intakeauth.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryTest {

  @Test
  void hintsShorterThanASecondAreRaisedToOne() {
    assertThat(Retry.atLeastOneSecond(Duration.ZERO)).isEqualTo(Duration.ofSeconds(1));
    assertThat(Retry.atLeastOneSecond(Duration.ofMillis(999))).isEqualTo(Duration.ofSeconds(1));
    assertThat(Retry.atLeastOneSecond(Duration.ofSeconds(-5))).isEqualTo(Duration.ofSeconds(1));
    assertThat(Retry.atLeastOneSecond(Duration.ofMillis(1001))).isEqualTo(Duration.ofMillis(1001));
  }

  @Test
  void wholeSecondsRoundUpAndNeverGoBelowOne() {
    assertThat(Retry.wholeSeconds(Duration.ZERO)).isEqualTo(1);
    assertThat(Retry.wholeSeconds(Duration.ofMillis(-2500))).isEqualTo(1);
    assertThat(Retry.wholeSeconds(Duration.ofSeconds(1))).isEqualTo(1);
    assertThat(Retry.wholeSeconds(Duration.ofMillis(1001))).isEqualTo(2);
    assertThat(Retry.wholeSeconds(Duration.ofNanos(1_000_000_001))).as("rounded up to the nanosecond").isEqualTo(2);
    assertThat(Retry.wholeSeconds(Duration.ofSeconds(30))).isEqualTo(30);
  }
}
