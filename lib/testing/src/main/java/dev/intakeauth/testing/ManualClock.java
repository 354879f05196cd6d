package dev.intakeauth.testing;

import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Time that moves only when a test says so: a {@link Ticker} for caches, budgets and breakers, and a
 * {@link Clock} for expiry dates, both driven by {@link #advance(Duration)}. Thread-safe.
 */
public final class ManualClock extends Clock implements Ticker {

  private final Instant origin;
  private final AtomicLong nanos = new AtomicLong();

  /** Starts at 2030-01-01T00:00:00Z. */
  public ManualClock() {
    this(Instant.parse("2030-01-01T00:00:00Z"));
  }

  /**
   * Starts at a given instant.
   *
   * @param origin the wall-clock time of ticker reading 0
   */
  public ManualClock(Instant origin) {
    this.origin = origin;
  }

  /**
   * Moves time forward.
   *
   * @param duration how far; not negative
   * @return this clock
   */
  public ManualClock advance(Duration duration) {
    if (duration.isNegative()) {
      throw new IllegalArgumentException("time does not go back: " + duration);
    }
    nanos.addAndGet(duration.toNanos());
    return this;
  }

  @Override
  public long read() {
    return nanos.get();
  }

  @Override
  public Instant instant() {
    return origin.plusNanos(nanos.get());
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    if (!ZoneOffset.UTC.equals(zone)) {
      throw new UnsupportedOperationException("a ManualClock is always UTC");
    }
    return this;
  }

  @Override
  public String toString() {
    return "ManualClock[" + instant() + "]";
  }
}
