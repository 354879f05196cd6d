package dev.intakeauth;

import java.util.Locale;

/**
 * The outcome of one request (or event), by reason, with the status it is answered with. A small,
 * fixed set, so that it can tag metrics.
 */
public enum Outcome {
  /** Let in. */
  AUTHENTICATED(200),
  /** 400: the request is contradictory (for example, several credentials). */
  INVALID_REQUEST(400),
  /** 401: no credential, where one is needed. */
  MISSING(401),
  /** 401: the header or credential is not well formed. */
  MALFORMED(401),
  /** 401: the value is longer than the maximum length. */
  TOO_LONG(401),
  /** 401: a scheme other than {@code Bearer} and {@code ApiKey}. */
  UNKNOWN_SCHEME(401),
  /** 401: the credential's method is not enabled. */
  METHOD_DISABLED(401),
  /** 401: a wrong secret token, or an unknown, invalidated or expired API key. */
  INVALID_CREDENTIALS(401),
  /** 401: a valid API key that holds none of the application's privileges. */
  NO_PRIVILEGES(401),
  /** 403: the caller lacks the privilege the route needs. */
  LACKING_PRIVILEGE(403),
  /** 403: anonymous access is not permitted here, or for this agent or service. */
  ANONYMOUS_NOT_PERMITTED(403),
  /** 403: the browser origin is not allowed. */
  ORIGIN_NOT_ALLOWED(403),
  /** 403: a credential over plain HTTP where TLS is required. */
  PLAIN_HTTP(403),
  /** 405: the route does not take this method. */
  METHOD_NOT_ALLOWED(405),
  /** 429: over the anonymous rate limit. */
  RATE_LIMITED(429),
  /** 503: the backend is unavailable, or a budget is spent. */
  UNAVAILABLE(503);

  private final int status;
  private final String tag;

  Outcome(int status) {
    this.status = status;
    this.tag = name().toLowerCase(Locale.ROOT);
  }

  /**
   * The status the request is answered with.
   *
   * @return an HTTP status; 200 for {@link #AUTHENTICATED}
   */
  public int status() {
    return status;
  }

  /**
   * The name in lower case, for a metric tag.
   *
   * @return for example {@code invalid_credentials}
   */
  public String tag() {
    return tag;
  }
}
