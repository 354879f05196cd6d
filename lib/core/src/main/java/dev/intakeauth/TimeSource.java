package dev.intakeauth;

import java.time.Instant;

/**
 * The library's one source of time: a monotonic reading for lifetimes, budgets, rate limits and the
 * breaker, and the wall-clock instant for expiry dates. Every builder that needs time takes one, so
 * that tests drive time by hand (see {@code ManualClock} in {@code intake-auth-testing}) and never
 * sleep. Implementations are thread-safe.
 */
public interface TimeSource {

  /**
   * A monotonic reading in nanoseconds, comparable only with other readings of the same source
   * (by difference, as {@link System#nanoTime()}).
   *
   * @return the reading
   */
  long nanoTime();

  /**
   * The wall-clock time.
   *
   * @return now
   */
  Instant instant();

  /**
   * The system's time: {@link System#nanoTime()} and {@link Instant#now()}.
   *
   * @return the system time source
   */
  static TimeSource system() {
    return SystemTime.INSTANCE;
  }
}

/** The system's clocks. */
enum SystemTime implements TimeSource {
  INSTANCE;

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public Instant instant() {
    return Instant.now();
  }

  @Override
  public String toString() {
    return "TimeSource.system()";
  }
}
