package dev.intakeauth.testing;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.ApplicationPrivileges;
import dev.intakeauth.CheckResult;
import dev.intakeauth.PrivilegeChecker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Wraps a backend and makes it misbehave on demand: hang, refuse, fail the next N calls, or throw.
 * Counts calls. Thread-safe.
 *
 * <pre>{@code
 * FaultInjectingChecker backend = FaultInjectingChecker.wrap(fakeKeys);
 * backend.failNext(3);   // three "unavailable" answers, then normal again
 * backend.hang();        // calls never answer until release()
 * }</pre>
 */
public final class FaultInjectingChecker implements PrivilegeChecker {

  private enum Mode { PASS, HANG, REFUSE, THROW }

  private record Pending(CompletableFuture<CheckResult> future, ApiKeyCredential credential, ApplicationPrivileges scope) {}

  private final PrivilegeChecker delegate;
  private final AtomicInteger calls = new AtomicInteger();
  private final List<Pending> pending = new ArrayList<>();
  private Mode mode = Mode.PASS;
  private int failuresLeft;

  private FaultInjectingChecker(PrivilegeChecker delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /**
   * Wraps a backend; calls pass through until a fault is switched on.
   *
   * @param delegate the backend that answers normally
   * @return the wrapper
   */
  public static FaultInjectingChecker wrap(PrivilegeChecker delegate) {
    return new FaultInjectingChecker(delegate);
  }

  /**
   * From now on calls get no answer until {@link #release()} or {@link #heal()}.
   *
   * @return this checker
   */
  public synchronized FaultInjectingChecker hang() {
    mode = Mode.HANG;
    return this;
  }

  /**
   * From now on calls answer "unavailable", like a refused connection.
   *
   * @return this checker
   */
  public synchronized FaultInjectingChecker refuse() {
    mode = Mode.REFUSE;
    return this;
  }

  /**
   * From now on {@code checkAsync} throws, breaking the SPI contract, to test that callers cope.
   *
   * @return this checker
   */
  public synchronized FaultInjectingChecker throwing() {
    mode = Mode.THROW;
    return this;
  }

  /**
   * The next {@code n} calls answer "unavailable"; the ones after pass through.
   *
   * @param n how many calls fail
   * @return this checker
   */
  public synchronized FaultInjectingChecker failNext(int n) {
    failuresLeft = n;
    return this;
  }

  /**
   * Back to normal; calls left hanging stay unanswered (use {@link #release()} to answer them).
   *
   * @return this checker
   */
  public synchronized FaultInjectingChecker heal() {
    mode = Mode.PASS;
    failuresLeft = 0;
    return this;
  }

  /**
   * Answers every hanging call from the delegate and goes back to normal.
   *
   * @return how many calls were answered
   */
  public int release() {
    List<Pending> toAnswer;
    synchronized (this) {
      mode = Mode.PASS;
      toAnswer = new ArrayList<>(pending);
      pending.clear();
    }
    for (Pending p : toAnswer) {
      delegate.checkAsync(p.credential(), p.scope()).whenComplete((r, e) -> {
        if (e != null) {
          p.future().completeExceptionally(e);
        } else {
          p.future().complete(r);
        }
      });
    }
    return toAnswer.size();
  }

  /**
   * How many calls reached this backend.
   *
   * @return the number of calls
   */
  public int calls() {
    return calls.get();
  }

  /**
   * How many calls are hanging now.
   *
   * @return the number of unanswered calls
   */
  public synchronized int hanging() {
    pending.removeIf(p -> p.future().isDone());
    return pending.size();
  }

  @Override
  public CompletableFuture<CheckResult> checkAsync(ApiKeyCredential credential, ApplicationPrivileges scope) {
    calls.incrementAndGet();
    synchronized (this) {
      if (failuresLeft > 0) {
        failuresLeft--;
        return CompletableFuture.completedFuture(new CheckResult.Unavailable(Duration.ofSeconds(1), "injected failure"));
      }
      switch (mode) {
        case HANG:
          CompletableFuture<CheckResult> future = new CompletableFuture<>();
          pending.add(new Pending(future, credential, scope));
          return future;
        case REFUSE:
          return CompletableFuture.completedFuture(new CheckResult.Unavailable(Duration.ofSeconds(1), "injected: connection refused"));
        case THROW:
          throw new IllegalStateException("injected failure");
        default:
          break;
      }
    }
    return delegate.checkAsync(credential, scope);
  }

  @Override
  public String toString() {
    return "FaultInjectingChecker[" + delegate + "]";
  }
}
