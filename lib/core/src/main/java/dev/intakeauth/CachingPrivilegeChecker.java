package dev.intakeauth;

import dev.intakeauth.internal.Require;
import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.intakeauth.internal.CacheKey;
import dev.intakeauth.internal.CircuitBreaker;
import dev.intakeauth.internal.LogSafe;
import dev.intakeauth.internal.TokenBucket;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link PrivilegeChecker} that caches another one's answers, so that the hot path never leaves
 * the process, and shields it from overload and outages.
 *
 * <ul>
 *   <li>The cache key is a SHA-256 digest of the whole credential: a wrong secret for a known id
 *       never gets the cached answer, and never locks the right secret out. Entries hold no secret.
 *   <li>{@link CheckResult.Granted} and {@link CheckResult.UnknownKey} answers are cached for
 *       {@link Builder#expireAfterWrite} (default 60 s); {@link CheckResult.Unavailable} never is.
 *   <li>Concurrent first requests for one key share one backend call.
 *   <li>A budget of keys looked up per minute ({@link Builder#newKeysPerMinute}, default 100) that
 *       refills continuously; over it, unseen keys get {@link CheckResult.Unavailable} with a retry hint.
 *   <li>Every backend call has a deadline ({@link Builder#deadline}, default 3 s), and a circuit breaker
 *       fails fast after {@link Builder#breakerThreshold} failures in a row, probing again after
 *       {@link Builder#breakerCoolDown}.
 *   <li>Optionally ({@link Builder#staleIfError}), while the backend is unavailable, the last positive
 *       answer is served for a bounded grace period after it expired.
 * </ul>
 *
 * <pre>{@code
 * PrivilegeChecker checker = CachingPrivilegeChecker.builder(elasticsearch)
 *     .expireAfterWrite(Duration.ofMinutes(1))
 *     .newKeysPerMinute(100)
 *     .build();
 * }</pre>
 */
public final class CachingPrivilegeChecker implements PrivilegeChecker, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(CachingPrivilegeChecker.class);
  private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(60);

  private final PrivilegeChecker backend;
  private final AsyncCache<CacheKey, Answer> cache;
  private final @Nullable Cache<CacheKey, CheckResult.Granted> stale;
  private final TokenBucket budget;
  private final CircuitBreaker breaker;
  private final Duration deadline;
  private final Ticker ticker;
  private final int newKeysPerMinute;
  private final String limitSettingName;
  private final AtomicLong backendCalls = new AtomicLong();
  private final AtomicLong lastBudgetLog = new AtomicLong(Long.MIN_VALUE);

  private CachingPrivilegeChecker(Builder b) {
    this.backend = b.backend;
    this.ticker = b.ticker;
    this.deadline = b.deadline;
    this.newKeysPerMinute = b.newKeysPerMinute;
    this.limitSettingName = b.limitSettingName;
    long ttlNanos = b.expireAfterWrite.toNanos();
    this.cache =
        Caffeine.newBuilder()
            .maximumSize(b.maximumSize)
            .ticker(ticker)
            .executor(b.executor)
            // A fixed lifetime: reads cost half what they do with a per-entry one. "Unavailable" answers
            // are removed as they settle (see forgetIfUnavailable).
            .expireAfterWrite(ttlNanos, TimeUnit.NANOSECONDS)
            .buildAsync();
    this.stale =
        b.staleGrace.isZero()
            ? null
            : Caffeine.newBuilder()
                .maximumSize(b.maximumSize)
                .ticker(ticker)
                .executor(b.executor)
                .expireAfterWrite(b.expireAfterWrite.plus(b.staleGrace))
                .build();
    this.budget = new TokenBucket(b.newKeysPerMinute, Duration.ofMinutes(1), ticker);
    this.breaker = new CircuitBreaker(b.breakerThreshold, b.breakerCoolDown, ticker);
  }

  /**
   * Starts a builder around a backend.
   *
   * @param backend the checker to ask on a cache miss
   * @return a builder with the defaults
   */
  public static Builder builder(PrivilegeChecker backend) {
    return new Builder(backend);
  }

  @Override
  public CompletableFuture<CheckResult> checkAsync(ApiKeyCredential credential, ApplicationPrivileges scope) {
    CacheKey key = CacheKey.of(credential, scope);
    CompletableFuture<Answer> answer = cache.getIfPresent(key);
    if (answer == null) {
      answer = cache.get(key, (k, executor) -> load(k, credential, scope));
    }
    // An answer that settled before the cache held it was not seen by load's own removal.
    forgetIfUnavailable(key, answer);
    Answer done = completed(answer);
    if (done != null && (stale == null || !(done.result instanceof CheckResult.Unavailable))) {
      return CompletableFuture.completedFuture(done.result);
    }
    return answer.thenApply(a -> orStale(key, a.result));
  }

  /**
   * The hot path: the caller's answer for the key whose {@code base64(id:api_key)} text has this
   * SHA-256, when a settled, usable answer is cached; null otherwise (not cached, still being
   * fetched, or "unavailable"), and the caller takes the full path. Only credentials that parsed are
   * ever cached, and the key is the digest of the exact encoded text, so a hit stands for a valid
   * credential.
   */
  @Nullable AuthResult cachedResult(byte[] encodedDigest, ApplicationPrivileges scope) {
    Answer done = completed(cache.getIfPresent(CacheKey.ofDigest(encodedDigest, scope)));
    return done == null ? null : done.authResult;
  }

  private static @Nullable Answer completed(@Nullable CompletableFuture<Answer> answer) {
    return answer != null && answer.isDone() && !answer.isCompletedExceptionally() ? answer.join() : null;
  }

  /**
   * How many calls this checker has made to its backend, for metrics and tests.
   *
   * @return the count since creation
   */
  public long backendCalls() {
    return backendCalls.get();
  }

  /**
   * Drops every answer and closes the backend if it is {@link AutoCloseable} (for example the
   * Elasticsearch checker's REST client).
   *
   * @throws IllegalStateException wrapping what the backend's {@code close()} threw
   */
  @Override
  public void close() {
    invalidateAll();
    if (backend instanceof AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        throw new IllegalStateException("closing the backend failed", e);
      }
    }
  }

  /** Drops every cached answer, for example after keys were invalidated in bulk. */
  public void invalidateAll() {
    cache.synchronous().invalidateAll();
    if (stale != null) {
      stale.invalidateAll();
    }
  }

  private CompletableFuture<Answer> load(CacheKey key, ApiKeyCredential credential, ApplicationPrivileges scope) {
    long breakerWait = breaker.tryAcquire();
    if (breakerWait > 0) {
      return CompletableFuture.completedFuture(
          new Answer(new CheckResult.Unavailable("circuit breaker open: the backend keeps failing", Duration.ofNanos(breakerWait)), null));
    }
    long budgetWait = budget.tryTake();
    if (budgetWait > 0) {
      logBudgetExhausted(key);
      breaker.abandonProbe();
      return CompletableFuture.completedFuture(
          new Answer(
              new CheckResult.Unavailable(
                  "over the budget of " + newKeysPerMinute + " new API keys per minute (" + limitSettingName + ")",
                  Duration.ofNanos(budgetWait)),
              null));
    }
    backendCalls.incrementAndGet();
    CompletableFuture<CheckResult> call = callBackend(credential, scope);
    CompletableFuture<CheckResult> bounded = call.copy().orTimeout(deadline.toNanos(), TimeUnit.NANOSECONDS);
    CompletableFuture<Answer> answer = bounded.handle((result, failure) -> settle(key, result, failure, call));
    answer.thenRun(() -> forgetIfUnavailable(key, answer));
    return answer;
  }

  /**
   * Removes this very answer from the cache if it is "unavailable", so that it is never served again.
   * Called when it settles and again by the caller that put it in the cache (whichever comes after
   * the cache holds it does the removal; the other finds nothing or a newer answer, and leaves it).
   */
  private void forgetIfUnavailable(CacheKey key, CompletableFuture<Answer> answer) {
    Answer done = completed(answer);
    if (done != null && done.result instanceof CheckResult.Unavailable) {
      cache.asMap().remove(key, answer);
    }
  }

  private CompletableFuture<CheckResult> callBackend(ApiKeyCredential credential, ApplicationPrivileges scope) {
    try {
      return Objects.requireNonNull(backend.checkAsync(credential, scope), "backend returned no future");
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private Answer settle(
      CacheKey key, @Nullable CheckResult result, @Nullable Throwable failure, CompletableFuture<CheckResult> call) {
    if (failure != null) {
      Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
      if (cause instanceof TimeoutException) {
        call.cancel(true);
        result = new CheckResult.Unavailable("backend gave no answer within " + deadline, Duration.ofSeconds(1));
      } else {
        result = PrivilegeChecker.unavailable(cause);
      }
    }
    Objects.requireNonNull(result, "backend answered null");
    if (result instanceof CheckResult.Unavailable unavailable) {
      breaker.onFailure();
      LOG.warn("API key {}: backend unavailable: {}", key, unavailable.reason());
    } else {
      breaker.onSuccess();
      if (stale != null) {
        if (result instanceof CheckResult.Granted granted) {
          stale.put(key, granted);
        } else {
          stale.invalidate(key);
        }
      }
    }
    return new Answer(result, Authenticator.apiKeyResult(key.keyId(), result));
  }

  private CheckResult orStale(CacheKey key, CheckResult result) {
    if (result instanceof CheckResult.Unavailable && stale != null) {
      CheckResult.Granted last = stale.getIfPresent(key);
      if (last != null) {
        return last;
      }
    }
    return result;
  }

  private void logBudgetExhausted(CacheKey key) {
    long now = ticker.read();
    long last = lastBudgetLog.get();
    if ((last == Long.MIN_VALUE || now - last >= LOG_INTERVAL_NANOS) && lastBudgetLog.compareAndSet(last, now)) {
      LOG.warn(
          "API key {} refused with 503: more than {} new API keys looked up in a minute; raise {} if this load is expected",
          key,
          newKeysPerMinute,
          limitSettingName);
    }
  }

  @Override
  public String toString() {
    return "CachingPrivilegeChecker[backend=" + backend + ", breaker=" + breaker.state() + "]";
  }

  /**
   * A cached answer, with the request outcome it stands for made once, so that a hit allocates no
   * outcome: null for "unavailable", which is never served from here.
   */
  private static final class Answer {
    final CheckResult result;
    final @Nullable AuthResult authResult;

    Answer(CheckResult result, @Nullable AuthResult authResult) {
      this.result = result;
      this.authResult = authResult;
    }
  }

  /** Configures a {@link CachingPrivilegeChecker}. Every setting has a default. */
  public static final class Builder {
    private final PrivilegeChecker backend;
    private Duration expireAfterWrite = Duration.ofSeconds(60);
    private int newKeysPerMinute = 100;
    private String limitSettingName = "CachingPrivilegeChecker.Builder.newKeysPerMinute";
    private Duration deadline = Duration.ofSeconds(3);
    private int breakerThreshold = 5;
    private Duration breakerCoolDown = Duration.ofSeconds(5);
    private Duration staleGrace = Duration.ZERO;
    private long maximumSize = 100_000;
    private Ticker ticker = Ticker.systemTicker();
    private Executor executor = java.util.concurrent.ForkJoinPool.commonPool();

    private Builder(PrivilegeChecker backend) {
      this.backend = Objects.requireNonNull(backend, "backend");
    }

    /**
     * How long an answer (a key's privileges, or "unknown key") is kept after it was fetched. Never
     * extended by reads. Default 60 s.
     *
     * @param ttl a positive duration
     * @return this builder
     */
    public Builder expireAfterWrite(Duration ttl) {
      this.expireAfterWrite = Require.positive(ttl, "expireAfterWrite");
      return this;
    }

    /**
     * The budget of keys looked up in the backend per minute; it refills continuously. Default 100,
     * like APM Server's {@code apm-server.auth.api_key.limit}.
     *
     * @param limit a positive number
     * @return this builder
     */
    public Builder newKeysPerMinute(int limit) {
      this.newKeysPerMinute = Require.positive(limit, "newKeysPerMinute");
      return this;
    }

    /**
     * The name of the setting that configures {@link #newKeysPerMinute}, as the operator knows it,
     * so that the log line for an exhausted budget names the setting to raise.
     *
     * @param name for example {@code apm-server.auth.api_key.limit}
     * @return this builder
     */
    public Builder limitSettingName(String name) {
      this.limitSettingName = Objects.requireNonNull(name, "name");
      return this;
    }

    /**
     * The overall time one backend call may take, retries included. Default 3 s.
     *
     * @param deadline a positive duration
     * @return this builder
     */
    public Builder deadline(Duration deadline) {
      this.deadline = Require.positive(deadline, "deadline");
      return this;
    }

    /**
     * Failures in a row after which the circuit breaker opens. Default 5.
     *
     * @param failures a positive number
     * @return this builder
     */
    public Builder breakerThreshold(int failures) {
      this.breakerThreshold = Require.positive(failures, "breakerThreshold");
      return this;
    }

    /**
     * How long the open breaker fails fast before it lets one probe through. Default 5 s.
     *
     * @param coolDown a positive duration
     * @return this builder
     */
    public Builder breakerCoolDown(Duration coolDown) {
      this.breakerCoolDown = Require.positive(coolDown, "breakerCoolDown");
      return this;
    }

    /**
     * Serve a key's last positive answer for up to {@code grace} after it expired while the backend
     * is unavailable. Off (zero) by default: a key invalidated during an outage stays usable for the
     * grace period, which is the price of availability.
     *
     * @param grace zero to turn it off, or a positive duration
     * @return this builder
     */
    public Builder staleIfError(Duration grace) {
      if (grace.isNegative()) {
        throw new IllegalArgumentException("staleIfError must not be negative: " + grace);
      }
      this.staleGrace = grace;
      return this;
    }

    /**
     * The most answers kept. Default 100,000; the budget keeps the real number far lower.
     *
     * @param size a positive number
     * @return this builder
     */
    public Builder maximumSize(long size) {
      this.maximumSize = Require.positive(size, "maximumSize");
      return this;
    }

    /**
     * The time source for expiry, the budget and the breaker. Default the system ticker; tests pass
     * a manual one so that they never sleep.
     *
     * @param ticker the time source
     * @return this builder
     */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * Where the cache runs its maintenance. Default the common fork-join pool; tests may pass
     * {@code Runnable::run}.
     *
     * @param executor the executor
     * @return this builder
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Builds the checker.
     *
     * @return a thread-safe checker
     */
    public CachingPrivilegeChecker build() {
      return new CachingPrivilegeChecker(this);
    }

  }
}
