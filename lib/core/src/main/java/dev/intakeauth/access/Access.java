package dev.intakeauth.access;

/** Who may use a route. */
public enum Access {
  /** Only callers with a valid credential that holds the route's privilege. */
  CREDENTIALS,
  /** Also requests without a credential, when anonymous access is enabled (browser agents). */
  ANONYMOUS_WHEN_ENABLED,
  /**
   * Anyone: a credential is checked when one is sent, and the application sees the outcome, but a
   * failed or missing one does not stop the request (APM Server's {@code GET /}).
   */
  OPTIONAL
}
