package dev.intakeauth.internal;

import java.time.Duration;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Fails fast while a backend keeps failing. Closed until {@code threshold} failures in a row; then
 * open for {@code coolDown}; then one probe is let through (half-open): success closes it, failure
 * opens it again.
 *
 * <p>Each real change of state is told, once, to an optional callback, called while the breaker's
 * lock is held so that changes are told in the order they happened; it must be fast and must not
 * call back into the breaker.
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
  private final @Nullable BiConsumer<State, State> transitions;
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
    this(threshold, coolDown, nanoTime, null);
  }

  /**
   * Makes a closed breaker that tells each change of state.
   *
   * @param threshold failures in a row that open it; positive
   * @param coolDown how long it stays open before a probe
   * @param nanoTime the monotonic time in nanoseconds
   * @param transitions called with the state before and after each change, or null
   */
  public CircuitBreaker(int threshold, Duration coolDown, LongSupplier nanoTime, @Nullable BiConsumer<State, State> transitions) {
    this.nanoTime = nanoTime;
    this.transitions = transitions;
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
          moveTo(State.HALF_OPEN);
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
      moveTo(State.OPEN);
      openedAt = nanoTime.getAsLong() - coolDownNanos;
    }
  }

  /** Records a call that got an answer. */
  public synchronized void onSuccess() {
    moveTo(State.CLOSED);
    failures = 0;
  }

  /** Records a call that failed. */
  public synchronized void onFailure() {
    failures++;
    if (state == State.HALF_OPEN || failures >= threshold) {
      moveTo(State.OPEN);
      openedAt = nanoTime.getAsLong();
    }
  }

  /** Changes the state, and tells a real change. Called with the lock held. */
  private void moveTo(State next) {
    State previous = state;
    state = next;
    if (previous != next && transitions != null) {
      transitions.accept(previous, next);
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
