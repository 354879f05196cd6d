package dev.intakeauth.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.intakeauth.AuthListener.BackendResult;
import dev.intakeauth.AuthListener.BudgetScope;
import dev.intakeauth.AuthListener.EvictionCause;
import dev.intakeauth.AuthMethod;
import dev.intakeauth.BreakerState;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.Outcome;
import dev.intakeauth.testing.FakePrivilegeChecker;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class IntakeAuthMetricsTest {

  private static final String OUTCOMES = Arrays.stream(Outcome.values()).map(Outcome::tag).sorted().collect(Collectors.joining("|"));

  /**
   * Every meter, with its type and each tag's values: the README's table of meters is this list.
   * A meter added, renamed or retagged fails here first.
   */
  private static final Map<String, String> METERS = new TreeMap<>(Map.ofEntries(
      Map.entry("intake.auth.requests", "COUNTER method=anonymous|api_key|none|secret_token|unknown outcome=" + OUTCOMES
          + " status=200|400|401|403|405|429|503"),
      Map.entry("intake.auth.events.refused", "COUNTER outcome=" + OUTCOMES),
      Map.entry("intake.auth.backend.duration", "TIMER result=granted|timed_out|unavailable|unknown_key"),
      Map.entry("cache.gets", "COUNTER cache=intake.auth.api_keys result=hit|miss"),
      Map.entry("cache.evictions", "COUNTER cache=intake.auth.api_keys cause=expired|invalidated|size"),
      Map.entry("cache.size", "GAUGE cache=intake.auth.api_keys"),
      Map.entry("intake.auth.breaker.state", "GAUGE"),
      Map.entry("intake.auth.breaker.transitions", "COUNTER to=closed|half_open|open"),
      Map.entry("intake.auth.backend.last_success.age", "GAUGE"),
      Map.entry("intake.auth.budget.refusals", "COUNTER scope=client|global"),
      Map.entry("intake.auth.anonymous.rate_limited", "COUNTER"),
      Map.entry("intake.auth.revocation.checks", "COUNTER result=failure|success"),
      Map.entry("intake.auth.revocation.revoked", "COUNTER"),
      Map.entry("intake.auth.revocation.duration", "TIMER"),
      Map.entry("intake.auth.reloads", "COUNTER result=failure|success source=keys file|secret tokens")));

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private static CachingPrivilegeChecker checker() {
    return CachingPrivilegeChecker.builder(new FakePrivilegeChecker()).executor(Runnable::run).build();
  }

  /** Each meter name: its type, then each tag key with its values, sorted. */
  private static Map<String, String> describe(MeterRegistry registry) {
    Map<String, Meter.Type> types = new TreeMap<>();
    Map<String, Map<String, Set<String>>> tags = new TreeMap<>();
    for (Meter m : registry.getMeters()) {
      String name = m.getId().getName();
      types.put(name, m.getId().getType());
      Map<String, Set<String>> byKey = tags.computeIfAbsent(name, n -> new TreeMap<>());
      for (Tag t : m.getId().getTags()) {
        byKey.computeIfAbsent(t.getKey(), k -> new TreeSet<>()).add(t.getValue());
      }
    }
    Map<String, String> out = new TreeMap<>();
    for (Map.Entry<String, Meter.Type> e : types.entrySet()) {
      StringBuilder s = new StringBuilder(e.getValue().name());
      tags.get(e.getKey()).forEach((key, values) -> s.append(' ').append(key).append('=').append(String.join("|", values)));
      out.put(e.getKey(), s.toString());
    }
    return out;
  }

  private double count(String name, String... tags) {
    return registry.get(name).tags(tags).functionCounter().count();
  }

  @Test
  void theMetersAreExactlyTheDocumentedOnes() {
    IntakeAuthMetrics metrics = IntakeAuthMetrics.builder().build();
    metrics.onReload("keys file", true);
    metrics.onReload("secret tokens", false);
    metrics.monitor(checker());
    metrics.bindTo(registry);

    assertThat(describe(registry)).isEqualTo(METERS);
    // Every outcome with every method, so that a rate over any of them starts from a zero.
    assertThat(registry.find("intake.auth.requests").functionCounters()).hasSize(Outcome.values().length * (AuthMethod.values().length + 1));
    for (Meter m : registry.getMeters()) {
      assertThat(m.getId().getDescription()).as(m.getId().getName()).isNotBlank();
      assertThat(m.getId().getName()).as("Micrometer's registries add their own suffixes").doesNotEndWith("total").doesNotEndWith("seconds");
    }
  }

  @Test
  void aScriptedSequenceOfEventsGivesExactCounts() {
    IntakeAuthMetrics metrics = IntakeAuthMetrics.builder().build();
    metrics.bindTo(registry);

    for (int i = 0; i < 3; i++) {
      metrics.onRequest(Outcome.AUTHENTICATED, AuthMethod.API_KEY);
    }
    metrics.onRequest(Outcome.AUTHENTICATED, AuthMethod.SECRET_TOKEN);
    metrics.onRequest(Outcome.INVALID_CREDENTIALS, AuthMethod.API_KEY);
    metrics.onRequest(Outcome.INVALID_CREDENTIALS, AuthMethod.API_KEY);
    metrics.onRequest(Outcome.MALFORMED, null);
    metrics.onRequest(Outcome.MISSING, AuthMethod.ANONYMOUS);
    metrics.onRequest(Outcome.UNAVAILABLE, AuthMethod.API_KEY);
    metrics.onRequest(Outcome.AUTHENTICATED, AuthMethod.NONE);
    metrics.onEventRefused(Outcome.ANONYMOUS_NOT_PERMITTED);
    metrics.onEventRefused(Outcome.RATE_LIMITED);
    metrics.onEventRefused(Outcome.RATE_LIMITED);
    metrics.onCacheMiss();
    metrics.onBackendCall(BackendResult.GRANTED, 2_000_000);
    metrics.onCacheHit();
    metrics.onCacheHit();
    metrics.onCacheMiss();
    metrics.onBackendCall(BackendResult.UNKNOWN_KEY, 1_000_000);
    metrics.onCacheMiss();
    metrics.onBackendCall(BackendResult.UNAVAILABLE, 500_000);
    metrics.onBackendCall(BackendResult.TIMED_OUT, 3_000_000_000L);
    metrics.onCacheEviction(EvictionCause.EXPIRED);
    metrics.onCacheEviction(EvictionCause.INVALIDATED);
    metrics.onCacheEviction(EvictionCause.INVALIDATED);
    metrics.onBudgetRefusal(BudgetScope.CLIENT);
    metrics.onBudgetRefusal(BudgetScope.CLIENT);
    metrics.onBudgetRefusal(BudgetScope.GLOBAL);
    metrics.onBreakerStateChange(BreakerState.CLOSED, BreakerState.OPEN);
    metrics.onBreakerStateChange(BreakerState.OPEN, BreakerState.HALF_OPEN);
    metrics.onBreakerStateChange(BreakerState.HALF_OPEN, BreakerState.OPEN);
    metrics.onAnonymousRateLimited();
    metrics.onRevocationCheck(true, 40, 2, 7_000_000);
    metrics.onRevocationCheck(true, 38, 0, 3_000_000);
    metrics.onRevocationCheck(false, 38, 0, 5_000_000_000L);
    metrics.onReload("keys file", true);
    metrics.onReload("keys file", false);

    assertThat(count("intake.auth.requests", "outcome", "authenticated", "method", "api_key", "status", "200")).isEqualTo(3);
    assertThat(count("intake.auth.requests", "outcome", "authenticated", "method", "secret_token")).isEqualTo(1);
    assertThat(count("intake.auth.requests", "outcome", "authenticated", "method", "none")).isEqualTo(1);
    assertThat(count("intake.auth.requests", "outcome", "invalid_credentials", "method", "api_key", "status", "401")).isEqualTo(2);
    assertThat(count("intake.auth.requests", "outcome", "malformed", "method", "unknown")).isEqualTo(1);
    assertThat(count("intake.auth.requests", "outcome", "missing", "method", "anonymous")).isEqualTo(1);
    assertThat(count("intake.auth.requests", "outcome", "unavailable", "method", "api_key", "status", "503")).isEqualTo(1);
    assertThat(registry.find("intake.auth.requests").functionCounters().stream().mapToDouble(c -> c.count()).sum()).isEqualTo(10);
    assertThat(registry.find("intake.auth.requests").tag("status", "401").functionCounters().stream().mapToDouble(c -> c.count()).sum()).isEqualTo(4);

    assertThat(count("intake.auth.events.refused", "outcome", "anonymous_not_permitted")).isEqualTo(1);
    assertThat(count("intake.auth.events.refused", "outcome", "rate_limited")).isEqualTo(2);
    assertThat(count("intake.auth.events.refused", "outcome", "authenticated")).isZero();

    FunctionTimer granted = registry.get("intake.auth.backend.duration").tag("result", "granted").functionTimer();
    assertThat(granted.count()).isEqualTo(1);
    assertThat(granted.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(2.0);
    assertThat(registry.get("intake.auth.backend.duration").tag("result", "unknown_key").functionTimer().count()).isEqualTo(1);
    assertThat(registry.get("intake.auth.backend.duration").tag("result", "unavailable").functionTimer().totalTime(TimeUnit.MICROSECONDS)).isEqualTo(500.0);
    assertThat(registry.get("intake.auth.backend.duration").tag("result", "timed_out").functionTimer().totalTime(TimeUnit.SECONDS)).isEqualTo(3.0);

    assertThat(count("cache.gets", "cache", "intake.auth.api_keys", "result", "hit")).isEqualTo(2);
    assertThat(count("cache.gets", "cache", "intake.auth.api_keys", "result", "miss")).isEqualTo(3);
    assertThat(count("cache.evictions", "cause", "expired")).isEqualTo(1);
    assertThat(count("cache.evictions", "cause", "invalidated")).isEqualTo(2);
    assertThat(count("cache.evictions", "cause", "size")).isZero();

    assertThat(count("intake.auth.budget.refusals", "scope", "client")).isEqualTo(2);
    assertThat(count("intake.auth.budget.refusals", "scope", "global")).isEqualTo(1);
    assertThat(count("intake.auth.breaker.transitions", "to", "open")).isEqualTo(2);
    assertThat(count("intake.auth.breaker.transitions", "to", "half_open")).isEqualTo(1);
    assertThat(count("intake.auth.breaker.transitions", "to", "closed")).isZero();
    assertThat(count("intake.auth.anonymous.rate_limited")).isEqualTo(1);

    assertThat(count("intake.auth.revocation.checks", "result", "success")).isEqualTo(2);
    assertThat(count("intake.auth.revocation.checks", "result", "failure")).isEqualTo(1);
    assertThat(count("intake.auth.revocation.revoked")).isEqualTo(2);
    FunctionTimer rounds = registry.get("intake.auth.revocation.duration").functionTimer();
    assertThat(rounds.count()).isEqualTo(3);
    assertThat(rounds.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(5010.0);

    assertThat(count("intake.auth.reloads", "source", "keys file", "result", "success")).isEqualTo(1);
    assertThat(count("intake.auth.reloads", "source", "keys file", "result", "failure")).isEqualTo(1);
  }

  @Test
  void eventsHeardBeforeBindingAreKeptAndEveryRegistrySeesTheSameTotals() {
    IntakeAuthMetrics metrics = IntakeAuthMetrics.builder().build();
    metrics.onRequest(Outcome.AUTHENTICATED, AuthMethod.API_KEY);
    metrics.onCacheHit();
    metrics.onReload("keys file", true);

    metrics.bindTo(registry);
    metrics.bindTo(registry);
    SimpleMeterRegistry later = new SimpleMeterRegistry();
    metrics.onRequest(Outcome.AUTHENTICATED, AuthMethod.API_KEY);
    metrics.onReload("secret tokens", false);
    metrics.bindTo(later);
    metrics.onCacheHit();

    for (MeterRegistry r : List.of(registry, later)) {
      assertThat(r.get("intake.auth.requests").tags("outcome", "authenticated", "method", "api_key").functionCounter().count()).isEqualTo(2);
      assertThat(r.get("cache.gets").tag("result", "hit").functionCounter().count()).isEqualTo(2);
      assertThat(r.get("intake.auth.reloads").tags("source", "keys file", "result", "success").functionCounter().count()).isEqualTo(1);
      assertThat(r.get("intake.auth.reloads").tags("source", "secret tokens", "result", "failure").functionCounter().count()).isEqualTo(1);
    }
    assertThat(registry.getMeters()).as("binding the same registry again registers nothing more").hasSameSizeAs(later.getMeters());
  }

  @Test
  void commonTagsAreOnEveryMeter() {
    IntakeAuthMetrics metrics = IntakeAuthMetrics.builder().tags(Tags.of("instance", "a")).build();
    metrics.monitor(checker());
    metrics.onReload("keys file", true);
    metrics.bindTo(registry);
    for (Meter m : registry.getMeters()) {
      assertThat(m.getId().getTag("instance")).as(m.getId().getName()).isEqualTo("a");
    }
    assertThat(metrics.toString()).isEqualTo("IntakeAuthMetrics[instance=a]");
  }

  @Test
  void theCheckerGaugesAppearWhicheverComesFirstMonitorOrBind() {
    IntakeAuthMetrics before = IntakeAuthMetrics.builder().build();
    before.bindTo(registry);
    assertThat(registry.find("cache.size").gauge()).as("no checker, no gauge").isNull();
    before.monitor(checker());
    assertThat(registry.get("cache.size").gauge().value()).isZero();
    assertThat(registry.get("intake.auth.breaker.state").gauge().value()).isZero();

    SimpleMeterRegistry other = new SimpleMeterRegistry();
    IntakeAuthMetrics after = IntakeAuthMetrics.builder().build();
    after.monitor(checker());
    after.bindTo(other);
    assertThat(describe(other).keySet()).contains("cache.size", "intake.auth.breaker.state", "intake.auth.backend.last_success.age");
  }

  @Test
  void oneMetricsObjectMonitorsOneChecker() {
    IntakeAuthMetrics metrics = IntakeAuthMetrics.builder().build();
    CachingPrivilegeChecker first = checker();
    metrics.monitor(first);
    metrics.monitor(first);
    assertThatThrownBy(() -> metrics.monitor(checker())).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("one IntakeAuthMetrics per checker");
  }

  @Test
  void reloadSourcesAreCappedSoTheirTagStaysBounded() {
    IntakeAuthMetrics metrics = IntakeAuthMetrics.builder().build();
    metrics.bindTo(registry);
    for (int i = 0; i < IntakeAuthMetrics.MAX_RELOAD_SOURCES + 5; i++) {
      metrics.onReload("source " + i, true);
    }
    metrics.onReload("source 0", true);
    metrics.onReload(" ", false);

    Set<String> sources = registry.find("intake.auth.reloads").functionCounters().stream()
        .map(c -> c.getId().getTag("source")).collect(Collectors.toCollection(TreeSet::new));
    assertThat(sources).hasSize(IntakeAuthMetrics.MAX_RELOAD_SOURCES + 1).contains("source 0", "other").doesNotContain(" ", "unknown");
    assertThat(count("intake.auth.reloads", "source", "source 0", "result", "success")).isEqualTo(2);
    assertThat(count("intake.auth.reloads", "source", "other", "result", "success")).isEqualTo(5);
    assertThat(count("intake.auth.reloads", "source", "other", "result", "failure")).as("a blank source past the cap").isEqualTo(1);
  }

  @Test
  void countsFromManyThreadsAddUpExactly() throws Exception {
    IntakeAuthMetrics metrics = IntakeAuthMetrics.builder().build();
    int threads = 8;
    int each = 10_000;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        done.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < each; i++) {
            metrics.onRequest(Outcome.AUTHENTICATED, AuthMethod.API_KEY);
            metrics.onBackendCall(BackendResult.GRANTED, 1_000);
            if (i == each / 2 && thread == 0) {
              metrics.bindTo(registry);
            }
            metrics.onReload("source " + (i % 3), true);
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(count("intake.auth.requests", "outcome", "authenticated", "method", "api_key")).isEqualTo(threads * each);
    FunctionTimer calls = registry.get("intake.auth.backend.duration").tag("result", "granted").functionTimer();
    assertThat(calls.count()).isEqualTo(threads * each);
    assertThat(calls.totalTime(TimeUnit.MICROSECONDS)).isEqualTo(threads * each);
    assertThat(registry.find("intake.auth.reloads").tag("result", "success").functionCounters().stream().mapToDouble(c -> c.count()).sum())
        .isEqualTo(threads * each);
  }

  @Test
  void negativeDurationsAndCountsNeverMakeACounterGoDown() {
    IntakeAuthMetrics metrics = IntakeAuthMetrics.builder().build();
    metrics.bindTo(registry);
    metrics.onBackendCall(BackendResult.GRANTED, 5_000);
    metrics.onBackendCall(BackendResult.GRANTED, -1_000_000);
    metrics.onRevocationCheck(true, 3, -2, -1);
    FunctionTimer granted = registry.get("intake.auth.backend.duration").tag("result", "granted").functionTimer();
    assertThat(granted.count()).isEqualTo(2);
    assertThat(granted.totalTime(TimeUnit.NANOSECONDS)).isEqualTo(5_000);
    assertThat(count("intake.auth.revocation.revoked")).isZero();
  }

  @Test
  void theBreakerGaugeIsOrderedByHowBadTheStateIs() {
    assertThat(Arrays.stream(BreakerState.values()).collect(Collectors.toMap(s -> s.name().toLowerCase(Locale.ROOT), IntakeAuthMetrics::breakerValue)))
        .isEqualTo(Map.of("closed", 0.0, "half_open", 1.0, "open", 2.0));
  }

  @Test
  void theAgeOfTheLastSuccessIsInSecondsAndNeverNegative() {
    Instant now = Instant.parse("2026-01-01T00:00:10Z");
    assertThat(IntakeAuthMetrics.ageSeconds(null, now)).isNaN();
    assertThat(IntakeAuthMetrics.ageSeconds(Instant.parse("2026-01-01T00:00:07.5Z"), now)).isEqualTo(2.5);
    assertThat(IntakeAuthMetrics.ageSeconds(Instant.parse("2026-01-01T00:00:11Z"), now)).as("a clock stepped back").isZero();
  }
}
