package dev.intakeauth;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.intakeauth.AuthListener.BackendResult;
import dev.intakeauth.AuthListener.BudgetScope;
import dev.intakeauth.AuthListener.EvictionCause;
import dev.intakeauth.internal.CacheKey;
import dev.intakeauth.internal.CircuitBreaker;
import dev.intakeauth.internal.ListenerGuard;
import dev.intakeauth.internal.LogSafe;
import dev.intakeauth.internal.Require;
import dev.intakeauth.internal.Retry;
import dev.intakeauth.internal.TokenBucket;
import dev.intakeauth.internal.TokenScratch;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;
import java.util.function.Predicate;
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
 *   <li>Keys in use never wait on that budget. A granted answer is refreshed ahead of its expiry, in
 *       the background, by the first request that carries the key after 80% of its lifetime, while
 *       the current answer keeps being served; many such requests share one backend call. The
 *       refreshed answer replaces the current one: "unknown key" turns the key away from then on;
 *       "unavailable" keeps the current answer until it expires, and is retried. And a key granted
 *       within the last two lifetimes (so used at least once every two lifetimes) is looked up again
 *       without spending budget once its answer expired. Only digests of such keys are remembered.
 *   <li>Each client (an opaque identity the caller passes, such as its grouped address; see
 *       the authenticator's {@code authenticate(List, String)}) may take at most
 *       {@link Builder#newKeysPerClientPerMinute} (default a tenth of the budget, at least 1) of the
 *       new-key lookups, so that one client's unknown keys cannot spend the whole budget. Lookups
 *       without a client identity spend only the global budget.
 *   <li>Every backend call has a deadline ({@link Builder#deadline}, default 3 s), and a circuit breaker
 *       fails fast after {@link Builder#breakerThreshold} failures in a row, probing again after
 *       {@link Builder#breakerCoolDown}.
 *   <li>Optionally ({@link Builder#staleIfError}), while the backend is unavailable, the last positive
 *       answer is served for a bounded grace period after it expired.
 *   <li>{@link #invalidate(String)} forgets every answer for one key id at once, and an answer whose
 *       backend call was under way when an invalidation came is given to the requests that waited
 *       for it but never cached.
 * </ul>
 *
 * <h2>What the listener hears</h2>
 *
 * With a {@link Builder#listener} set (none by default, which costs nothing: a check of a final
 * field), each lookup reports exactly one {@link AuthListener#onCacheHit()} or
 * {@link AuthListener#onCacheMiss()}, however it came in (the request path's cached outcome, then
 * the full lookup, count as one lookup):
 *
 * <ul>
 *   <li>a <em>hit</em> is a lookup that found a settled, usable answer ("granted" or "unknown key",
 *       within its lifetime) and was answered with it, without waiting for the backend; that
 *       includes an answer served while it is refreshed in the background;
 *   <li>a <em>miss</em> is every other lookup: nothing cached, an expired answer, an answer still
 *       being fetched (a lookup that joins another's backend call waits for the backend, so it is a
 *       miss although it adds no call), a settled "unavailable", or a lookup refused by a budget or
 *       the open breaker before any call.
 * </ul>
 *
 * {@link AuthListener#onCacheEviction} is told once per usable answer that leaves the cache:
 * {@code SIZE} when the full cache pushed it out, {@code EXPIRED} when an answer past its lifetime is
 * removed (the first lookup that finds it removes it, or the cache pushes it out), {@code INVALIDATED}
 * for {@link #invalidate(String)}, {@link #invalidateAll(Collection)} and {@link #invalidateAll()}. "Unavailable" answers, never served
 * from the cache, are not evictions, nor is an answer replaced by its refresh.
 * {@link AuthListener#onBackendCall} is told for every backend call, lookups and refreshes, with its
 * duration on the {@link Builder#timeSource}; {@link AuthListener#onBudgetRefusal} for each refusal
 * by the global budget or a client's share; {@link AuthListener#onBreakerStateChange} once per real
 * change of the breaker's state, in order. The listener never gets a key id, a secret or a client.
 *
 * <pre>{@code
 * CachingPrivilegeChecker checker = CachingPrivilegeChecker.builder(elasticsearch)
 *     .expireAfterWrite(Duration.ofMinutes(1))
 *     .newKeysPerMinute(100)
 *     .build();
 * }</pre>
 */
public final class CachingPrivilegeChecker implements PrivilegeChecker, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(CachingPrivilegeChecker.class);
  private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(60);
  /** "Never", as a distance from now that cannot overflow a difference of two time readings. */
  private static final long NEVER = Long.MAX_VALUE / 2;
  /** How many invalidations are remembered by key id; a power of two. */
  private static final int RECENT_INVALIDATIONS = 64;
  private static final AtomicLongFieldUpdater<CacheEntry> REFRESH_AT = AtomicLongFieldUpdater.newUpdater(CacheEntry.class, "refreshAt");

  private final PrivilegeChecker backend;
  /**
   * The answers, bounded in size only: each entry carries its own expiry time, read against the same
   * clock reading as its refresh point, because a lookup in a cache that expires entries itself costs
   * more (see benchmarks/RESULTS.md). An expired entry is removed by the first lookup that finds it.
   */
  private final AsyncCache<CacheKey, CacheEntry> cache;
  private final @Nullable Cache<CacheKey, CheckResult.Granted> stale;
  private final TokenBucket budget;
  /** Digests of keys granted lately, which are looked up again without spending budget. No secret. */
  private final Cache<CacheKey, Boolean> recentlyGranted;
  /** Each client's share of the budget, by client identity. */
  private final Cache<String, TokenBucket> clientShares;
  private final Function<String, TokenBucket> newClientShare = client -> newClientShare();
  private final int newKeysPerClientPerMinute;
  private final long maximumClients;
  private final String clientLimitSettingName;
  private final long expireAfterNanos;
  private final long refreshAfterNanos;
  private final CircuitBreaker breaker;
  private final Duration deadline;
  private final TimeSource time;
  private final int newKeysPerMinute;
  private final String limitSettingName;
  private final AtomicLong backendCalls = new AtomicLong();
  private final AtomicLong lastBudgetLog = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong lastClientShareLog = new AtomicLong(Long.MIN_VALUE);
  /** The listener, guarded; null when none was set, so that nothing is reported nor spent. */
  private final @Nullable AuthListener listener;
  /** When a backend call last answered, and last failed; null before the first. */
  private volatile @Nullable Instant lastSuccess;
  private volatile @Nullable Instant lastFailure;
  /**
   * Counts invalidations, so that a backend call can tell whether one came while it was under way;
   * the last {@link #RECENT_INVALIDATIONS} are remembered with their key ids, so that one id's
   * invalidation does not discard the answers of calls for other ids. Holds no secret.
   */
  private final AtomicLong invalidations = new AtomicLong();
  private final AtomicReferenceArray<Invalidation> recentInvalidations = new AtomicReferenceArray<>(RECENT_INVALIDATIONS);

  private CachingPrivilegeChecker(Builder b) {
    this.backend = b.backend;
    this.time = b.time;
    Ticker ticker = time::nanoTime;
    this.deadline = b.deadline;
    this.newKeysPerMinute = b.newKeysPerMinute;
    this.limitSettingName = b.limitSettingName;
    this.newKeysPerClientPerMinute =
        Math.min(b.newKeysPerMinute, b.newKeysPerClientPerMinute > 0 ? b.newKeysPerClientPerMinute : Math.max(1, b.newKeysPerMinute / 10));
    this.maximumClients = b.maximumClients;
    this.clientLimitSettingName = b.clientLimitSettingName;
    this.expireAfterNanos = b.expireAfterWrite.toNanos();
    this.refreshAfterNanos = expireAfterNanos - expireAfterNanos / 5;
    this.listener = ListenerGuard.guard(b.listener);
    // "Unavailable" answers are removed as they settle (see forgetIfUnusable).
    Caffeine<Object, Object> answers = Caffeine.newBuilder().maximumSize(b.maximumSize).executor(b.executor);
    this.cache = listener == null ? answers.buildAsync() : answers.<CacheKey, CacheEntry>evictionListener(this::evicted).buildAsync();
    this.stale =
        b.staleGrace.isZero()
            ? null
            : Caffeine.newBuilder()
                .maximumSize(b.maximumSize)
                .ticker(ticker)
                .executor(b.executor)
                .expireAfterWrite(b.expireAfterWrite.plus(b.staleGrace))
                .build();
    this.budget = new TokenBucket(b.newKeysPerMinute, Duration.ofMinutes(1), time::nanoTime);
    this.recentlyGranted =
        Caffeine.newBuilder()
            .maximumSize(b.maximumSize)
            .ticker(ticker)
            .executor(b.executor)
            // The answer's own lifetime, then one more: a key used at least that often stays known.
            .expireAfterWrite(b.expireAfterWrite.multipliedBy(2))
            .build();
    this.clientShares =
        Caffeine.newBuilder()
            .maximumSize(b.maximumClients)
            .ticker(ticker)
            .executor(b.executor)
            // A share left alone for a minute has refilled in full, so forgetting it then gives nothing away.
            .expireAfterAccess(Duration.ofMinutes(1))
            .build();
    AuthListener told = listener;
    this.breaker = new CircuitBreaker(b.breakerThreshold, b.breakerCoolDown, time::nanoTime,
        told == null ? null : (from, to) -> told.onBreakerStateChange(publicState(from), publicState(to)));
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

  /** Asks without a client identity: a lookup spends only the global budget. */
  @Override
  public CompletableFuture<CheckResult> checkAsync(ApiKeyCredential credential, ApplicationPrivileges scope) {
    return checkAsync(TokenScratch.get().keyOf(credential.encoded(), credential.id(), scope), credential, null);
  }

  /**
   * The lookup behind every check, for a key already computed: from the credential, or by the request
   * path from the header's text, which this way is hashed once. A key that has to be looked up and
   * was not granted lately spends one of the client's {@link Builder#newKeysPerClientPerMinute} and
   * one of the global budget.
   *
   * @param key the key of {@code credential} and the scope asked about, naming the key id
   * @param client an opaque identity of the client, or null when unknown (then only the global
   *     budget applies)
   * @return the answer; never completes exceptionally
   */
  CompletableFuture<CheckResult> checkAsync(CacheKey key, ApiKeyCredential credential, @Nullable String client) {
    try {
      return lookUp(key, credential, client);
    } catch (RuntimeException e) {
      // A bug, or a cache that could not take the load: the caller gets "unavailable", not a crash.
      return CompletableFuture.completedFuture(PrivilegeChecker.unavailable(e));
    }
  }

  private CompletableFuture<CheckResult> lookUp(CacheKey key, ApiKeyCredential credential, @Nullable String client) {
    long now = time.nanoTime();
    CompletableFuture<CacheEntry> answer = cache.getIfPresent(key);
    CacheEntry found = completed(answer);
    if (found != null && (found.discarded || now - found.expiresAt >= 0)) {
      // Gone as if never cached; a removal that lost a race leaves the newer entry for get() to find.
      if (cache.asMap().remove(key, answer)) {
        removed(found, EvictionCause.EXPIRED);
      }
      answer = null;
      found = null;
    }
    if (listener != null) {
      if (found != null && found.outcome != null) {
        listener.onCacheHit();
      } else {
        listener.onCacheMiss();
      }
    }
    if (answer == null) {
      long epoch = invalidations.get();
      answer = cache.get(key, (k, executor) -> load(k, credential, client));
      // An answer that settled before an invalidation's scan could see it in the cache.
      CacheEntry done = completed(answer);
      if (done != null && done.outcome != null && invalidatedSince(epoch, key.keyId()) && cache.asMap().remove(key, answer)) {
        removed(done, EvictionCause.INVALIDATED);
      }
    } else if (refreshIfDue(key, answer, credential, now)) {
      // A refresh that answered at once already decides this request.
      answer = Objects.requireNonNullElse(cache.getIfPresent(key), answer);
    }
    // An answer that settled before the cache held it was not seen by load's own removal.
    forgetIfUnusable(key, answer);
    CacheEntry done = completed(answer);
    if (done != null && (stale == null || !(done.result instanceof CheckResult.Unavailable))) {
      return CompletableFuture.completedFuture(done.result);
    }
    return answer.handle((a, failure) -> failure != null ? PrivilegeChecker.unavailable(failure) : orStale(key, a.result));
  }

  /** As {@link #checkAsync(CacheKey, ApiKeyCredential, String)}, blocking. */
  CheckResult check(CacheKey key, ApiKeyCredential credential, @Nullable String client) {
    return checkAsync(key, credential, client).join();
  }

  /**
   * The request path's lookup: the outcome of the cached answer for this key when it is settled,
   * usable, within its lifetime and not yet due for refresh; null otherwise (not cached, still being
   * fetched, "unavailable", expired, or due for refresh), and the caller takes
   * {@link #checkAsync(CacheKey, ApiKeyCredential, String)}, which removes an expired answer and holds
   * the credential a refresh needs. Only credentials that parsed are ever cached, and the key is the
   * digest of the exact encoded text, so a hit stands for a valid credential.
   *
   * @param key the key, with or without the key id
   */
  @Nullable AuthResult cachedOutcome(CacheKey key) {
    CacheEntry done = completed(cache.getIfPresent(key));
    if (done == null) {
      return null;
    }
    // One clock reading serves both limits.
    long now = time.nanoTime();
    AuthResult outcome = now - done.expiresAt < 0 && done.refreshAt - now > 0 ? done.outcome : null;
    if (outcome != null && listener != null) {
      listener.onCacheHit();
    }
    return outcome;
  }

  private static @Nullable CacheEntry completed(@Nullable CompletableFuture<CacheEntry> entry) {
    return entry != null && entry.isDone() && !entry.isCompletedExceptionally() ? entry.join() : null;
  }

  /**
   * Tells the listener that {@code done} left the cache, if it is an answer that could have been
   * served ("unavailable" and discarded ones never were); as expired if it was past its lifetime.
   */
  private void removed(CacheEntry done, EvictionCause cause) {
    if (listener != null && done.outcome != null) {
      listener.onCacheEviction(time.nanoTime() - done.expiresAt >= 0 ? EvictionCause.EXPIRED : cause);
    }
  }

  /**
   * Caffeine's eviction listener, set only with a listener: tells the settled answers the full cache
   * pushed out (Caffeine passes only those), at once, and is not called for explicit removals.
   */
  private void evicted(@Nullable CacheKey key, @Nullable CacheEntry entry, RemovalCause cause) {
    if (entry != null && cause == RemovalCause.SIZE) {
      removed(entry, EvictionCause.SIZE);
    }
  }

  private static BreakerState publicState(CircuitBreaker.State state) {
    return switch (state) {
      case CLOSED -> BreakerState.CLOSED;
      case OPEN -> BreakerState.OPEN;
      case HALF_OPEN -> BreakerState.HALF_OPEN;
    };
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

  /**
   * Drops every answer for one key id, whatever its secret and scope, at once: the next request with
   * that id asks the backend again, spending no budget for having been granted before, and no stale
   * answer stands in for it. An answer being fetched while this runs is given to the requests that
   * waited for it, but not cached. Scans the cache: meant for an operator or a revocation feed, not
   * for every request.
   *
   * @param keyId the API key's id; any text
   * @throws NullPointerException if {@code keyId} is null
   */
  public void invalidate(String keyId) {
    invalidateAll(Set.of(Objects.requireNonNull(keyId, "keyId")));
  }

  /**
   * As {@link #invalidate(String)} for several key ids at once, in one scan of the cache: for a
   * revocation feed that found many keys revoked in one round.
   *
   * @param keyIds the API keys' ids; any text
   * @throws NullPointerException if {@code keyIds} or one of them is null
   */
  public void invalidateAll(Collection<String> keyIds) {
    Set<String> ids = Set.copyOf(keyIds);
    if (ids.isEmpty()) {
      return;
    }
    invalidating(ids);
    Predicate<CacheKey> ofIds = key -> key.keyId() != null && ids.contains(key.keyId());
    removeAnswers(ofIds);
    recentlyGranted.asMap().keySet().removeIf(ofIds);
    if (stale != null) {
      stale.asMap().keySet().removeIf(ofIds);
    }
  }

  /** Drops every cached answer, for example after keys were invalidated in bulk. */
  public void invalidateAll() {
    invalidating(null);
    removeAnswers(key -> true);
    recentlyGranted.invalidateAll();
    if (stale != null) {
      stale.invalidateAll();
    }
  }

  /**
   * Counts an invalidation, before anything is removed, so that a backend call settling from here on
   * can tell (see {@link #invalidatedSince}).
   */
  private void invalidating(@Nullable Set<String> keyIds) {
    long epoch = invalidations.incrementAndGet();
    recentInvalidations.set((int) epoch & (RECENT_INVALIDATIONS - 1), new Invalidation(epoch, keyIds));
  }

  /**
   * Whether an invalidation counted after {@code epoch} may concern {@code keyId}: true when one
   * named it or every id, and when unsure (too many since, or one not yet remembered).
   */
  private boolean invalidatedSince(long epoch, @Nullable String keyId) {
    long now = invalidations.get();
    if (now == epoch) {
      return false;
    }
    if (now - epoch > RECENT_INVALIDATIONS) {
      return true;
    }
    for (long e = epoch + 1; e <= now; e++) {
      Invalidation i = recentInvalidations.get((int) e & (RECENT_INVALIDATIONS - 1));
      if (i == null || i.epoch != e || i.keyIds == null || keyId == null || i.keyIds.contains(keyId)) {
        return true;
      }
    }
    return false;
  }

  private void removeAnswers(Predicate<CacheKey> which) {
    Map<CacheKey, CompletableFuture<CacheEntry>> answers = cache.asMap();
    if (listener == null) {
      answers.keySet().removeIf(which);
      return;
    }
    for (Map.Entry<CacheKey, CompletableFuture<CacheEntry>> e : answers.entrySet()) {
      if (which.test(e.getKey()) && answers.remove(e.getKey(), e.getValue())) {
        CacheEntry done = completed(e.getValue());
        if (done != null) {
          removed(done, EvictionCause.INVALIDATED);
        }
      }
    }
  }

  /**
   * The ids of the API keys that have a "granted" answer in the cache now, within its lifetime, for a
   * revocation feed to ask about. Not the ids of "unknown key" answers: no revocation can change
   * those, and any client can make them up, one per lookup it is allowed, to pad every later
   * question to the feed's source. Holds no secret.
   *
   * @return a new set of key ids
   */
  public Set<String> cachedKeyIds() {
    Set<String> ids = new HashSet<>();
    long now = time.nanoTime();
    for (Map.Entry<CacheKey, CompletableFuture<CacheEntry>> e : cache.asMap().entrySet()) {
      CacheEntry done = completed(e.getValue());
      String id = e.getKey().keyId();
      if (id != null && done != null && done.outcome != null && done.result instanceof CheckResult.Granted && now - done.expiresAt < 0) {
        ids.add(id);
      }
    }
    return ids;
  }

  /**
   * How the backend is doing, for health checks: the breaker's state, when a backend call last
   * answered ("granted" or "unknown key") and last failed or timed out, on the
   * {@link Builder#timeSource}'s wall clock, and about how many answers the cache holds (answers
   * being fetched and expired answers not yet removed included).
   *
   * @return a snapshot
   */
  public BackendHealth health() {
    return new BackendHealth(publicState(breaker.state()), lastSuccess, lastFailure, cache.synchronous().estimatedSize());
  }

  private CompletableFuture<CacheEntry> load(CacheKey key, ApiKeyCredential credential, @Nullable String client) {
    long breakerWait = breaker.tryAcquire();
    if (breakerWait > 0) {
      return CompletableFuture.completedFuture(
          unavailableEntry(new CheckResult.Unavailable(Duration.ofNanos(breakerWait), "circuit breaker open: the backend keeps failing")));
    }
    if (recentlyGranted.getIfPresent(key) == null) {
      CheckResult.Unavailable refused = spendBudget(key, client);
      if (refused != null) {
        breaker.abandonProbe();
        return CompletableFuture.completedFuture(unavailableEntry(refused));
      }
    }
    CompletableFuture<CacheEntry> answer = ask(key, credential);
    answer.thenRun(() -> forgetIfUnusable(key, answer));
    return answer;
  }

  /** One backend call, bounded by the deadline, settled into an answer that is never exceptional. */
  private CompletableFuture<CacheEntry> ask(CacheKey key, ApiKeyCredential credential) {
    long epoch = invalidations.get();
    long started = time.nanoTime();
    backendCalls.incrementAndGet();
    CompletableFuture<CheckResult> call = callBackend(credential, key.scope());
    CompletableFuture<CheckResult> bounded = call.copy().orTimeout(deadline.toNanos(), TimeUnit.NANOSECONDS);
    return bounded.handle((result, failure) -> settle(key, result, failure, call, started, epoch));
  }

  /**
   * Takes one lookup from the client's share and from the global budget; the refusal to answer
   * with when either is spent, or null.
   */
  private CheckResult.@Nullable Unavailable spendBudget(CacheKey key, @Nullable String client) {
    TokenBucket share = client == null ? null : clientShares.getIfPresent(client);
    if (client != null && share == null) {
      // Shares idle for a minute must not count toward a full table.
      clientShares.cleanUp();
      share = clientShares.get(client, newClientShare);
    }
    if (share != null) {
      long shareWait = share.tryTake();
      if (shareWait > 0) {
        if (listener != null) {
          listener.onBudgetRefusal(BudgetScope.CLIENT);
        }
        logClientShareExhausted(key, client);
        return new CheckResult.Unavailable(
            Duration.ofNanos(shareWait),
            "over the share of " + newKeysPerClientPerMinute + " new API keys per minute for one client (" + clientLimitSettingName + ")");
      }
    }
    long budgetWait = budget.tryTake();
    if (budgetWait > 0) {
      if (share != null) {
        // Others spent the budget: this client's share was not used, and stays its own.
        share.giveBack();
      }
      if (listener != null) {
        listener.onBudgetRefusal(BudgetScope.GLOBAL);
      }
      logBudgetExhausted(key);
      return new CheckResult.Unavailable(
          Duration.ofNanos(budgetWait), "over the budget of " + newKeysPerMinute + " new API keys per minute (" + limitSettingName + ")");
    }
    return null;
  }

  /**
   * A new client's share: full, as a client that had been idle for a minute would have it, unless
   * the table is full and this slot pushes another client out. Then it starts empty, so that a
   * client cannot refill its share by cycling through identities until its own slot is forgotten.
   */
  private TokenBucket newClientShare() {
    TokenBucket share = new TokenBucket(newKeysPerClientPerMinute, Duration.ofMinutes(1), time::nanoTime);
    if (clientShares.estimatedSize() >= maximumClients) {
      share.drain();
    }
    return share;
  }

  /**
   * Starts a background refresh of a granted answer past its refresh point, once: the request that
   * wins the claim starts it, every other one (and the hot path) keeps being served the current
   * answer. The refresh spends no budget, neither the client's nor the global one.
   *
   * @return whether this call started a refresh
   */
  private boolean refreshIfDue(CacheKey key, CompletableFuture<CacheEntry> current, ApiKeyCredential credential, long now) {
    CacheEntry done = completed(current);
    if (done == null) {
      return false;
    }
    long due = done.refreshAt;
    // The claim also holds off further attempts until this one has had its deadline.
    if (due - now > 0 || !REFRESH_AT.compareAndSet(done, due, now + deadline.toNanos())) {
      return false;
    }
    long breakerWait = breaker.tryAcquire();
    if (breakerWait > 0) {
      done.refreshAt = now + breakerWait;
      return false;
    }
    ask(key, credential).thenAccept(fresh -> {
      if (fresh.result instanceof CheckResult.Unavailable unavailable) {
        done.refreshAt = time.nanoTime() + Retry.atLeastOneSecond(unavailable.retryAfter()).toNanos();
      } else if (!fresh.discarded) {
        // Replaces only the answer this refresh started from: one that expired, was invalidated or
        // replaced meanwhile stays as it is.
        cache.asMap().replace(key, current, CompletableFuture.completedFuture(fresh));
      }
    });
    return true;
  }

  /**
   * Removes this very answer from the cache if it is "unavailable" or discarded, so that it is never
   * served again. Called when it settles and again by the caller that put it in the cache (whichever
   * comes after the cache holds it does the removal; the other finds nothing or a newer answer, and
   * leaves it).
   */
  private void forgetIfUnusable(CacheKey key, CompletableFuture<CacheEntry> answer) {
    CacheEntry done = completed(answer);
    if (done != null && done.outcome == null) {
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

  /**
   * Turns what a backend call gave into an answer, and records it: health, the breaker, the
   * listener, and for an answer that may be cached, the digests of keys granted lately and the stale
   * answers. An answer is discarded (given to its waiting requests but never cached) when an
   * invalidation that may concern its key came after the call started ({@code epoch}); that check
   * comes after the records, which it undoes, so that an invalidation that comes in between still
   * removes them.
   */
  private CacheEntry settle(
      CacheKey key, @Nullable CheckResult result, @Nullable Throwable failure, CompletableFuture<CheckResult> call, long started, long epoch) {
    boolean timedOut = false;
    if (failure != null) {
      Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
      if (cause instanceof TimeoutException) {
        call.cancel(true);
        timedOut = true;
        result = new CheckResult.Unavailable(Retry.MINIMUM, "backend gave no answer within " + deadline);
      } else {
        result = PrivilegeChecker.unavailable(cause);
      }
    }
    if (result == null) {
      // A backend that breaks its contract is read as unavailable, like one that throws.
      result = new CheckResult.Unavailable(Retry.MINIMUM, "backend answered null");
    }
    long now = time.nanoTime();
    if (result instanceof CheckResult.Unavailable unavailable) {
      lastFailure = time.instant();
      if (listener != null) {
        listener.onBackendCall(timedOut ? BackendResult.TIMED_OUT : BackendResult.UNAVAILABLE, now - started);
      }
      breaker.onFailure();
      LOG.warn("API key {}: backend unavailable: {}", key, unavailable.detail());
      return unavailableEntry(unavailable);
    }
    lastSuccess = time.instant();
    if (listener != null) {
      listener.onBackendCall(result instanceof CheckResult.Granted ? BackendResult.GRANTED : BackendResult.UNKNOWN_KEY, now - started);
    }
    breaker.onSuccess();
    if (result instanceof CheckResult.Granted granted) {
      recentlyGranted.put(key, Boolean.TRUE);
      if (stale != null) {
        stale.put(key, granted);
      }
    } else {
      recentlyGranted.invalidate(key);
      if (stale != null) {
        stale.invalidate(key);
      }
    }
    if (invalidatedSince(epoch, key.keyId())) {
      recentlyGranted.invalidate(key);
      if (stale != null) {
        stale.invalidate(key);
      }
      return new CacheEntry(result, null, now + NEVER, now + NEVER, true);
    }
    if (result instanceof CheckResult.Granted) {
      // The refresh point counts from when the question was asked (the answer is that old); the
      // lifetime, from when the answer came, as a cache that expires entries itself would count it.
      return new CacheEntry(result, ApiKeyOutcome.of(key.keyId(), result), started + refreshAfterNanos, now + expireAfterNanos, false);
    }
    return new CacheEntry(result, ApiKeyOutcome.of(key.keyId(), result), now + NEVER, now + expireAfterNanos, false);
  }

  private CacheEntry unavailableEntry(CheckResult.Unavailable unavailable) {
    long now = time.nanoTime();
    return new CacheEntry(unavailable, null, now + NEVER, now + NEVER, false);
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

  private void logClientShareExhausted(CacheKey key, String client) {
    if (logDue(lastClientShareLog)) {
      LOG.warn(
          "API key {} from client {} refused with 503: more than {} new API keys from one client in a minute; raise {} if this load is expected",
          key,
          LogSafe.text(client),
          newKeysPerClientPerMinute,
          clientLimitSettingName);
    }
  }

  private void logBudgetExhausted(CacheKey key) {
    if (logDue(lastBudgetLog)) {
      LOG.warn(
          "API key {} refused with 503: more than {} new API keys looked up in a minute; raise {} if this load is expected",
          key,
          newKeysPerMinute,
          limitSettingName);
    }
  }

  /** Whether a warning last logged at {@code last} may be logged again now (once a minute); claims it if so. */
  private boolean logDue(AtomicLong last) {
    long now = time.nanoTime();
    long previous = last.get();
    return (previous == Long.MIN_VALUE || now - previous >= LOG_INTERVAL_NANOS) && last.compareAndSet(previous, now);
  }

  @Override
  public String toString() {
    return "CachingPrivilegeChecker[backend=" + backend + ", breaker=" + breaker.state()
        + ", newKeysPerMinute=" + newKeysPerMinute + ", perClient=" + newKeysPerClientPerMinute + "]";
  }

  /**
   * A cache entry: the backend's answer, with the request outcome it stands for made once, so that a
   * hit allocates no outcome (null for "unavailable", which is never served from here), and its two
   * points in time. Times are {@link TimeSource#nanoTime()} readings, compared by difference, so they
   * may wrap around. Holds no secret.
   */
  private static final class CacheEntry {
    final CheckResult result;
    /** Null for an answer never served from the cache: "unavailable", or discarded. */
    final @Nullable AuthResult outcome;
    /**
     * An answer fetched by a call an invalidation overtook: given to the requests that waited for
     * it, then removed, never served from the cache.
     */
    final boolean discarded;
    /** From here on the entry is gone: {@link Builder#expireAfterWrite} after the answer came. */
    final long expiresAt;
    /**
     * From here on the request path leaves this entry to the full lookup, which refreshes it: a
     * granted answer's refresh point, pushed on while a refresh runs or after one failed; far in the
     * future for the other answers.
     */
    volatile long refreshAt;

    CacheEntry(CheckResult result, @Nullable AuthResult outcome, long refreshAt, long expiresAt, boolean discarded) {
      this.result = result;
      this.outcome = outcome;
      this.discarded = discarded;
      this.refreshAt = refreshAt;
      this.expiresAt = expiresAt;
    }

    @Override
    public String toString() {
      return "CacheEntry[" + (discarded ? "discarded " : "") + (result instanceof CheckResult.Granted ? "granted" : result.getClass().getSimpleName()) + "]";
    }
  }

  /** An invalidation as counted, with its key ids, or null for all. No secret. */
  private record Invalidation(long epoch, @Nullable Set<String> keyIds) {}

  /** Configures a {@link CachingPrivilegeChecker}. Every setting has a default. */
  public static final class Builder {
    private final PrivilegeChecker backend;
    private Duration expireAfterWrite = Duration.ofSeconds(60);
    private int newKeysPerMinute = 100;
    private String limitSettingName = "CachingPrivilegeChecker.Builder.newKeysPerMinute";
    private int newKeysPerClientPerMinute;
    private long maximumClients = 10_000;
    private String clientLimitSettingName = "CachingPrivilegeChecker.Builder.newKeysPerClientPerMinute";
    private Duration deadline = Duration.ofSeconds(3);
    private int breakerThreshold = 5;
    private Duration breakerCoolDown = Duration.ofSeconds(5);
    private Duration staleGrace = Duration.ZERO;
    private long maximumSize = 100_000;
    private TimeSource time = TimeSource.system();
    private Executor executor = java.util.concurrent.ForkJoinPool.commonPool();
    private AuthListener listener = AuthListener.NONE;

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
     * The most new-key lookups one client may take per minute, out of {@link #newKeysPerMinute}; it
     * refills continuously. Default a tenth of {@code newKeysPerMinute}, at least 1 (10 of the
     * default 100); a value above {@code newKeysPerMinute} is the whole budget. A client is the
     * identity passed to the authenticator's {@code authenticate(List, String)}
     * (the servlet filter passes the client's address); lookups without one spend only the global
     * budget. Keys granted lately and refreshes spend neither. Many agents behind one address that
     * is not resolved through a trusted proxy count as one client: raise this for them.
     *
     * @param limit a positive number
     * @return this builder
     */
    public Builder newKeysPerClientPerMinute(int limit) {
      this.newKeysPerClientPerMinute = Require.positive(limit, "newKeysPerClientPerMinute");
      return this;
    }

    /**
     * The name of the setting that configures {@link #newKeysPerClientPerMinute}, as the operator
     * knows it, for the log line of a client over its share.
     *
     * @param name for example {@code intake-auth.api_key.limit_per_client}
     * @return this builder
     */
    public Builder clientLimitSettingName(String name) {
      this.clientLimitSettingName = Objects.requireNonNull(name, "name");
      return this;
    }

    /**
     * The most clients whose shares are tracked at once. Default 10,000. A share unused for a minute
     * is forgotten (it would have refilled in full); a client that arrives while the table is full
     * starts with an empty share.
     *
     * @param clients a positive number
     * @return this builder
     */
    public Builder maximumClients(long clients) {
      this.maximumClients = Require.positive(clients, "maximumClients");
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
     * The time source for expiry, refresh, the budgets and the breaker. Default
     * {@link TimeSource#system()}; tests pass a manual one so that they never sleep.
     *
     * @param time the time source
     * @return this builder
     */
    public Builder timeSource(TimeSource time) {
      this.time = Objects.requireNonNull(time, "time");
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
     * Who hears about cache hits and misses, evictions, backend calls, budget refusals and breaker
     * changes. Default none, which costs nothing.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder listener(AuthListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
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
