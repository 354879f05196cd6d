package dev.intakeauth.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TokenBucketTest {

  private final AtomicLong now = new AtomicLong();

  @Test
  void spendsItsCapacityThenRefillsContinuously() {
    TokenBucket bucket = new TokenBucket(60, Duration.ofMinutes(1), now::get);
    for (int i = 0; i < 60; i++) {
      assertThat(bucket.tryTake()).isZero();
    }
    long wait = bucket.tryTake();
    assertThat(wait).isEqualTo(TimeUnit.SECONDS.toNanos(1));
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(999));
    assertThat(bucket.tryTake()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(1));
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(1));
    assertThat(bucket.tryTake()).isZero();
    assertThat(bucket.tryTake()).isPositive();
  }

  @Test
  void anIdleSoLongThatTokensPlusSavingsOverflowALongStillLeavesTheBucketFull() {
    // A nanosecond a token and a huge burst: what an events-per-second and burst-factor limiter can be configured to.
    long capacity = 1L << 62;
    TokenBucket bucket = new TokenBucket(capacity, 1_000_000_000, Duration.ofSeconds(1), now::get);
    assertThat(bucket.tryTake()).isZero();
    now.addAndGet(Long.MAX_VALUE - 1);
    assertThat(bucket.tryTake(capacity)).as("full again, not wrapped negative and refusing").isZero();
    assertThat(bucket.tryTake()).isPositive();
  }

  @Test
  void theWaitForABucketWhoseFillTimeExceedsALongSaysForeverNotOneNanosecond() {
    TokenBucket bucket = new TokenBucket(Long.MAX_VALUE / 2, 1, Duration.ofDays(1), now::get, 0);
    assertThat(bucket.tryTake(Long.MAX_VALUE / 2)).isEqualTo(Long.MAX_VALUE);
    assertThat(bucket.nanosToFill()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void neverSavesUpMoreThanItsCapacity() {
    TokenBucket bucket = new TokenBucket(10, Duration.ofMinutes(1), now::get);
    now.addAndGet(TimeUnit.HOURS.toNanos(5));
    int taken = 0;
    while (bucket.tryTake() == 0) {
      taken++;
    }
    assertThat(taken).isEqualTo(10);
  }

  @Test
  void takingMoreThanTheCapacityIsRefusedNotChargedTheCapacity() {
    TokenBucket bucket = new TokenBucket(10, Duration.ofSeconds(1), now::get);
    assertThatThrownBy(() -> bucket.tryTake(11)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> bucket.tryTake(0)).isInstanceOf(IllegalArgumentException.class);
    assertThat(bucket.tryTake(10)).as("nothing was taken").isZero();
    assertThat(bucket.capacity()).isEqualTo(10);
    assertThat(bucket.nanosToFill()).isEqualTo(TimeUnit.SECONDS.toNanos(1));
  }

  @Test
  void anEmptyStartingBucketFillsAtItsRateAndGivenBackTokensNeverOverfillIt() {
    TokenBucket bucket = new TokenBucket(10, 10, Duration.ofSeconds(1), now::get, 0);
    assertThat(bucket.tryTake(1)).isEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(500));
    assertThat(bucket.tryTake(5)).isZero();
    bucket.giveBack(5);
    bucket.giveBack(100);
    assertThat(bucket.tryTake(10)).isZero();
    assertThat(bucket.tryTake(1)).isPositive();
    assertThatThrownBy(() -> new TokenBucket(10, 10, Duration.ofSeconds(1), now::get, 11)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aDrainedBucketRefillsFromTheMomentItWasDrained() {
    TokenBucket bucket = new TokenBucket(10, Duration.ofMinutes(1), now::get);
    now.addAndGet(TimeUnit.SECONDS.toNanos(5));
    bucket.drain();
    assertThat(bucket.tryTake()).isEqualTo(TimeUnit.SECONDS.toNanos(6));
    now.addAndGet(TimeUnit.SECONDS.toNanos(6));
    assertThat(bucket.tryTake()).isZero();
    assertThat(bucket.tryTake()).isPositive();
  }

  @Test
  void aTokenGivenBackCanBeTakenAgainButNeverOverfillsTheBucket() {
    TokenBucket bucket = new TokenBucket(2, Duration.ofMinutes(1), now::get);
    assertThat(bucket.tryTake()).isZero();
    assertThat(bucket.tryTake()).isZero();
    bucket.giveBack();
    assertThat(bucket.tryTake()).isZero();
    assertThat(bucket.tryTake()).isPositive();
    now.addAndGet(TimeUnit.MINUTES.toNanos(5));
    bucket.giveBack();
    bucket.giveBack();
    assertThat(bucket.tryTake()).isZero();
    assertThat(bucket.tryTake()).isZero();
    assertThat(bucket.tryTake()).isPositive();
  }
}
