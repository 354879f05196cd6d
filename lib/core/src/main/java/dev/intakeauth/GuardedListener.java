package dev.intakeauth;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link AuthListener} wrapped once so that what it throws never reaches the code that reports to
 * it: the exception is caught and logged at most once a minute, and the answer being made goes on
 * unchanged. Made only for a listener that was set, so that the default reports nothing at all.
 */
final class GuardedListener implements AuthListener {

  private static final Logger LOG = LoggerFactory.getLogger(AuthListener.class);
  private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(60);

  private final AuthListener delegate;
  private final TimeSource time;
  private final AtomicLong lastLog = new AtomicLong(Long.MIN_VALUE);

  private GuardedListener(AuthListener delegate, TimeSource time) {
    this.delegate = delegate;
    this.time = time;
  }

  /**
   * The listener to report to, or null when there is none to report to.
   *
   * @param listener what a builder was given
   * @param time the clock of the once-a-minute log
   * @return null for {@link AuthListener#NONE}, the listener itself if already guarded, else a guard
   */
  static @Nullable AuthListener of(AuthListener listener, TimeSource time) {
    if (listener == AuthListener.NONE) {
      return null;
    }
    return listener instanceof GuardedListener ? listener : new GuardedListener(listener, time);
  }

  private void failed(String event, Throwable failure) {
    if (failure instanceof VirtualMachineError error) {
      throw error;
    }
    long now = time.nanoTime();
    long previous = lastLog.get();
    if ((previous == Long.MIN_VALUE || now - previous >= LOG_INTERVAL_NANOS) && lastLog.compareAndSet(previous, now)) {
      // A listener is never given a secret, so what it threw cannot carry one of ours.
      LOG.warn("AuthListener {} threw from {}; the answer is unaffected; further failures are logged at most once a minute",
          delegate.getClass().getName(), event, failure);
    }
  }

  @Override
  public void onRequest(Outcome outcome, @Nullable AuthMethod method) {
    try {
      delegate.onRequest(outcome, method);
    } catch (Throwable t) {
      failed("onRequest", t);
    }
  }

  @Override
  public void onEventRefused(Outcome outcome) {
    try {
      delegate.onEventRefused(outcome);
    } catch (Throwable t) {
      failed("onEventRefused", t);
    }
  }

  @Override
  public void onBackendCall(BackendResult result, long durationNanos) {
    try {
      delegate.onBackendCall(result, durationNanos);
    } catch (Throwable t) {
      failed("onBackendCall", t);
    }
  }

  @Override
  public void onCacheHit() {
    try {
      delegate.onCacheHit();
    } catch (Throwable t) {
      failed("onCacheHit", t);
    }
  }

  @Override
  public void onCacheMiss() {
    try {
      delegate.onCacheMiss();
    } catch (Throwable t) {
      failed("onCacheMiss", t);
    }
  }

  @Override
  public void onCacheEviction(EvictionCause cause) {
    try {
      delegate.onCacheEviction(cause);
    } catch (Throwable t) {
      failed("onCacheEviction", t);
    }
  }

  @Override
  public void onBudgetRefusal(BudgetScope scope) {
    try {
      delegate.onBudgetRefusal(scope);
    } catch (Throwable t) {
      failed("onBudgetRefusal", t);
    }
  }

  @Override
  public void onBreakerStateChange(BreakerState from, BreakerState to) {
    try {
      delegate.onBreakerStateChange(from, to);
    } catch (Throwable t) {
      failed("onBreakerStateChange", t);
    }
  }

  @Override
  public void onAnonymousRateLimited() {
    try {
      delegate.onAnonymousRateLimited();
    } catch (Throwable t) {
      failed("onAnonymousRateLimited", t);
    }
  }

  @Override
  public void onRevocationCheck(boolean succeeded, int keyIdsChecked, int revoked, long durationNanos) {
    try {
      delegate.onRevocationCheck(succeeded, keyIdsChecked, revoked, durationNanos);
    } catch (Throwable t) {
      failed("onRevocationCheck", t);
    }
  }

  @Override
  public void onReload(String source, boolean succeeded) {
    try {
      delegate.onReload(source, succeeded);
    } catch (Throwable t) {
      failed("onReload", t);
    }
  }

  @Override
  public String toString() {
    return "GuardedListener[" + delegate + "]";
  }
}
