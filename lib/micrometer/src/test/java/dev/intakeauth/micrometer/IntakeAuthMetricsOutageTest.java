package dev.intakeauth.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.ApplicationPrivileges;
import dev.intakeauth.AuthListener.BackendResult;
import dev.intakeauth.AuthListener.BudgetScope;
import dev.intakeauth.AuthMethod;
import dev.intakeauth.BackendHealth;
import dev.intakeauth.BreakerState;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.CheckResult;
import dev.intakeauth.Outcome;
import dev.intakeauth.Privilege;
import dev.intakeauth.testing.FakePrivilegeChecker;
import dev.intakeauth.testing.FaultInjectingChecker;
import dev.intakeauth.testing.ManualClock;
import dev.intakeauth.testing.TestCredentials;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A backend outage as an operator's registry shows it: the gauges read a real
 * {@link CachingPrivilegeChecker} on a manual clock, and the counters are fed the events of the
 * same story through the listener methods. The checker is not given these metrics as its listener,
 * so every count here is the script's own.
 */
class IntakeAuthMetricsOutageTest {

  private final ManualClock clock = new ManualClock();
  private final FakePrivilegeChecker keys = new FakePrivilegeChecker();
  private final FaultInjectingChecker backend = FaultInjectingChecker.wrap(keys);
  private final CachingPrivilegeChecker checker = CachingPrivilegeChecker.builder(backend).timeSource(clock).executor(Runnable::run)
      .breakerThreshold(3).breakerCoolDown(Duration.ofSeconds(5)).build();
  private final IntakeAuthMetrics metrics = IntakeAuthMetrics.builder().timeSource(clock).build().monitor(checker);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private ApiKeyCredential newKey() {
    ApiKeyCredential key = TestCredentials.randomApiKey();
    keys.grant(key, Privilege.EVENT_WRITE);
    return key;
  }

  private double gauge(String name) {
    return registry.get(name).gauge().value();
  }

  private double counter(String name, String... tags) {
    return registry.get(name).tags(tags).functionCounter().count();
  }

  /** The age gauge against the checker's own health: NaN until the checker records a success. */
  private void assertAgeMatchesHealth() {
    BackendHealth health = checker.health();
    Double expected = IntakeAuthMetrics.ageSeconds(health.lastSuccess(), clock.instant());
    assertThat(Double.valueOf(registry.get("intake.auth.backend.last_success.age").timeGauge().value(TimeUnit.SECONDS))).isEqualTo(expected);
  }

