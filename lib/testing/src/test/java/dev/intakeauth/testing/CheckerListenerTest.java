package dev.intakeauth.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.ApplicationPrivileges;
import dev.intakeauth.AuthListener;
import dev.intakeauth.AuthResult;
import dev.intakeauth.Authenticator;
import dev.intakeauth.BackendHealth;
import dev.intakeauth.BreakerState;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.CheckResult;
import dev.intakeauth.Privilege;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * What the caching checker tells its listener, event by event, what {@code health()} reads, and
 * {@code invalidate(keyId)}: exact sequences against a manual clock.
 */
class CheckerListenerTest {

  private static final ApplicationPrivileges APM = ApplicationPrivileges.APM;
  private static final ApplicationPrivileges SOURCEMAPS = ApplicationPrivileges.of("apm", "-", "sourcemap:write");
  private static final CheckResult.Granted WRITE = new CheckResult.Granted(Set.of(Privilege.EVENT_WRITE), null);

  private final ManualClock clock = new ManualClock();
  private final FakePrivilegeChecker keys = new FakePrivilegeChecker();
  private final FaultInjectingChecker backend = FaultInjectingChecker.wrap(keys);
  private final Recorder events = new Recorder();

  /** Records every event as a short word, and every argument it was given. */
  static final class Recorder implements AuthListener {
    final List<String> seen = Collections.synchronizedList(new ArrayList<>());
    final List<Object> arguments = Collections.synchronizedList(new ArrayList<>());
    final List<Long> durations = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void onCacheHit() {
      seen.add("hit");
    }

    @Override
    public void onCacheMiss() {
      seen.add("miss");
    }

    @Override
    public void onCacheEviction(EvictionCause cause) {
      arguments.add(cause);
      seen.add("evicted " + cause);
    }

    @Override
    public void onBackendCall(BackendResult result, long durationNanos) {
      arguments.add(result);
      durations.add(durationNanos);
      seen.add("backend " + result);
    }

    @Override
    public void onBudgetRefusal(BudgetScope scope) {
      arguments.add(scope);
      seen.add("refused " + scope);
    }

    @Override
    public void onBreakerStateChange(BreakerState from, BreakerState to) {
      arguments.add(from);
      arguments.add(to);
      seen.add("breaker " + from + "->" + to);
    }

    List<String> take() {
      synchronized (seen) {
        List<String> copy = List.copyOf(seen);
        seen.clear();
        return copy;
      }
    }

    long count(String event) {
      synchronized (seen) {
        return seen.stream().filter(event::equals).count();
      }
    }
  }

  private CachingPrivilegeChecker.Builder cache() {
    return CachingPrivilegeChecker.builder(backend).timeSource(clock).executor(Runnable::run).listener(events);
  }

  private ApiKeyCredential newKey() {
    ApiKeyCredential key = TestCredentials.randomApiKey();
    keys.grant(key, Privilege.EVENT_WRITE);
    return key;
  }

  @Test
  void aRequestThroughTheAuthenticatorIsOneMissThenOneHit() {
    CachingPrivilegeChecker checker = cache().build();
    Authenticator auth = Authenticator.builder().apiKeys(checker).build();
    ApiKeyCredential key = newKey();
    String header = key.authorizationValue();

    assertThat(auth.authenticate(header)).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(events.take()).containsExactly("miss", "backend GRANTED");
    auth.authenticate(header);
    auth.authenticate(header);
    assertThat(events.take()).containsExactly("hit", "hit");
    // The full parser's path (the value twice) is one lookup too.
    auth.authenticate(List.of(header, header));
    assertThat(events.take()).containsExactly("hit");
  }

