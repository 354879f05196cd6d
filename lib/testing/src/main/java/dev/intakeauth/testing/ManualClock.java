package dev.intakeauth.testing;

import dev.intakeauth.TimeSource;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Time that moves only when a test says so: a {@link TimeSource} whose monotonic reading (for
 * lifetimes, budgets, rate limits and breakers) and wall-clock instant (for expiry dates) are both
 * driven by {@link #advance(Duration)}. Thread-safe.
 *
 * <pre>{@code
 * ManualClock clock = new ManualClock();
 * CachingPrivilegeChecker checker = CachingPrivilegeChecker.builder(fake).timeSource(clock).build();
 * clock.advance(Duration.ofSeconds(61));   // every answer has now expired
 * }</pre>
 */
public final class ManualClock implements TimeSource {

  private final Instant origin;
  private final AtomicLong nanos = new AtomicLong();

  /** Starts at 2030-01-01T00:00:00Z. */
  public ManualClock() {
    this(Instant.parse("2030-01-01T00:00:00Z"));
  }

  /**
   * Starts at a given instant.
   *
   * @param origin the wall-clock time at monotonic reading 0
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
  public long nanoTime() {
    return nanos.get();
  }

  @Override
  public Instant instant() {
    return origin.plusNanos(nanos.get());
  }

  @Override
  public String toString() {
    return "ManualClock[" + instant() + "]";
  }
}
