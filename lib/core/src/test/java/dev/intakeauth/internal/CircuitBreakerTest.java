package dev.intakeauth.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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

  @Test
  void eachRealChangeIsToldOnceInOrder() {
    List<String> told = new ArrayList<>();
    CircuitBreaker observed = new CircuitBreaker(2, Duration.ofSeconds(5), now::get, (from, to) -> told.add(from + "->" + to));
    observed.onSuccess();
    observed.onFailure();
    observed.onFailure();
    // A late failure of a call made before it opened changes nothing.
    observed.onFailure();
    assertThat(observed.tryAcquire()).isPositive();
    now.addAndGet(TimeUnit.SECONDS.toNanos(5));
    assertThat(observed.tryAcquire()).isZero();
    observed.abandonProbe();
    assertThat(observed.tryAcquire()).isZero();
    observed.onFailure();
    now.addAndGet(TimeUnit.SECONDS.toNanos(5));
    assertThat(observed.tryAcquire()).isZero();
    observed.onSuccess();
    observed.onSuccess();
    assertThat(told).containsExactly(
        "CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED");
  }
}