  @Test
  void anUnknownKeyIsCachedAndCountsAsAHit() {
    CachingPrivilegeChecker checker = cache().build();
    ApiKeyCredential unknown = TestCredentials.randomApiKey();
    assertThat(checker.check(unknown, APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
    assertThat(checker.check(unknown, APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
    assertThat(events.take()).containsExactly("miss", "backend UNKNOWN_KEY", "hit");
  }

  @Test
  void lookupsThatJoinABackendCallUnderWayAreMissesAndShareOneCall() {
    CachingPrivilegeChecker checker = cache().build();
    ApiKeyCredential key = newKey();
    backend.hang();
    List<CompletableFuture<CheckResult>> answers = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      answers.add(checker.checkAsync(key, APM));
    }
    assertThat(answers).noneMatch(CompletableFuture::isDone);
    assertThat(events.take()).containsExactlyElementsOf(Collections.nCopies(8, "miss"));
    backend.release();
    for (CompletableFuture<CheckResult> answer : answers) {
      assertThat(answer.join()).isEqualTo(WRITE);
    }
    assertThat(events.take()).containsExactly("backend GRANTED");
    assertThat(backend.calls()).isEqualTo(1);
  }

  @Test
  void aRefreshIsAHitAndOneBackendCallWithItsDuration() {
    CachingPrivilegeChecker checker = cache().expireAfterWrite(Duration.ofSeconds(60)).build();
    Authenticator auth = Authenticator.builder().apiKeys(checker).build();
    ApiKeyCredential key = newKey();
    auth.authenticate(key.authorizationValue());
    clock.advance(Duration.ofSeconds(50));
    // Past 80% of its lifetime: served from the cache, refreshed behind it.
    assertThat(auth.authenticate(key.authorizationValue())).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(events.take()).containsExactly("miss", "backend GRANTED", "hit", "backend GRANTED");
    assertThat(backend.calls()).isEqualTo(2);
    assertThat(events.durations).containsExactly(0L, 0L);
  }

  @Test
  void anExpiredAnswerIsOneExpiryThenAMiss() {
    CachingPrivilegeChecker checker = cache().expireAfterWrite(Duration.ofSeconds(60)).build();
    ApiKeyCredential key = newKey();
    checker.check(key, APM);
    clock.advance(Duration.ofSeconds(61));
    assertThat(checker.cachedKeyIds()).isEmpty();
    checker.check(key, APM);
    assertThat(events.take()).containsExactly("miss", "backend GRANTED", "evicted EXPIRED", "miss", "backend GRANTED");
  }

  @Test
  void aFullCachePushingAnAnswerOutIsASizeEviction() {
    CachingPrivilegeChecker checker = cache().maximumSize(2).build();
    for (int i = 0; i < 3; i++) {
      checker.check(newKey(), APM);
    }
    // Caffeine may also turn the newcomer away; either way one usable answer left because of size.
    for (int i = 0; i < 100 && events.count("evicted SIZE") == 0; i++) {
      checker.health();
      Thread.onSpinWait();
    }
    assertThat(checker.health().cachedAnswers()).isEqualTo(2);
    assertThat(events.count("evicted SIZE")).isEqualTo(1);
    assertThat(events.count("miss")).isEqualTo(3);
  }

  @Test
  void budgetRefusalsAreToldByScope() {
    CachingPrivilegeChecker checker = cache().newKeysPerMinute(3).newKeysPerClientPerMinute(1).build();
    assertThat(checker.checkAsync(newKey(), APM).join()).isEqualTo(WRITE);
    events.take();
    // Without a client identity only the global budget counts.
    ApiKeyCredential a = newKey();
    ApiKeyCredential b = newKey();
    assertThat(checker.check(a, APM)).isEqualTo(WRITE);
    assertThat(checker.check(b, APM)).isEqualTo(WRITE);
    assertThat(checker.check(newKey(), APM)).isInstanceOf(CheckResult.Unavailable.class);
    assertThat(events.take()).containsExactly("miss", "backend GRANTED", "miss", "backend GRANTED", "miss", "refused GLOBAL");

    clock.advance(Duration.ofMinutes(1));
    Authenticator auth = Authenticator.builder().apiKeys(checker).build();
    assertThat(auth.authenticateAsync(List.of(newKey().authorizationValue()), "10.0.0.1").join()).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(auth.authenticateAsync(List.of(newKey().authorizationValue()), "10.0.0.1").join()).isInstanceOf(AuthResult.Unavailable.class);
    assertThat(events.take()).containsExactly("miss", "backend GRANTED", "miss", "refused CLIENT");
  }

  @Test
  void theBreakerTellsEachRealChangeOnce() {
    CachingPrivilegeChecker checker = cache().breakerThreshold(2).breakerCoolDown(Duration.ofSeconds(5)).build();
    backend.refuse();
    checker.check(newKey(), APM);
    checker.check(newKey(), APM);
    assertThat(events.take()).containsExactly("miss", "backend UNAVAILABLE", "miss", "backend UNAVAILABLE", "breaker CLOSED->OPEN");
    assertThat(checker.health().breaker()).isEqualTo(BreakerState.OPEN);
    // Open: no call, no change.
    checker.check(newKey(), APM);
    assertThat(events.take()).containsExactly("miss");

    clock.advance(Duration.ofSeconds(5));
    checker.check(newKey(), APM);
    assertThat(events.take()).containsExactly("miss", "breaker OPEN->HALF_OPEN", "backend UNAVAILABLE", "breaker HALF_OPEN->OPEN");

    clock.advance(Duration.ofSeconds(5));
    backend.heal();
    assertThat(checker.check(newKey(), APM)).isEqualTo(WRITE);
    assertThat(events.take()).containsExactly("miss", "breaker OPEN->HALF_OPEN", "backend GRANTED", "breaker HALF_OPEN->CLOSED");
    assertThat(checker.health().breaker()).isEqualTo(BreakerState.CLOSED);
  }

  @Test
  void aProbeSlotGivenBackUnusedIsAChangeBackToOpen() {
    CachingPrivilegeChecker checker = cache().breakerThreshold(1).newKeysPerMinute(1).build();
    backend.refuse();
    checker.check(newKey(), APM);
    clock.advance(Duration.ofSeconds(5));
    events.take();
    // The budget (spent by the first key) refuses the probe's lookup: the slot is given back.
    assertThat(checker.check(newKey(), APM)).isInstanceOf(CheckResult.Unavailable.class);
    assertThat(events.take()).containsExactly("miss", "breaker OPEN->HALF_OPEN", "refused GLOBAL", "breaker HALF_OPEN->OPEN");
  }

  @Test
  void aCallPastTheDeadlineIsTimedOut() {
    CachingPrivilegeChecker checker = cache().deadline(Duration.ofMillis(50)).build();
    backend.hang();
    assertThat(checker.check(newKey(), APM)).isInstanceOf(CheckResult.Unavailable.class);
    assertThat(events.take()).containsExactly("miss", "backend TIMED_OUT");
    BackendHealth health = checker.health();
    assertThat(health.lastFailure()).isEqualTo(clock.instant());
    assertThat(health.lastSuccess()).isNull();
  }

  @Test
  void healthReadsTheTimesOfTheLastAnswerAndTheLastFailure() {
    CachingPrivilegeChecker checker = cache().build();
    assertThat(checker.health()).isEqualTo(new BackendHealth(BreakerState.CLOSED, null, null, 0));
    Instant first = clock.instant();
    checker.check(newKey(), APM);
    clock.advance(Duration.ofSeconds(10));
    Instant failed = clock.instant();
    backend.refuse();
    checker.check(newKey(), APM);
    clock.advance(Duration.ofSeconds(10));
    backend.heal();
    // A cached answer is no backend call: the time of the last success stays.
    checker.health();
    BackendHealth health = checker.health();
    assertThat(health.lastSuccess()).isEqualTo(first);
    assertThat(health.lastFailure()).isEqualTo(failed);
    assertThat(health.cachedAnswers()).isEqualTo(1);
    checker.check(TestCredentials.randomApiKey(), APM);
    assertThat(checker.health().lastSuccess()).isEqualTo(clock.instant());
  }

  @Test
  void aThrowingListenerChangesNoAnswer() {
    AuthListener throwing = new AuthListener() {
      @Override
      public void onCacheHit() {
        throw new IllegalStateException("listener broke");
      }

      @Override
      public void onCacheMiss() {
        throw new IllegalStateException("listener broke");
      }

      @Override
      public void onBackendCall(BackendResult result, long durationNanos) {
        throw new IllegalStateException("listener broke");
      }

      @Override
      public void onCacheEviction(EvictionCause cause) {
        throw new IllegalStateException("listener broke");
      }

      @Override
      public void onBreakerStateChange(BreakerState from, BreakerState to) {
        throw new AssertionError("listener broke");
      }

      @Override
      public void onBudgetRefusal(BudgetScope scope) {
        throw new IllegalStateException("listener broke");
      }
    };
    CachingPrivilegeChecker checker =
        CachingPrivilegeChecker.builder(backend).timeSource(clock).executor(Runnable::run).listener(throwing)
            .breakerThreshold(1).newKeysPerMinute(3).build();
    Authenticator auth = Authenticator.builder().apiKeys(checker).build();
    ApiKeyCredential key = newKey();
    assertThat(auth.authenticate(key.authorizationValue())).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(auth.authenticate(key.authorizationValue())).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(backend.calls()).isEqualTo(1);
    checker.invalidate(key.id());
    assertThat(checker.cachedKeyIds()).isEmpty();
    backend.refuse();
    assertThat(checker.check(key, APM)).isInstanceOf(CheckResult.Unavailable.class);
    assertThat(checker.health().breaker()).isEqualTo(BreakerState.OPEN);
    backend.heal();
    clock.advance(Duration.ofSeconds(5));
    assertThat(checker.check(key, APM)).isEqualTo(WRITE);
    assertThat(checker.check(newKey(), APM)).isInstanceOf(CheckResult.Unavailable.class);
    assertThat(checker.check(key, APM)).isEqualTo(WRITE);
  }

  @Test
  void theListenerNeverSeesAKeyIdNorASecret() {
    CachingPrivilegeChecker checker = cache().maximumSize(2).newKeysPerMinute(4).breakerThreshold(1).build();
    ApiKeyCredential key = ApiKeyCredential.of("visible-id-123", "secret-value-456");
    keys.grant(key, Privilege.EVENT_WRITE);
    checker.check(key, APM);
    checker.check(key, APM);
    checker.invalidate(key.id());
    backend.refuse();
    checker.check(key, APM);
    for (int i = 0; i < 4; i++) {
      checker.check(newKey(), APM);
    }
    assertThat(events.arguments).isNotEmpty();
    for (Object argument : events.arguments) {
      assertThat(argument).isInstanceOfAny(Enum.class);
      assertThat(argument.toString()).doesNotContain("visible-id-123").doesNotContain("secret-value-456");
    }
  }

  @Test
  void invalidateForgetsEverySecretAndScopeOfOneIdAtOnce() {
    CachingPrivilegeChecker checker = cache().newKeysPerMinute(7).staleIfError(Duration.ofMinutes(5)).build();
    ApiKeyCredential one = ApiKeyCredential.of("shared-id", "first-secret");
    ApiKeyCredential two = ApiKeyCredential.of("shared-id", "second-secret");
    ApiKeyCredential other = newKey();
    keys.grant(one, Privilege.EVENT_WRITE);
    keys.grant(two, Privilege.EVENT_WRITE);
    for (ApiKeyCredential key : List.of(one, two)) {
      for (ApplicationPrivileges scope : List.of(APM, SOURCEMAPS)) {
        assertThat(checker.check(key, scope)).isInstanceOf(CheckResult.Granted.class);
      }
    }
    checker.check(other, APM);
    assertThat(checker.cachedKeyIds()).containsExactlyInAnyOrder("shared-id", other.id());
    events.take();

    checker.invalidate("shared-id");
    assertThat(events.take()).containsExactlyElementsOf(Collections.nCopies(4, "evicted INVALIDATED"));
    assertThat(checker.cachedKeyIds()).containsExactly(other.id());

    // No stale answer stands in for it while the backend is down.
    backend.refuse();
    assertThat(checker.check(one, APM)).isInstanceOf(CheckResult.Unavailable.class);
    backend.heal();
    // Nor is it still "granted lately": each lookup spends budget (one token left of seven).
    assertThat(checker.check(two, APM)).isEqualTo(WRITE);
    assertThat(checker.check(one, SOURCEMAPS)).isInstanceOf(CheckResult.Unavailable.class);
    assertThat(events.take()).containsExactly("miss", "backend UNAVAILABLE", "miss", "backend GRANTED", "miss", "refused GLOBAL");
    assertThat(checker.check(other, APM)).isEqualTo(WRITE);
    assertThat(events.take()).containsExactly("hit");
  }

  @Test
  void anAnswerFetchedBeforeAnInvalidationAndSettledAfterItIsNotCached() {
    CachingPrivilegeChecker checker = cache().build();
    ApiKeyCredential key = newKey();
    backend.hang();
    CompletableFuture<CheckResult> raced = checker.checkAsync(key, APM);
    checker.invalidate(key.id());
    // The backend still says "granted": it was asked before the revocation.
    assertThat(backend.release()).isEqualTo(1);
    assertThat(raced.join()).isEqualTo(WRITE);
    assertThat(checker.cachedKeyIds()).isEmpty();
    keys.revoke(key);
    assertThat(checker.check(key, APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
    assertThat(backend.calls()).isEqualTo(2);
    // A never-cached answer is no eviction.
    assertThat(events.take()).containsExactly("miss", "backend GRANTED", "miss", "backend UNKNOWN_KEY");
  }

  @Test
  void anInvalidationOfAnotherIdKeepsAnAnswerUnderWay() {
    CachingPrivilegeChecker checker = cache().build();
    ApiKeyCredential key = newKey();
    backend.hang();
    CompletableFuture<CheckResult> underWay = checker.checkAsync(key, APM);
    checker.invalidate("some-other-id");
    backend.release();
    assertThat(underWay.join()).isEqualTo(WRITE);
    assertThat(checker.cachedKeyIds()).containsExactly(key.id());
  }

  @Test
  void aRefreshUnderWayWhenItsIdIsInvalidatedPutsNothingBack() {
    CachingPrivilegeChecker checker = cache().expireAfterWrite(Duration.ofSeconds(60)).build();
    ApiKeyCredential key = newKey();
    checker.check(key, APM);
    clock.advance(Duration.ofSeconds(50));
    backend.hang();
    assertThat(checker.check(key, APM)).isEqualTo(WRITE);
    checker.invalidate(key.id());
    backend.release();
    assertThat(checker.cachedKeyIds()).isEmpty();
    keys.revoke(key);
    assertThat(checker.check(key, APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
    assertThat(events.take())
        .containsExactly("miss", "backend GRANTED", "hit", "evicted INVALIDATED", "backend GRANTED", "miss", "backend UNKNOWN_KEY");
  }

  @Test
  void invalidateAllTellsOneEvictionPerUsableAnswer() {
    CachingPrivilegeChecker checker = cache().build();
    checker.check(newKey(), APM);
    checker.check(TestCredentials.randomApiKey(), APM);
    backend.refuse();
    checker.check(newKey(), APM);
    events.take();
    checker.invalidateAll();
    assertThat(events.take()).containsExactly("evicted INVALIDATED", "evicted INVALIDATED");
    assertThat(checker.health().cachedAnswers()).isZero();
  }

  @Test
  void severalIdsAreInvalidatedInOneCall() {
    CachingPrivilegeChecker checker = cache().build();
    ApiKeyCredential a = newKey();
    ApiKeyCredential b = newKey();
    ApiKeyCredential kept = newKey();
    for (ApiKeyCredential key : List.of(a, b, kept)) {
      checker.check(key, APM);
    }
    events.take();
    checker.invalidateAll(List.of(a.id(), b.id(), "not-cached"));
    assertThat(events.take()).containsExactly("evicted INVALIDATED", "evicted INVALIDATED");
    assertThat(checker.cachedKeyIds()).containsExactly(kept.id());
    assertThatNullPointerException().isThrownBy(() -> checker.invalidateAll(java.util.Arrays.asList(kept.id(), null)));
    assertThat(checker.cachedKeyIds()).containsExactly(kept.id());
  }

  @Test
  void invalidateTakesAnyTextAsAnIdButNotNull() {
    CachingPrivilegeChecker checker = cache().build();
    ApiKeyCredential key = newKey();
    checker.check(key, APM);
    assertThatNullPointerException().isThrownBy(() -> checker.invalidate(null));
    for (String hostile : List.of("", " ", "*", ".*", "\u0000", "id\r\nX-Injected: 1", "\u202e", "x".repeat(10_000), key.id() + " ")) {
      checker.invalidate(hostile);
    }
    assertThat(checker.cachedKeyIds()).containsExactly(key.id());
    assertThat(events.take()).containsExactly("miss", "backend GRANTED");
    checker.invalidateAll();
    events.take();
    checker.check(key, APM);
    checker.invalidate(key.id().toUpperCase(java.util.Locale.ROOT).equals(key.id()) ? key.id() + "x" : key.id().toUpperCase(java.util.Locale.ROOT));
    assertThat(checker.cachedKeyIds()).containsExactly(key.id());
    assertThat(events.take()).containsExactly("miss", "backend GRANTED");
  }

  @Test
  void withoutAListenerNothingIsToldAndAnswersAreTheSame() {
    CachingPrivilegeChecker checker = CachingPrivilegeChecker.builder(backend).timeSource(clock).executor(Runnable::run).maximumSize(2).build();
    ApiKeyCredential key = newKey();
    assertThat(checker.check(key, APM)).isEqualTo(WRITE);
    assertThat(checker.check(key, APM)).isEqualTo(WRITE);
    checker.invalidate(key.id());
    assertThat(checker.cachedKeyIds()).isEmpty();
    assertThat(checker.check(key, APM)).isEqualTo(WRITE);
    assertThat(backend.calls()).isEqualTo(2);
    assertThat(checker.health().lastSuccess()).isEqualTo(clock.instant());
  }
}
