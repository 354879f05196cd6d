package dev.intakeauth.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.ApplicationPrivileges;
import dev.intakeauth.AuthResult;
import dev.intakeauth.Authenticator;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.CheckResult;
import dev.intakeauth.Privilege;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The caching layer of the core, driven through the fakes users get. */
class CachingPrivilegeCheckerTest {

  private static final ApplicationPrivileges APM = ApplicationPrivileges.APM;
  private static final CheckResult.Granted WRITE = new CheckResult.Granted(Set.of(Privilege.EVENT_WRITE), null);

  private final ManualClock clock = new ManualClock();
  private final FakePrivilegeChecker keys = new FakePrivilegeChecker();
  private final FaultInjectingChecker backend = FaultInjectingChecker.wrap(keys);
  private final ExecutorService pool = Executors.newFixedThreadPool(50);

  @AfterEach
  void stopPool() {
    pool.shutdownNow();
  }

  private CachingPrivilegeChecker.Builder cache() {
    return CachingPrivilegeChecker.builder(backend).timeSource(clock).executor(Runnable::run);
  }

  private static ApiKeyCredential newKey(FakePrivilegeChecker keys) {
    ApiKeyCredential key = TestCredentials.randomApiKey();
    keys.grant(key, Privilege.EVENT_WRITE);
    return key;
  }

