package dev.intakeauth.internal;

import dev.intakeauth.AuthListener;
import dev.intakeauth.AuthMethod;
import dev.intakeauth.BreakerState;
import dev.intakeauth.Outcome;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wraps a user's {@link AuthListener} so that whatever it throws is caught, logged at most once a
 * minute, and never reaches the request it was told about.
 *
 * <p>A component keeps {@link #guard}'s answer in a final field and calls it only when non-null: with
 * no listener there is nothing to call, nothing to allocate and no clock to read.
 */
public final class ListenerGuard implements AuthListener {

  private static final Logger LOG = LoggerFactory.getLogger(ListenerGuard.class);
  private static final long LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

  private final AuthListener delegate;
  private final LongSupplier nanoTime;
  private final AtomicLong nextLog;
  private final AtomicLong unlogged = new AtomicLong();

  ListenerGuard(AuthListener delegate, LongSupplier nanoTime) {
    this.delegate = delegate;
    this.nanoTime = nanoTime;
    this.nextLog = new AtomicLong(nanoTime.getAsLong());
  }

  /**
   * The listener to keep: null when there is none to call.
   *
   * @param listener the listener a builder was given, or null
   * @return null for null and {@link AuthListener#NONE}; otherwise a guarded listener (the same one
   *     when it is guarded already)
   */
  public static @Nullable AuthListener guard(@Nullable AuthListener listener) {
    if (listener == null || listener == AuthListener.NONE) {
      return null;
    }
    return listener instanceof ListenerGuard ? listener : new ListenerGuard(listener, System::nanoTime);
  }

  /**
   * Logs the first failure, and then at most one a minute with the count of those not logged.
   *
   * @return whether this one was logged
   */
  boolean failed(String method, Throwable failure) {
    if (failure instanceof VirtualMachineError error) {
      throw error;
    }
    long now = nanoTime.getAsLong();
    long next = nextLog.get();
    if (now - next < 0 || !nextLog.compareAndSet(next, now + LOG_INTERVAL_NANOS)) {
      unlogged.incrementAndGet();
      return false;
    }
    // A listener never receives a secret, so neither can its exception; the answer stays as decided.
    LOG.warn("the AuthListener {} threw in {} ({} more failures since the last one logged); the answer is unchanged",
        delegate.getClass().getName(), method, unlogged.getAndSet(0), failure);
    return true;
  }

  @Override
  public void onRequest(Outcome outcome, @Nullable AuthMethod method) {
    try {
      delegate.onRequest(outcome, method);
    } catch (Throwable e) {
      failed("onRequest", e);
    }
  }

  @Override
  public void onEventRefused(Outcome outcome) {
    try {
      delegate.onEventRefused(outcome);
    } catch (Throwable e) {
      failed("onEventRefused", e);
    }
  }

  @Override
  public void onBackendCall(BackendResult result, long durationNanos) {
    try {
      delegate.onBackendCall(result, durationNanos);
    } catch (Throwable e) {
      failed("onBackendCall", e);
    }
  }

  @Override
  public void onCacheHit() {
    try {
      delegate.onCacheHit();
    } catch (Throwable e) {
      failed("onCacheHit", e);
    }
  }

  @Override
  public void onCacheMiss() {
    try {
      delegate.onCacheMiss();
    } catch (Throwable e) {
      failed("onCacheMiss", e);
    }
  }

  @Override
  public void onCacheEviction(EvictionCause cause) {
    try {
      delegate.onCacheEviction(cause);
    } catch (Throwable e) {
      failed("onCacheEviction", e);
    }
  }

  @Override
  public void onBudgetRefusal(BudgetScope scope) {
    try {
      delegate.onBudgetRefusal(scope);
    } catch (Throwable e) {
      failed("onBudgetRefusal", e);
    }
  }

  @Override
  public void onBreakerStateChange(BreakerState from, BreakerState to) {
    try {
      delegate.onBreakerStateChange(from, to);
    } catch (Throwable e) {
      failed("onBreakerStateChange", e);
    }
  }

  @Override
  public void onAnonymousRateLimited() {
    try {
      delegate.onAnonymousRateLimited();
    } catch (Throwable e) {
      failed("onAnonymousRateLimited", e);
    }
  }

  @Override
  public void onRevocationCheck(boolean succeeded, int keyIdsChecked, int revoked, long durationNanos) {
    try {
      delegate.onRevocationCheck(succeeded, keyIdsChecked, revoked, durationNanos);
    } catch (Throwable e) {
      failed("onRevocationCheck", e);
    }
  }

  @Override
  public void onReload(String source, boolean succeeded) {
    try {
      delegate.onReload(source, succeeded);
    } catch (Throwable e) {
      failed("onReload", e);
    }
  }

  @Override
  public String toString() {
    return "ListenerGuard[" + delegate.getClass().getName() + "]";
  }
}