  @Test
  void anOutageOpensTheBreakerGaugeAndTheCountersTellTheStory() {
    metrics.bindTo(registry);
    assertThat(gauge("cache.size")).isZero();
    assertThat(gauge("intake.auth.breaker.state")).as("closed").isZero();
    assertAgeMatchesHealth();

    // Two agents' keys are looked up and cached.
    ApiKeyCredential first = newKey();
    ApiKeyCredential second = newKey();
    for (ApiKeyCredential key : new ApiKeyCredential[] {first, second}) {
      assertThat(checker.check(key, ApplicationPrivileges.APM)).isInstanceOf(CheckResult.Granted.class);
      metrics.onCacheMiss();
      metrics.onBackendCall(BackendResult.GRANTED, 4_000_000);
      metrics.onRequest(Outcome.AUTHENTICATED, AuthMethod.API_KEY);
    }
    assertThat(checker.check(first, ApplicationPrivileges.APM)).isInstanceOf(CheckResult.Granted.class);
    metrics.onCacheHit();
    metrics.onRequest(Outcome.AUTHENTICATED, AuthMethod.API_KEY);
    assertThat(gauge("cache.size")).isEqualTo(2);
    clock.advance(Duration.ofSeconds(30));
    assertAgeMatchesHealth();

    // The backend goes away: three new keys fail, and the breaker opens.
    backend.refuse();
    for (int i = 0; i < 3; i++) {
      assertThat(checker.check(newKey(), ApplicationPrivileges.APM)).isInstanceOf(CheckResult.Unavailable.class);
      metrics.onCacheMiss();
      metrics.onBackendCall(BackendResult.UNAVAILABLE, 1_000_000);
      metrics.onRequest(Outcome.UNAVAILABLE, AuthMethod.API_KEY);
    }
    metrics.onBreakerStateChange(BreakerState.CLOSED, BreakerState.OPEN);
    assertThat(checker.health().breaker()).isEqualTo(BreakerState.OPEN);
    assertThat(gauge("intake.auth.breaker.state")).as("open").isEqualTo(2);
    assertThat(gauge("cache.size")).as("failures are not cached").isEqualTo(2);
    // A cached key keeps working; a new one is refused at once; a sprayer spends its share.
    assertThat(checker.check(second, ApplicationPrivileges.APM)).isInstanceOf(CheckResult.Granted.class);
    metrics.onCacheHit();
    metrics.onRequest(Outcome.AUTHENTICATED, AuthMethod.API_KEY);
    metrics.onBudgetRefusal(BudgetScope.CLIENT);
    metrics.onRequest(Outcome.UNAVAILABLE, AuthMethod.API_KEY);

    // After the cool-down one probe goes out while the backend still hangs: half-open.
    clock.advance(Duration.ofSeconds(5));
    backend.hang();
    CompletableFuture<CheckResult> probe = checker.checkAsync(newKey(), ApplicationPrivileges.APM);
    metrics.onBreakerStateChange(BreakerState.OPEN, BreakerState.HALF_OPEN);
    assertThat(checker.health().breaker()).isEqualTo(BreakerState.HALF_OPEN);
    assertThat(gauge("intake.auth.breaker.state")).as("half-open").isEqualTo(1);

    // The backend comes back and the probe's answer closes the breaker.
    assertThat(backend.release()).isEqualTo(1);
    assertThat(probe.join()).isInstanceOf(CheckResult.Granted.class);
    metrics.onCacheMiss();
    metrics.onBackendCall(BackendResult.GRANTED, 2_000_000);
    metrics.onRequest(Outcome.AUTHENTICATED, AuthMethod.API_KEY);
    metrics.onBreakerStateChange(BreakerState.HALF_OPEN, BreakerState.CLOSED);
    assertThat(gauge("intake.auth.breaker.state")).as("closed again").isZero();
    assertThat(gauge("cache.size")).isEqualTo(3);
    assertAgeMatchesHealth();

    assertThat(counter("intake.auth.requests", "outcome", "authenticated", "method", "api_key")).isEqualTo(5);
    assertThat(counter("intake.auth.requests", "outcome", "unavailable", "method", "api_key", "status", "503")).isEqualTo(4);
    assertThat(counter("cache.gets", "result", "hit")).isEqualTo(2);
    assertThat(counter("cache.gets", "result", "miss")).isEqualTo(6);
    assertThat(registry.get("intake.auth.backend.duration").tag("result", "granted").functionTimer().count()).isEqualTo(3);
    assertThat(registry.get("intake.auth.backend.duration").tag("result", "granted").functionTimer().totalTime(TimeUnit.MILLISECONDS)).isEqualTo(10);
    assertThat(registry.get("intake.auth.backend.duration").tag("result", "unavailable").functionTimer().count()).isEqualTo(3);
    assertThat(counter("intake.auth.breaker.transitions", "to", "open")).isEqualTo(1);
    assertThat(counter("intake.auth.breaker.transitions", "to", "half_open")).isEqualTo(1);
    assertThat(counter("intake.auth.breaker.transitions", "to", "closed")).isEqualTo(1);
    assertThat(counter("intake.auth.budget.refusals", "scope", "client")).isEqualTo(1);
    assertThat(backend.calls()).as("the open breaker kept the backend out of it").isEqualTo(6);
  }
}
