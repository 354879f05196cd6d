package dev.intakeauth.micrometer;

import dev.intakeauth.AuthListener;
import dev.intakeauth.AuthMethod;
import dev.intakeauth.BreakerState;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.Outcome;
import dev.intakeauth.TimeSource;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * intake-auth's meters for Micrometer. One object is both the {@link AuthListener} given to each
 * component's builder and the {@link MeterBinder} bound to a registry:
 *
 * <pre>{@code
 * IntakeAuthMetrics metrics = IntakeAuthMetrics.builder().build();
 * CachingPrivilegeChecker keys = CachingPrivilegeChecker.builder(backend).listener(metrics).build();
 * metrics.monitor(keys);     // the gauges: cache size, breaker state, age of the last backend answer
 * metrics.bindTo(registry);
 * }</pre>
 *
 * <p>Names follow Micrometer's conventions (dot-separated, base units, no {@code _total}: each
 * registry adds its own suffixes), and every tag takes a small, fixed set of values. The API-key
 * cache is reported under the names Micrometer's own cache binders use ({@code cache.gets},
 * {@code cache.evictions}, {@code cache.size}, tagged {@code cache=intake.auth.api_keys}), so
 * existing cache dashboards show it. Hits and misses come from the checker's own events rather than
 * from Caffeine's statistics: the checker keeps each answer's lifetime itself, so Caffeine would count
 * a lookup that finds an expired answer as a hit.
 *
 * <p>Events are counted in this object, and the registries read the counts: an event heard before
 * {@link #bindTo} is not lost, and a registry bound later sees the same totals as one bound first.
 * Several registries may be bound. Timers are Micrometer function timers: they report a count and a
 * total time (the mean latency is their quotient), not a histogram. The counters and timers are
 * registered when the object is bound, each tag combination at zero so that a rate starts from it;
 * the reload counters appear with their source's first reload, and the gauges with
 * {@link #monitor}.
 *
 * <p>Thread-safe. An event costs one or two {@link LongAdder} additions, found by the ordinals of the
 * event's enums: no map lookup, tag or string is built per event (a reload, which is rare, looks its
 * source up in a map).
 */
public final class IntakeAuthMetrics implements MeterBinder, AuthListener {

  /** The value of the {@code cache} tag on the cache meters. */
  public static final String CACHE_NAME = "intake.auth.api_keys";

  /** Past this many distinct reload sources, further ones are counted as {@code other}. */
  static final int MAX_RELOAD_SOURCES = 16;

  private static final Outcome[] OUTCOMES = Outcome.values();
  private static final AuthMethod[] METHODS = AuthMethod.values();
  /** A method slot per {@link AuthMethod}, and one more for a method that could not be told. */
  private static final int METHOD_SLOTS = METHODS.length + 1;
  private static final int UNKNOWN_METHOD = METHODS.length;
  private static final BackendResult[] BACKEND_RESULTS = BackendResult.values();
  private static final EvictionCause[] EVICTION_CAUSES = EvictionCause.values();
  private static final BudgetScope[] BUDGET_SCOPES = BudgetScope.values();
  private static final BreakerState[] BREAKER_STATES = BreakerState.values();

  private final Tags tags;
  private final Tags cacheTags;
  private final TimeSource time;

  private final LongAdder[] requests = adders(OUTCOMES.length * METHOD_SLOTS);
  private final LongAdder[] eventsRefused = adders(OUTCOMES.length);
  private final Durations[] backendCalls = durations(BACKEND_RESULTS.length);
  private final LongAdder cacheHits = new LongAdder();
  private final LongAdder cacheMisses = new LongAdder();
  private final LongAdder[] evictions = adders(EVICTION_CAUSES.length);
  private final LongAdder[] budgetRefusals = adders(BUDGET_SCOPES.length);
  private final LongAdder[] breakerTransitions = adders(BREAKER_STATES.length);
  private final LongAdder anonymousRateLimited = new LongAdder();
  private final LongAdder revocationSuccesses = new LongAdder();
  private final LongAdder revocationFailures = new LongAdder();
  private final LongAdder revoked = new LongAdder();
  private final Durations revocationRounds = new Durations();
  /** By source: successful reloads at 0, failed ones at 1. */
  private final Map<String, LongAdder[]> reloads = new ConcurrentHashMap<>();

  private final Object lock = new Object();
  /** The registries bound so far, each once. Guarded by {@link #lock}. */
  private final List<MeterRegistry> registries = new ArrayList<>();
  /** Guarded by {@link #lock}. */
  private @Nullable CachingPrivilegeChecker checker;

  private IntakeAuthMetrics(Builder b) {
    this.tags = b.tags;
    this.cacheTags = b.tags.and("cache", CACHE_NAME);
    this.time = b.time;
  }

  /**
   * Starts a builder.
   *
   * @return a builder with no common tags and the system clock
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Adds the gauges that read a checker: {@code cache.size}, {@code intake.auth.breaker.state} and
   * {@code intake.auth.backend.last_success.age}. A checker is built with its listener, so it comes
   * after this object; call this once it is built, before or after {@link #bindTo}. The gauges hold
   * the checker weakly in each registry, as Micrometer's gauges do.
   *
   * @param checker the checker whose {@link CachingPrivilegeChecker#health()} the gauges read
   * @return this object
   * @throws IllegalStateException if another checker is already monitored (use one
   *     {@code IntakeAuthMetrics} per checker, with a tag that tells them apart)
   */
  public IntakeAuthMetrics monitor(CachingPrivilegeChecker checker) {
    Objects.requireNonNull(checker, "checker");
    synchronized (lock) {
      if (this.checker == checker) {
        return this;
      }
      if (this.checker != null) {
        throw new IllegalStateException("these metrics already monitor a checker; use one IntakeAuthMetrics per checker, with a tag that tells them apart");
      }
      this.checker = checker;
      for (MeterRegistry registry : registries) {
        registerCheckerGauges(registry, checker);
      }
    }
    return this;
  }

  /**
   * Registers every meter in a registry; counts heard before are kept. Binding a registry again
   * does nothing.
   *
   * @param registry the registry
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    synchronized (lock) {
      for (MeterRegistry bound : registries) {
        if (bound == registry) {
          return;
        }
      }
      registries.add(registry);
      registerEventMeters(registry);
      for (Map.Entry<String, LongAdder[]> e : reloads.entrySet()) {
        registerReloads(registry, e.getKey(), e.getValue());
      }
      if (checker != null) {
        registerCheckerGauges(registry, checker);
      }
    }
  }

  @Override
  public void onRequest(Outcome outcome, @Nullable AuthMethod method) {
    requests[outcome.ordinal() * METHOD_SLOTS + (method == null ? UNKNOWN_METHOD : method.ordinal())].increment();
  }

  @Override
  public void onEventRefused(Outcome outcome) {
    eventsRefused[outcome.ordinal()].increment();
  }

  @Override
  public void onBackendCall(BackendResult result, long durationNanos) {
    backendCalls[result.ordinal()].record(durationNanos);
  }

  @Override
  public void onCacheHit() {
    cacheHits.increment();
  }

  @Override
  public void onCacheMiss() {
    cacheMisses.increment();
  }

  @Override
  public void onCacheEviction(EvictionCause cause) {
    evictions[cause.ordinal()].increment();
  }

  @Override
  public void onBudgetRefusal(BudgetScope scope) {
    budgetRefusals[scope.ordinal()].increment();
  }

  @Override
  public void onBreakerStateChange(BreakerState from, BreakerState to) {
    breakerTransitions[to.ordinal()].increment();
  }

  @Override
  public void onAnonymousRateLimited() {
    anonymousRateLimited.increment();
  }

  @Override
  public void onRevocationCheck(boolean succeeded, int keyIdsChecked, int revoked, long durationNanos) {
    (succeeded ? revocationSuccesses : revocationFailures).increment();
    if (revoked > 0) {
      this.revoked.add(revoked);
    }
    revocationRounds.record(durationNanos);
  }

  @Override
  public void onReload(String source, boolean succeeded) {
    String key = source == null || source.isBlank() ? "unknown" : source;
    LongAdder[] counts = reloads.get(key);
    if (counts == null) {
      counts = newReloadSource(key);
    }
    counts[succeeded ? 0 : 1].increment();
  }

  @Override
  public String toString() {
    return "IntakeAuthMetrics" + tags.stream().map(t -> t.getKey() + "=" + t.getValue()).toList();
  }

  private LongAdder[] newReloadSource(String source) {
    synchronized (lock) {
      LongAdder[] counts = reloads.get(source);
      if (counts != null) {
        return counts;
      }
      // Sources are named by the library's builders; the cap keeps a misuse from growing the series without bound.
      String key = reloads.size() < MAX_RELOAD_SOURCES ? source : "other";
      counts = reloads.get(key);
      if (counts == null) {
        counts = adders(2);
        reloads.put(key, counts);
        for (MeterRegistry registry : registries) {
          registerReloads(registry, key, counts);
        }
      }
      return counts;
    }
  }

  private void registerEventMeters(MeterRegistry registry) {
    for (Outcome outcome : OUTCOMES) {
      for (int slot = 0; slot < METHOD_SLOTS; slot++) {
        counter(registry, "intake.auth.requests", requests[outcome.ordinal() * METHOD_SLOTS + slot],
            "Requests decided, by outcome, how the caller authenticated or tried to, and the status answered", tags
                .and("outcome", outcome.tag())
                .and("method", slot == UNKNOWN_METHOD ? "unknown" : tag(METHODS[slot]))
                .and("status", Integer.toString(outcome.status())));
      }
      counter(registry, "intake.auth.events.refused", eventsRefused[outcome.ordinal()],
          "Events of admitted requests refused afterwards (anonymous allow-lists, per-event rate limit), by outcome",
          tags.and("outcome", outcome.tag()));
    }
    for (BackendResult result : BACKEND_RESULTS) {
      Durations d = backendCalls[result.ordinal()];
      FunctionTimer.builder("intake.auth.backend.duration", d, Durations::count, Durations::totalNanos, TimeUnit.NANOSECONDS)
          .description("Calls to the API-key backend (lookups and refreshes) and their duration, by result")
          .tags(tags.and("result", tag(result)))
          .register(registry);
    }
    String gets = "Lookups of API keys that found a usable answer in the cache (hit) or had to ask the backend (miss)";
    counter(registry, "cache.gets", cacheHits, gets, cacheTags.and("result", "hit"));
    counter(registry, "cache.gets", cacheMisses, gets, cacheTags.and("result", "miss"));
    for (EvictionCause cause : EVICTION_CAUSES) {
      counter(registry, "cache.evictions", evictions[cause.ordinal()],
          "Answers that left the API-key cache, by cause: expired, size (the cache was full) or invalidated",
          cacheTags.and("cause", tag(cause)));
    }
    for (BudgetScope scope : BUDGET_SCOPES) {
      counter(registry, "intake.auth.budget.refusals", budgetRefusals[scope.ordinal()],
          "New API keys answered 503 without a lookup because a budget was spent: the instance's (global) or one client's share",
          tags.and("scope", tag(scope)));
    }
    for (BreakerState state : BREAKER_STATES) {
      counter(registry, "intake.auth.breaker.transitions", breakerTransitions[state.ordinal()],
          "Changes of the circuit breaker in front of the API-key backend, by the state changed to", tags.and("to", tag(state)));
    }
    counter(registry, "intake.auth.anonymous.rate_limited", anonymousRateLimited,
        "Anonymous requests or events refused by the per-client rate limit (429)", tags);
    String checks = "Rounds of the revocation feed, by whether the backend answered";
    counter(registry, "intake.auth.revocation.checks", revocationSuccesses, checks, tags.and("result", "success"));
    counter(registry, "intake.auth.revocation.checks", revocationFailures, checks, tags.and("result", "failure"));
    counter(registry, "intake.auth.revocation.revoked", revoked,
        "Cached API keys the revocation feed found invalidated or expired, and evicted", tags);
    FunctionTimer.builder("intake.auth.revocation.duration", revocationRounds, Durations::count, Durations::totalNanos, TimeUnit.NANOSECONDS)
        .description("Rounds of the revocation feed and their duration")
        .tags(tags)
        .register(registry);
  }

  private void registerReloads(MeterRegistry registry, String source, LongAdder[] counts) {
    String description = "Reloads of a watched source (keys file, secret tokens), by source and result; a failure keeps the last good state";
    counter(registry, "intake.auth.reloads", counts[0], description, tags.and("source", source).and("result", "success"));
    counter(registry, "intake.auth.reloads", counts[1], description, tags.and("source", source).and("result", "failure"));
  }

  private void registerCheckerGauges(MeterRegistry registry, CachingPrivilegeChecker checker) {
    Gauge.builder("cache.size", checker, c -> c.health().cachedAnswers())
        .description("The approximate number of answers in the API-key cache")
        .tags(cacheTags)
        .register(registry);
    Gauge.builder("intake.auth.breaker.state", checker, c -> breakerValue(c.health().breaker()))
        .description("The state of the circuit breaker in front of the API-key backend: 0 closed, 1 half-open (one probe under way), 2 open (new keys answered 503)")
        .tags(tags)
        .register(registry);
    TimeGauge.builder("intake.auth.backend.last_success.age", checker, TimeUnit.SECONDS, c -> ageSeconds(c.health().lastSuccess(), time.instant()))
        .description("Time since the API-key backend last answered (granted or unknown key); NaN before its first answer")
        .tags(tags)
        .register(registry);
  }

  /** The breaker's gauge value, ordered by how bad the state is (the enum's own order is not). */
  static double breakerValue(BreakerState state) {
    return switch (state) {
      case CLOSED -> 0;
      case HALF_OPEN -> 1;
      case OPEN -> 2;
    };
  }

  /** Seconds from the last success to now, NaN when there was none. */
  static double ageSeconds(@Nullable Instant last, Instant now) {
    if (last == null) {
      return Double.NaN;
    }
    Duration age = Duration.between(last, now);
    // A clock stepped back would otherwise show a negative age.
    return age.isNegative() ? 0 : age.getSeconds() + age.getNano() / 1e9;
  }

  private static void counter(MeterRegistry registry, String name, LongAdder count, String description, Iterable<Tag> tags) {
    FunctionCounter.builder(name, count, LongAdder::sum).description(description).tags(tags).register(registry);
  }

  private static String tag(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  private static LongAdder[] adders(int n) {
    LongAdder[] a = new LongAdder[n];
    for (int i = 0; i < n; i++) {
      a[i] = new LongAdder();
    }
    return a;
  }

  private static Durations[] durations(int n) {
    Durations[] d = new Durations[n];
    for (int i = 0; i < n; i++) {
      d[i] = new Durations();
    }
    return d;
  }

  /** A count of timed things and their total duration. */
  private static final class Durations {
    private final LongAdder count = new LongAdder();
    private final LongAdder nanos = new LongAdder();

    void record(long durationNanos) {
      count.increment();
      if (durationNanos > 0) {
        nanos.add(durationNanos);
      }
    }

    long count() {
      return count.sum();
    }

    double totalNanos() {
      return nanos.sum();
    }
  }

  /** Builds {@link IntakeAuthMetrics}. */
  public static final class Builder {
    private Tags tags = Tags.empty();
    private TimeSource time = TimeSource.system();

    private Builder() {}

    /**
     * Tags added to every meter, for example to tell several instances or checkers apart.
     *
     * @param tags the tags
     * @return this builder
     */
    public Builder tags(Iterable<Tag> tags) {
      this.tags = Tags.of(Objects.requireNonNull(tags, "tags"));
      return this;
    }

    /**
     * The clock the age of the last backend answer is measured with: the monitored checker's own
     * ({@code CachingPrivilegeChecker.Builder.timeSource}).
     *
     * @param time the time source
     * @return this builder
     */
    public Builder timeSource(TimeSource time) {
      this.time = Objects.requireNonNull(time, "time");
      return this;
    }

    /**
     * Builds the metrics.
     *
     * @return the listener and binder
     */
    public IntakeAuthMetrics build() {
      return new IntakeAuthMetrics(this);
    }
  }
}