  @Test
  void aWrongSecretNeverGetsTheRightSecretsAnswerNorLocksItOut_rightFirst() {
    CachingPrivilegeChecker checker = cache().build();
    keys.grant(TestCredentials.API_KEY, Privilege.EVENT_WRITE);
    assertThat(checker.check(TestCredentials.API_KEY, APM)).isEqualTo(WRITE);
    assertThat(checker.check(TestCredentials.API_KEY_WRONG_SECRET, APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
    assertThat(checker.check(TestCredentials.API_KEY, APM)).isEqualTo(WRITE);
    assertThat(backend.calls()).isEqualTo(2);
  }

  @Test
  void aWrongSecretNeverGetsTheRightSecretsAnswerNorLocksItOut_wrongFirst() {
    CachingPrivilegeChecker checker = cache().build();
    keys.grant(TestCredentials.API_KEY, Privilege.EVENT_WRITE);
    assertThat(checker.check(TestCredentials.API_KEY_WRONG_SECRET, APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
    assertThat(checker.check(TestCredentials.API_KEY, APM)).isEqualTo(WRITE);
    assertThat(checker.check(TestCredentials.API_KEY_WRONG_SECRET, APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
    assertThat(backend.calls()).isEqualTo(2);
  }

  @Test
  void fiftyConcurrentFirstRequestsShareOneBackendCall() throws Exception {
    CachingPrivilegeChecker checker = cache().build();
    ApiKeyCredential key = newKey(keys);
    backend.hang();
    CountDownLatch start = new CountDownLatch(1);
    List<Future<CompletableFuture<CheckResult>>> asks = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      asks.add(pool.submit(() -> {
        start.await();
        return checker.checkAsync(key, APM);
      }));
    }
    start.countDown();
    List<CompletableFuture<CheckResult>> answers = new ArrayList<>();
    for (Future<CompletableFuture<CheckResult>> ask : asks) {
      answers.add(ask.get());
    }
    assertThat(answers).noneMatch(CompletableFuture::isDone);
    assertThat(backend.calls()).isEqualTo(1);
    assertThat(backend.release()).isEqualTo(1);
    for (CompletableFuture<CheckResult> answer : answers) {
      assertThat(answer.get()).isEqualTo(WRITE);
    }
    assertThat(checker.backendCalls()).isEqualTo(1);
  }

  @Test
  void theBudgetRefusesKey101WithinAMinuteAndAcceptsItAfter() {
    CachingPrivilegeChecker checker = cache().newKeysPerMinute(100).limitSettingName("apm-server.auth.api_key.limit").build();
    List<ApiKeyCredential> first = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      ApiKeyCredential key = newKey(keys);
      first.add(key);
      assertThat(checker.check(key, APM)).isEqualTo(WRITE);
    }
    ApiKeyCredential key101 = newKey(keys);
    CheckResult refused = checker.check(key101, APM);
    assertThat(refused).isInstanceOf(CheckResult.Unavailable.class);
    CheckResult.Unavailable u = (CheckResult.Unavailable) refused;
    assertThat(u.detail()).contains("apm-server.auth.api_key.limit").contains("100");
    assertThat(u.retryAfter()).isPositive().isLessThanOrEqualTo(Duration.ofMillis(600));
    assertThat(backend.calls()).isEqualTo(100);

    // Known keys keep working from the cache while the budget is spent.
    clock.advance(Duration.ofSeconds(30));
    for (ApiKeyCredential key : first) {
      assertThat(checker.check(key, APM)).isEqualTo(WRITE);
    }
    assertThat(backend.calls()).isEqualTo(100);

    // Half a minute refilled half the budget: key 101 now goes through, and so do 49 more.
    assertThat(checker.check(key101, APM)).isEqualTo(WRITE);
    for (int i = 0; i < 49; i++) {
      assertThat(checker.check(newKey(keys), APM)).isEqualTo(WRITE);
    }
    assertThat(checker.check(newKey(keys), APM)).isInstanceOf(CheckResult.Unavailable.class);
    clock.advance(Duration.ofMinutes(1));
    assertThat(checker.check(newKey(keys), APM)).isEqualTo(WRITE);
  }

  @Test
  void theBudgetThroughTheAuthenticatorIsA503WithARetryHint() {
    CachingPrivilegeChecker checker = cache().newKeysPerMinute(1).build();
    Authenticator auth = Authenticator.builder().apiKeys(checker).build();
    assertThat(auth.authenticate(newKey(keys).authorizationValue())).isInstanceOf(AuthResult.Authenticated.class);
    AuthResult r = auth.authenticate(newKey(keys).authorizationValue());
    assertThat(r).isInstanceOf(AuthResult.Unavailable.class);
    assertThat(((AuthResult.Unavailable) r).message()).isEqualTo("service unavailable");
    assertThat(((AuthResult.Unavailable) r).retryAfter()).isEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void aHangingBackendGivesA503WithinTheDeadline() {
    CachingPrivilegeChecker checker = cache().deadline(Duration.ofMillis(200)).build();
    Authenticator auth = Authenticator.builder().apiKeys(checker).build();
    ApiKeyCredential key = newKey(keys);
    backend.hang();
    AuthResult r = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> auth.authenticate(key.authorizationValue()));
    assertThat(r).isInstanceOf(AuthResult.Unavailable.class);
    assertThat(((AuthResult.Unavailable) r).detail()).contains("no answer within");
    assertThat(backend.hanging()).as("the timed-out call was cancelled").isZero();
    // The timeout was not cached: once the backend answers, so do we.
    backend.heal();
    assertThat(auth.authenticate(key.authorizationValue())).isInstanceOf(AuthResult.Authenticated.class);
  }

  @Test
  void theBreakerOpensFailsFastAndClosesAfterASuccessfulProbe() {
    CachingPrivilegeChecker checker = cache().breakerThreshold(3).breakerCoolDown(Duration.ofSeconds(5)).build();
    ApiKeyCredential key = newKey(keys);
    backend.refuse();
    for (int i = 0; i < 3; i++) {
      assertThat(checker.check(key, APM)).isInstanceOf(CheckResult.Unavailable.class);
    }
    assertThat(backend.calls()).isEqualTo(3);

    CheckResult fast = checker.check(key, APM);
    assertThat(((CheckResult.Unavailable) fast).detail()).contains("circuit breaker open");
    assertThat(((CheckResult.Unavailable) fast).retryAfter()).isEqualTo(Duration.ofSeconds(5));
    assertThat(backend.calls()).as("open breaker does not call the backend").isEqualTo(3);

    backend.heal();
    clock.advance(Duration.ofSeconds(4));
    assertThat(checker.check(key, APM)).isInstanceOf(CheckResult.Unavailable.class);
    assertThat(backend.calls()).isEqualTo(3);

    clock.advance(Duration.ofSeconds(1));
    assertThat(checker.check(key, APM)).isEqualTo(WRITE);
    assertThat(backend.calls()).isEqualTo(4);
    assertThat(checker.check(newKey(keys), APM)).isEqualTo(WRITE);
    assertThat(checker.toString()).contains("CLOSED");
  }

  @Test
  void aFailedProbeReopensTheBreaker() {
    CachingPrivilegeChecker checker = cache().breakerThreshold(1).breakerCoolDown(Duration.ofSeconds(5)).build();
    ApiKeyCredential key = newKey(keys);
    backend.refuse();
    checker.check(key, APM);
    clock.advance(Duration.ofSeconds(5));
    checker.check(key, APM);
    assertThat(backend.calls()).isEqualTo(2);
    assertThat(checker.check(key, APM)).isInstanceOf(CheckResult.Unavailable.class);
    assertThat(backend.calls()).isEqualTo(2);
  }

  @Test
  void staleIfErrorServesTheLastAnswerWithinTheGraceAndRefusesAfter() {
    CachingPrivilegeChecker checker = cache().expireAfterWrite(Duration.ofSeconds(60)).staleIfError(Duration.ofSeconds(30)).build();
    ApiKeyCredential key = newKey(keys);
    assertThat(checker.check(key, APM)).isEqualTo(WRITE);
    clock.advance(Duration.ofSeconds(61));
    backend.refuse();
    assertThat(checker.check(key, APM)).isEqualTo(WRITE);
    assertThat(checker.checkAsync(key, APM).join()).isEqualTo(WRITE);
    assertThat(backend.calls()).as("each stale answer is preceded by a real attempt").isEqualTo(3);
    clock.advance(Duration.ofSeconds(30));
    assertThat(checker.check(key, APM)).isInstanceOf(CheckResult.Unavailable.class);
    // A key never seen before has nothing stale to fall back on.
    assertThat(checker.check(newKey(keys), APM)).isInstanceOf(CheckResult.Unavailable.class);
  }

  @Test
  void staleIfErrorIsOffByDefault() {
    CachingPrivilegeChecker checker = cache().build();
    ApiKeyCredential key = newKey(keys);
    checker.check(key, APM);
    clock.advance(Duration.ofSeconds(61));
    backend.refuse();
    assertThat(checker.check(key, APM)).isInstanceOf(CheckResult.Unavailable.class);
  }

  @Test
  void aKeyFoundUnknownIsNotServedStale() {
    CachingPrivilegeChecker checker = cache().staleIfError(Duration.ofMinutes(10)).build();
    ApiKeyCredential key = newKey(keys);
    checker.check(key, APM);
    keys.revoke(key);
    clock.advance(Duration.ofSeconds(61));
    assertThat(checker.check(key, APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
    clock.advance(Duration.ofSeconds(61));
    backend.refuse();
    assertThat(checker.check(key, APM)).isInstanceOf(CheckResult.Unavailable.class);
  }

  @Test
  void unavailableAnswersAreNeverCached() {
    CachingPrivilegeChecker checker = cache().build();
    ApiKeyCredential key = newKey(keys);
    backend.failNext(1);
    assertThat(checker.check(key, APM)).isInstanceOf(CheckResult.Unavailable.class);
    assertThat(checker.check(key, APM)).isEqualTo(WRITE);
    assertThat(checker.check(key, APM)).isEqualTo(WRITE);
    assertThat(backend.calls()).isEqualTo(2);
  }

  @Test
  void answersExpireAfterWriteNotAfterAccess() {
    CachingPrivilegeChecker checker = cache().expireAfterWrite(Duration.ofSeconds(60)).build();
    ApiKeyCredential key = newKey(keys);
    ApiKeyCredential unknown = TestCredentials.randomApiKey();
    checker.check(key, APM);
    checker.check(unknown, APM);
    for (int i = 0; i < 6; i++) {
      clock.advance(Duration.ofSeconds(i == 5 ? 9 : 10));
      assertThat(checker.check(key, APM)).isEqualTo(WRITE);
      assertThat(checker.check(unknown, APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
    }
    assertThat(backend.calls()).as("the granted answer was refreshed once, past 80% of its lifetime").isEqualTo(3);
    clock.advance(Duration.ofSeconds(1));
    assertThat(checker.check(unknown, APM)).as("read every 10 s, and still gone 60 s after it was written").isEqualTo(CheckResult.UNKNOWN_KEY);
    assertThat(backend.calls()).isEqualTo(4);
    keys.revoke(key);
    // The refresh at 50 s wrote a new answer; its own refresh point is 48 s later, at 98 s.
    clock.advance(Duration.ofSeconds(37));
    assertThat(checker.check(key, APM)).isEqualTo(WRITE);
    clock.advance(Duration.ofSeconds(1));
    assertThat(checker.check(key, APM)).as("an invalidated key is refused once its answer is refreshed").isEqualTo(CheckResult.UNKNOWN_KEY);
    assertThat(backend.calls()).isEqualTo(5);
  }

  @Test
  void aBackendThatThrowsIsUnavailableAndNotCached() {
    CachingPrivilegeChecker checker = cache().build();
    ApiKeyCredential key = newKey(keys);
    backend.throwing();
    CheckResult r = checker.check(key, APM);
    assertThat(r).isInstanceOf(CheckResult.Unavailable.class);
    assertThat(((CheckResult.Unavailable) r).detail()).doesNotContain(key.encoded());
    backend.heal();
    assertThat(checker.check(key, APM)).isEqualTo(WRITE);
  }

  @Test
  void differentScopesAreCachedApart() {
    CachingPrivilegeChecker checker = cache().build();
    ApiKeyCredential key = newKey(keys);
    assertThat(checker.check(key, APM)).isEqualTo(WRITE);
    ApplicationPrivileges other = ApplicationPrivileges.of("apm", "-", "config_agent:read");
    assertThat(checker.check(key, other)).isEqualTo(new CheckResult.Granted(Set.of(), null));
    assertThat(backend.calls()).isEqualTo(2);
  }

  @Test
  void invalidateAllForgetsEveryAnswer() {
    CachingPrivilegeChecker checker = cache().build();
    ApiKeyCredential key = newKey(keys);
    checker.check(key, APM);
    checker.invalidateAll();
    checker.check(key, APM);
    assertThat(backend.calls()).isEqualTo(2);
  }
}
