package dev.intakeauth;

import org.jspecify.annotations.Nullable;

/**
 * Hears what the library does while it runs, for metrics, logs or tests: each request's outcome,
 * each backend call, the cache, the budgets, the circuit breaker, anonymous rate limiting, the
 * revocation feed and reloads. Every method has an empty default, so an implementation overrides
 * only what it needs.
 *
 * <p>A listener is set on each builder whose component reports (for example
 * {@code CachingPrivilegeChecker.Builder.listener}, {@code AccessControl.Builder.listener},
 * {@code AnonymousRateLimiter.Builder.listener}); one object may serve them all. Without one, nothing
 * is reported and nothing is spent on it.
 *
 * <p>Methods are called on the thread that did the work, often a request thread, so they must be
 * fast, thread-safe and must not block. They never receive a secret: no credential, no key id, no
 * client address. An exception thrown by a listener is caught and logged (at most once a minute) and
 * never changes an answer.
 */
public interface AuthListener {

  /** The listener that hears nothing. */
  AuthListener NONE = new AuthListener() {
    @Override
    public String toString() {
      return "AuthListener.NONE";
    }
  };

  /**
   * One request's outcome, once per request, as {@code AccessControl} decided it (routes that let
   * every request through and CORS preflights are not reported).
   *
   * @param outcome what was answered, and why
   * @param method how the caller authenticated, or tried to: the method of an authenticated caller;
   *     for a refusal, {@link AuthMethod#SECRET_TOKEN} or {@link AuthMethod#API_KEY} when the
   *     credential's scheme was recognised, {@link AuthMethod#ANONYMOUS} when the request carried no
   *     credential, and null when it could not be told (a malformed header)
   */
  default void onRequest(Outcome outcome, @Nullable AuthMethod method) {}

  /**
   * An event of an admitted request refused afterwards, for example by the anonymous allow-lists
   * ({@code RequestAuthorization.authorizeEvent}) or the per-event rate limit.
   *
   * @param outcome why it was refused
   */
  default void onEventRefused(Outcome outcome) {}

  /**
   * One call to the backend (a lookup or a refresh ahead of expiry) has settled.
   *
   * @param result what it answered
   * @param durationNanos how long it took, in nanoseconds
   */
  default void onBackendCall(BackendResult result, long durationNanos) {}

  /** A lookup found a usable answer in the cache. */
  default void onCacheHit() {}

  /** A lookup found no usable answer in the cache and had to ask (or wait for) the backend. */
  default void onCacheMiss() {}

  /**
   * A cached answer left the cache.
   *
   * @param cause why
   */
  default void onCacheEviction(EvictionCause cause) {}

  /**
   * A new key was not looked up because a budget was spent (the lookup was answered 503).
   *
   * @param scope which budget
   */
  default void onBudgetRefusal(BudgetScope scope) {}

  /**
   * The circuit breaker in front of the backend changed state.
   *
   * @param from the state before
   * @param to the state now
   */
  default void onBreakerStateChange(BreakerState from, BreakerState to) {}

  /** An anonymous request or event was refused by the per-client rate limit (429). */
  default void onAnonymousRateLimited() {}

  /**
   * One round of the revocation feed has finished.
   *
   * @param succeeded whether the backend answered
   * @param keyIdsChecked how many cached key ids were asked about
   * @param revoked how many of them were found invalidated or expired, and evicted
   * @param durationNanos how long the round took, in nanoseconds
   */
  default void onRevocationCheck(boolean succeeded, int keyIdsChecked, int revoked, long durationNanos) {}

  /**
   * A watched source (a keys file, secret tokens) changed and was reloaded, or could not be.
   *
   * @param source what was reloaded, as its builder names it (for example {@code "keys file"})
   * @param succeeded whether the new content was taken; false means the last good state is kept
   */
  default void onReload(String source, boolean succeeded) {}

  /** What a backend call answered. */
  enum BackendResult {
    /** The key is valid; its privileges came back. */
    GRANTED,
    /** The key is unknown, invalidated or expired. */
    UNKNOWN_KEY,
    /** The backend failed (refused, errored, answered something unreadable). */
    UNAVAILABLE,
    /** The backend gave no answer within the deadline. */
    TIMED_OUT
  }

  /** Why a cached answer left the cache. */
  enum EvictionCause {
    /** Its lifetime ran out. */
    EXPIRED,
    /** The cache was full. */
    SIZE,
    /** It was invalidated: by key id, in bulk, or by the revocation feed. */
    INVALIDATED
  }

  /** Which budget refused a new key. */
  enum BudgetScope {
    /** The budget of new keys per minute for the whole instance. */
    GLOBAL,
    /** One client's share of it. */
    CLIENT
  }
}
