package dev.intakeauth;

/** The state of the circuit breaker in front of a backend. */
public enum BreakerState {
  /** Calls go through. */
  CLOSED,
  /** Calls fail fast, until the cool-down has passed. */
  OPEN,
  /** One probe call is under way; its answer closes or opens the breaker. */
  HALF_OPEN
}
