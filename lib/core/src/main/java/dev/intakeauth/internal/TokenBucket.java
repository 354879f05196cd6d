package dev.intakeauth.internal;

import java.util.function.LongSupplier;
import java.time.Duration;

/**
 * A token bucket that refills continuously: {@code refill} tokens per {@code period}, at most
 * {@code capacity} saved up. Time is read from a supplier so that tests never sleep.
 */
public final class TokenBucket {

  private final LongSupplier nanoTime;
  private final long capacity;
  private final long nanosPerToken;
  private long available;
  private long lastRefill;

  /**
   * Makes a full bucket that refills its whole capacity once per period.
   *
   * @param capacity tokens per period, and the most that can be saved up; positive
   * @param period the refill period
   * @param nanoTime the monotonic time in nanoseconds
   */
  public TokenBucket(long capacity, Duration period, LongSupplier nanoTime) {
    this(capacity, capacity, period, nanoTime);
  }

  /**
   * Makes a full bucket.
   *
   * @param capacity the most tokens that can be saved up (the burst); positive
   * @param refill tokens added per period; positive
   * @param period the refill period
   * @param nanoTime the monotonic time in nanoseconds
   */
  public TokenBucket(long capacity, long refill, Duration period, LongSupplier nanoTime) {
    this(capacity, refill, period, nanoTime, capacity);
  }

  /**
   * Makes a bucket holding {@code initial} tokens to begin with.
   *
   * @param capacity the most tokens that can be saved up (the burst); positive
   * @param refill tokens added per period; positive
   * @param period the refill period
   * @param nanoTime the monotonic time in nanoseconds
   * @param initial tokens available now, from 0 to {@code capacity}
   */
  public TokenBucket(long capacity, long refill, Duration period, LongSupplier nanoTime, long initial) {
    this.nanoTime = nanoTime;
    this.capacity = Require.positive(capacity, "capacity");
    this.nanosPerToken = Math.max(1, period.toNanos() / Require.positive(refill, "refill"));
    if (initial < 0 || initial > capacity) {
      throw new IllegalArgumentException("initial must be from 0 to the capacity, got " + initial);
    }
    this.available = initial;
    this.lastRefill = nanoTime.getAsLong();
  }

  /**
   * The most tokens this bucket can hold: a larger {@link #tryTake(long)} can never succeed.
   *
   * @return the capacity
   */
  public long capacity() {
    return capacity;
  }

  /**
   * How long an empty bucket takes to fill up.
   *
   * @return nanoseconds
   */
  public long nanosToFill() {
    return nanosFor(capacity);
  }

  /** The time {@code tokens} take to refill; {@code Long.MAX_VALUE} when that does not fit in a long. */
  private long nanosFor(long tokens) {
    return tokens > Long.MAX_VALUE / nanosPerToken ? Long.MAX_VALUE : tokens * nanosPerToken;
  }

  /**
   * Takes a token if there is one.
   *
   * @return 0 if a token was taken, otherwise the nanoseconds until the next one
   */
  public long tryTake() {
    return tryTake(1);
  }

  /**
   * Takes {@code n} tokens if there are that many.
   *
   * @param n how many, from 1 to the {@link #capacity()}
   * @return 0 if they were taken, otherwise the nanoseconds until there will be enough
   * @throws IllegalArgumentException if {@code n} is more than the bucket can ever hold: charging
   *     only the capacity would let any amount through at the price of one burst
   */
  public synchronized long tryTake(long n) {
    if (n < 1 || n > capacity) {
      throw new IllegalArgumentException("cannot take " + n + " tokens from a bucket of " + capacity);
    }
    long wanted = n;
    refill();
    if (available >= wanted) {
      available -= wanted;
      return 0;
    }
    long waited = nanoTime.getAsLong() - lastRefill;
    return Math.max(1, nanosFor(wanted - available) - waited);
  }

  /**
   * Returns tokens just taken, when a second limit refused what the first allowed.
   *
   * @param n how many; the bucket never holds more than its capacity
   */
  public synchronized void giveBack(long n) {
    refill();
    available = Math.min(capacity, available + n);
  }

  private void refill() {
    long now = nanoTime.getAsLong();
    long elapsed = now - lastRefill;
    if (elapsed < nanosPerToken) {
      return;
    }
    long tokens = elapsed / nanosPerToken;
    // Not available + tokens >= capacity: after a long enough idle that sum wraps negative.
    if (tokens >= capacity - available) {
      available = capacity;
      lastRefill = now;
    } else {
      available += tokens;
      lastRefill += tokens * nanosPerToken;
    }
  }

  /** Empties the bucket: it refills from now on, as if every token had just been taken. */
  public synchronized void drain() {
    available = 0;
    lastRefill = nanoTime.getAsLong();
  }

  /** Returns one token taken by {@link #tryTake()} whose use was refused further on; never above the capacity. */
  public void giveBack() {
    giveBack(1);
  }
}
