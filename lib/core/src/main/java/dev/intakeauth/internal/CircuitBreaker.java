package dev.intakeauth.internal;

import java.util.function.LongSupplier;
import java.time.Duration;

/**
 * Fails fast while a backend keeps failing. Closed until {@code threshold} failures in a row; then
 * open for {@code coolDown}; then one probe is let through (half-open): success closes it, failure
 * opens it again.
 */
public final class CircuitBreaker {

  /** The breaker's state. */
  public enum State {
    /** Calls go through. */
    CLOSED,
    /** Calls fail fast. */
    OPEN,
    /** One probe call is under way. */
    HALF_OPEN
  }

  private final LongSupplier nanoTime;
  private final int threshold;
  private final long coolDownNanos;
  private State state = State.CLOSED;
  private int failures;
  private long openedAt;

  /**
   * Makes a closed breaker.
   *
   * @param threshold failures in a row that open it; positive
   * @param coolDown how long it stays open before a probe
   * @param nanoTime the monotonic time in nanoseconds
   */
  public CircuitBreaker(int threshold, Duration coolDown, LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
    this.threshold = Require.positive(threshold, "threshold");
    this.coolDownNanos = coolDown.toNanos();
  }

  /**
   * Asks to make a call.
   *
   * @return 0 if the call may go ahead (and, when half-open, it is the probe), otherwise the
   *     nanoseconds until a probe will be let through
   */
  public synchronized long tryAcquire() {
    switch (state) {
      case CLOSED:
        return 0;
      case OPEN:
        long waited = nanoTime.getAsLong() - openedAt;
        if (waited >= coolDownNanos) {
          state = State.HALF_OPEN;
          return 0;
        }
        return coolDownNanos - waited;
      default:
        return Math.max(1, coolDownNanos / 10);
    }
  }

  /** Gives back a probe slot that was acquired but not used, so that the next call may probe. */
  public synchronized void abandonProbe() {
    if (state == State.HALF_OPEN) {
      state = State.OPEN;
      openedAt = nanoTime.getAsLong() - coolDownNanos;
    }
  }

  /** Records a call that got an answer. */
  public synchronized void onSuccess() {
    state = State.CLOSED;
    failures = 0;
  }

  /** Records a call that failed. */
  public synchronized void onFailure() {
    failures++;
    if (state == State.HALF_OPEN || failures >= threshold) {
      state = State.OPEN;
      openedAt = nanoTime.getAsLong();
    }
  }

  /**
   * The current state, for metrics and tests.
   *
   * @return the state
   */
  public synchronized State state() {
    return state;
  }
}
