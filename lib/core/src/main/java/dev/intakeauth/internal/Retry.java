package dev.intakeauth.internal;

import java.time.Duration;

/**
 * The one-second floor of every retry hint: {@code Retry-After} counts whole seconds, so a shorter
 * hint would tell a client to retry at once, and a flood of immediate retries is what a 429 or 503
 * is meant to prevent.
 */
public final class Retry {

  /** The shortest retry hint given: one second. */
  public static final Duration MINIMUM = Duration.ofSeconds(1);

  /** {@link #MINIMUM} in nanoseconds. */
  public static final long MINIMUM_NANOS = MINIMUM.toNanos();

  private Retry() {}

  /**
   * The hint, raised to {@link #MINIMUM} if shorter.
   *
   * @param retryAfter a retry hint
   * @return the hint, at least one second
   */
  public static Duration atLeastOneSecond(Duration retryAfter) {
    return retryAfter.compareTo(MINIMUM) < 0 ? MINIMUM : retryAfter;
  }

  /**
   * The hint in whole seconds, rounded up and at least 1, as a {@code Retry-After} header carries it.
   *
   * @param retryAfter a retry hint
   * @return whole seconds, at least 1
   */
  public static long wholeSeconds(Duration retryAfter) {
    long seconds = retryAfter.getSeconds() + (retryAfter.getNano() > 0 ? 1 : 0);
    return Math.max(1, seconds);
  }
}
