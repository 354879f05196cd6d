package dev.intakeauth.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {

  private final AtomicLong now = new AtomicLong();
  private final CircuitBreaker breaker = new CircuitBreaker(3, Duration.ofSeconds(5), now::get);

  @Test
  void opensAfterTheThresholdAndLetsOneProbeThroughAfterTheCoolDown() {
    breaker.onFailure();
    breaker.onFailure();
    assertThat(breaker.tryAcquire()).isZero();
    breaker.onFailure();
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
    assertThat(breaker.tryAcquire()).isEqualTo(TimeUnit.SECONDS.toNanos(5));
    now.addAndGet(TimeUnit.SECONDS.toNanos(5));
    assertThat(breaker.tryAcquire()).isZero();
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
    assertThat(breaker.tryAcquire()).as("only one probe at a time").isPositive();
    breaker.onSuccess();
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(breaker.tryAcquire()).isZero();
  }

  @Test
  void aFailedProbeOpensItAgainForAFullCoolDown() {
    for (int i = 0; i < 3; i++) {
      breaker.onFailure();
    }
    now.addAndGet(TimeUnit.SECONDS.toNanos(6));
    assertThat(breaker.tryAcquire()).isZero();
    breaker.onFailure();
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
    assertThat(breaker.tryAcquire()).isEqualTo(TimeUnit.SECONDS.toNanos(5));
  }

  @Test
  void anAbandonedProbeLetsTheNextCallProbe() {
    for (int i = 0; i < 3; i++) {
      breaker.onFailure();
    }
    now.addAndGet(TimeUnit.SECONDS.toNanos(5));
    assertThat(breaker.tryAcquire()).isZero();
    breaker.abandonProbe();
    assertThat(breaker.tryAcquire()).isZero();
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
  }

  @Test
  void successesInBetweenResetTheCount() {
    breaker.onFailure();
    breaker.onFailure();
    breaker.onSuccess();
    breaker.onFailure();
    breaker.onFailure();
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
  }
}
