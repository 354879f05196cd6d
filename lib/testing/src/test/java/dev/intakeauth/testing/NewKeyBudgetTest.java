package dev.intakeauth.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.ApplicationPrivileges;
import dev.intakeauth.AuthResult;
import dev.intakeauth.Authenticator;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.CheckResult;
import dev.intakeauth.Privilege;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The new-key budget under attack: a client that sprays unknown API keys must lock out neither the
 * keys in use (they are refreshed ahead of expiry without spending budget) nor other clients' new
 * keys (each client gets only its share). Time is a manual clock; the backend is the in-memory fake.
 */
class NewKeyBudgetTest {

  private static final ApplicationPrivileges APM = ApplicationPrivileges.APM;
  private static final CheckResult.Granted WRITE = new CheckResult.Granted(Set.of(Privilege.EVENT_WRITE), null);
  private static final Duration LIFETIME = Duration.ofSeconds(60);
  private static final String SPRAYER = "203.0.113.7";

  private final ManualClock clock = new ManualClock();
  private final FakePrivilegeChecker keys = new FakePrivilegeChecker();
  private final FaultInjectingChecker backend = FaultInjectingChecker.wrap(keys);
  private final ExecutorService pool = Executors.newFixedThreadPool(50);

  @AfterEach
  void stopPool() {
    pool.shutdownNow();
  }

  private CachingPrivilegeChecker.Builder cache() {
    return CachingPrivilegeChecker.builder(backend).timeSource(clock).executor(Runnable::run).expireAfterWrite(LIFETIME);
  }

  private ApiKeyCredential newKey() {
    ApiKeyCredential key = TestCredentials.randomApiKey();
    keys.grant(key, Privilege.EVENT_WRITE);
    return key;
  }

  /** Asks the cache on behalf of a client, as a request does: through an authenticator. */
  private static CheckResult check(CachingPrivilegeChecker checker, ApiKeyCredential key, @Nullable String client) {
    return checkAsync(checker, key, client).join();
  }

  private static CompletableFuture<CheckResult> checkAsync(CachingPrivilegeChecker checker, ApiKeyCredential key, @Nullable String client) {
    return Authenticator.builder().apiKeys(checker).build()
        .authenticateAsync(List.of(key.authorizationValue()), client)
        .thenApply(NewKeyBudgetTest::asCheckResult);
  }

  /** The backend's answer a request's outcome stands for. */
  private static CheckResult asCheckResult(AuthResult outcome) {
    if (outcome instanceof AuthResult.Authenticated ok) {
      return new CheckResult.Granted(ok.privileges(), ok.username());
    }
    if (outcome instanceof AuthResult.Unavailable u) {
      return new CheckResult.Unavailable(u.retryAfter(), u.detail());
    }
    assertThat(outcome).isEqualTo(new AuthResult.Unauthorized(AuthResult.Unauthorized.Reason.INVALID_CREDENTIALS, "authentication failed"));
    return CheckResult.UNKNOWN_KEY;
  }

  private static AuthResult send(Authenticator auth, ApiKeyCredential key, String client) {
    return auth.authenticate(List.of(key.authorizationValue()), client).authorize(Privilege.EVENT_WRITE);
  }

  /**
   * The attack of the issue, at its worst: the sprayer sends no client identity, so nothing but the
   * global budget stands in its way, and it keeps that budget spent. A key in use, at any interval
   * up to two lifetimes, is never refused.
   */
  @ParameterizedTest(name = "key used every {0} s")
  @ValueSource(ints = {5, 30, 55, 70, 110})
  void unknownKeySprayAtOnePerSecondNeverLocksOutAKeyInUse(int usedEverySeconds) {
    Authenticator auth = Authenticator.builder().apiKeys(cache().newKeysPerMinute(10).build()).build();
    ApiKeyCredential agent = newKey();
    assertThat(send(auth, agent, "192.0.2.10")).isInstanceOf(AuthResult.Authenticated.class);

    int refusedForBudget = 0;
    for (int second = 1; second <= 3 * 60; second++) {
      clock.advance(Duration.ofSeconds(1));
      AuthResult spray = auth.authenticate(List.of(TestCredentials.randomApiKey().authorizationValue()), null);
      if (spray instanceof AuthResult.Unavailable) {
        refusedForBudget++;
      } else {
        assertThat(spray).isInstanceOf(AuthResult.Unauthorized.class);
      }
      if (second % usedEverySeconds == 0) {
        assertThat(send(auth, agent, "192.0.2.10")).as("the agent's key at %d s", second).isInstanceOf(AuthResult.Authenticated.class);
      }
    }
    // 9 left at the start and 30 refilled: every other unknown key was refused for the budget.
    assertThat(refusedForBudget).as("the spray kept the budget spent").isEqualTo(180 - 9 - 30);
  }

  /** Where the protection ends, by design: a key unused for two lifetimes is a new key again. */
  @Test
  void aKeyUnusedForMoreThanTwoLifetimesWaitsOnTheBudgetLikeANewKey() {
    Authenticator auth = Authenticator.builder().apiKeys(cache().newKeysPerMinute(1).build()).build();
    ApiKeyCredential agent = newKey();
    assertThat(send(auth, agent, "192.0.2.10")).isInstanceOf(AuthResult.Authenticated.class);
    clock.advance(LIFETIME.multipliedBy(2));
    assertThat(auth.authenticate(List.of(TestCredentials.randomApiKey().authorizationValue()), null)).isInstanceOf(AuthResult.Unauthorized.class);
    assertThat(send(auth, agent, "192.0.2.10")).isInstanceOf(AuthResult.Unavailable.class);
  }

  @Test
  void aSecondClientsNewKeyGetsInWhileTheFirstSprays() {
    Authenticator auth = Authenticator.builder().apiKeys(cache().newKeysPerMinute(10).build()).build();
    int sprayRefused = 0;
    int newKeysIn = 0;
    for (int second = 1; second <= 3 * 60; second++) {
      clock.advance(Duration.ofSeconds(1));
      AuthResult spray = send(auth, TestCredentials.randomApiKey(), SPRAYER);
      if (spray instanceof AuthResult.Unavailable u) {
        sprayRefused++;
        assertThat(u.detail()).contains("for one client");
      }
      if (second % 10 == 0) {
        // A different client every 10 s, each with a key the server has never seen.
        assertThat(send(auth, newKey(), "198.51.100." + second)).as("a new client's new key at %d s", second)
            .isInstanceOf(AuthResult.Authenticated.class);
        newKeysIn++;
      }
    }
    assertThat(newKeysIn).isEqualTo(18);
    assertThat(sprayRefused).as("the sprayer got its share of 1 a minute, no more").isEqualTo(180 - 3);
  }

  @Test
  void oneClientTakesAtMostItsShareOfTheBudget() {
    CachingPrivilegeChecker checker = cache().newKeysPerMinute(100).clientLimitSettingName("intake-auth.api_key.limit_per_client").build();
    for (int i = 0; i < 10; i++) {
      assertThat(check(checker, TestCredentials.randomApiKey(), SPRAYER)).isEqualTo(CheckResult.UNKNOWN_KEY);
    }
    CheckResult refused = check(checker, newKey(), SPRAYER);
    assertThat(refused).isInstanceOfSatisfying(CheckResult.Unavailable.class, u -> {
      assertThat(u.detail()).contains("10 new API keys per minute for one client").contains("intake-auth.api_key.limit_per_client");
      assertThat(u.retryAfter()).isEqualTo(Duration.ofSeconds(6));
    });
    assertThat(check(checker, newKey(), "198.51.100.1")).isEqualTo(WRITE);
    assertThat(check(checker, newKey(), null)).as("no identity: the global budget only").isEqualTo(WRITE);
    clock.advance(Duration.ofSeconds(6));
    assertThat(check(checker, newKey(), SPRAYER)).isEqualTo(WRITE);
    assertThat(check(checker, newKey(), SPRAYER)).isInstanceOf(CheckResult.Unavailable.class);
    assertThat(checker.toString()).contains("perClient=10");
  }

  @Test
  void aClientsShareIsNotSpentWhenOthersSpentTheBudget() {
    CachingPrivilegeChecker checker = cache().newKeysPerMinute(10).newKeysPerClientPerMinute(2).build();
    for (int i = 0; i < 10; i++) {
      check(checker, TestCredentials.randomApiKey(), "10.0.0." + i);
    }
    for (int i = 0; i < 5; i++) {
      assertThat(check(checker, newKey(), "10.0.1.1")).isInstanceOfSatisfying(CheckResult.Unavailable.class,
          u -> assertThat(u.detail()).contains("over the budget of 10"));
    }
    clock.advance(Duration.ofSeconds(12));
    assertThat(check(checker, newKey(), "10.0.1.1")).isEqualTo(WRITE);
    assertThat(check(checker, newKey(), "10.0.1.1")).isEqualTo(WRITE);
  }

  @Test
  void rotatingClientIdentitiesPastTheTableSizeGetNoFreshShare() {
    CachingPrivilegeChecker checker = cache().newKeysPerMinute(100).newKeysPerClientPerMinute(10).maximumClients(2).build();
    for (int client = 0; client < 20; client++) {
      for (int i = 0; i < 10; i++) {
        check(checker, TestCredentials.randomApiKey(), "2001:db8:" + client + "::/64");
      }
    }
    assertThat(backend.calls()).as("two full shares, then only empty ones").isEqualTo(20);
    // A share left alone for a minute is forgotten: the next one starts full again, which is no more
    // than the refill would have given.
    clock.advance(Duration.ofMinutes(1));
    check(checker, newKey(), "2001:db8:99::/64");
    assertThat(backend.calls()).isEqualTo(21);
  }

  @Test
  void aDueRefreshIsOneBackendCallForManyConcurrentRequestsAndSpendsNoBudget() throws Exception {
    CachingPrivilegeChecker checker = cache().newKeysPerMinute(1).build();
    ApiKeyCredential key = newKey();
    assertThat(check(checker, key, "192.0.2.10")).isEqualTo(WRITE);
    clock.advance(Duration.ofSeconds(50));
    assertThat(check(checker, newKey(), null)).as("the budget is spent").isInstanceOf(CheckResult.Unavailable.class);

    backend.hang();
    CountDownLatch start = new CountDownLatch(1);
    List<Future<CompletableFuture<CheckResult>>> asks = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      asks.add(pool.submit(() -> {
        start.await();
        return checkAsync(checker, key, "192.0.2.10");
      }));
    }
    start.countDown();
    for (Future<CompletableFuture<CheckResult>> ask : asks) {
      CompletableFuture<CheckResult> answer = ask.get();
      assertThat(answer).as("served the current answer while the refresh runs").isDone();
      assertThat(answer.join()).isEqualTo(WRITE);
    }
    assertThat(backend.hanging()).as("one refresh for fifty requests").isEqualTo(1);
    assertThat(backend.release()).isEqualTo(1);
    assertThat(checker.backendCalls()).as("the first lookup and the refresh").isEqualTo(2);

    // The old answer would have expired at 60 s; the refreshed one is served without the backend.
    clock.advance(Duration.ofSeconds(11));
    assertThat(check(checker, key, "192.0.2.10")).isEqualTo(WRITE);
    assertThat(checker.backendCalls()).isEqualTo(2);
    assertThat(check(checker, newKey(), null)).as("the refresh took no token: one refilled for the next new key").isEqualTo(WRITE);
  }

  @ParameterizedTest(name = "invalidated at {0} s")
  @ValueSource(ints = {1, 30, 47, 48, 49, 59, 75})
  void aRefreshThatFindsTheKeyInvalidatedTurnsItAwayWithinOneLifetime(int invalidatedAt) {
    Authenticator auth = Authenticator.builder().apiKeys(cache().newKeysPerMinute(10).build()).build();
    ApiKeyCredential agent = newKey();
    assertThat(send(auth, agent, "192.0.2.10")).isInstanceOf(AuthResult.Authenticated.class);
    int firstRefused = -1;
    for (int second = 1; second <= 4 * 60; second++) {
      clock.advance(Duration.ofSeconds(1));
      if (second == invalidatedAt) {
        keys.revoke(agent);
      }
      AuthResult r = send(auth, agent, "192.0.2.10");
      if (firstRefused < 0 && r instanceof AuthResult.Unauthorized u) {
        assertThat(u.reason()).isEqualTo(AuthResult.Unauthorized.Reason.INVALID_CREDENTIALS);
        firstRefused = second;
      } else if (firstRefused >= 0) {
        assertThat(r).as("turned away from then on, at %d s", second).isInstanceOf(AuthResult.Unauthorized.class);
      } else {
        assertThat(r).isInstanceOf(AuthResult.Authenticated.class);
      }
    }
    assertThat(firstRefused).isPositive().isLessThanOrEqualTo(invalidatedAt + (int) LIFETIME.toSeconds());
  }

  @Test
  void aRefreshDuringAnOutageKeepsServingTheCurrentAnswerUntilItExpires() {
    CachingPrivilegeChecker checker = cache().newKeysPerMinute(1).build();
    ApiKeyCredential key = newKey();
    checker.check(key, APM);
    clock.advance(Duration.ofSeconds(50));
    backend.refuse();
    assertThat(checker.check(key, APM)).isEqualTo(WRITE);
    assertThat(backend.calls()).isEqualTo(2);
    assertThat(checker.check(key, APM)).isEqualTo(WRITE);
    assertThat(backend.calls()).as("a failed refresh is retried after a pause, not by every request").isEqualTo(2);
    clock.advance(Duration.ofSeconds(1));
    assertThat(checker.check(key, APM)).isEqualTo(WRITE);
    assertThat(backend.calls()).isEqualTo(3);
    clock.advance(Duration.ofSeconds(9));
    assertThat(checker.check(key, APM)).as("expired, and the backend still down").isInstanceOf(CheckResult.Unavailable.class);
    backend.heal();
    assertThat(checker.check(newKey(), APM)).isEqualTo(WRITE);
    assertThat(checker.check(newKey(), APM)).as("the budget of 1 is spent").isInstanceOf(CheckResult.Unavailable.class);
    assertThat(checker.check(key, APM)).as("granted lately: looked up again without budget").isEqualTo(WRITE);
  }

  @Test
  void noSecretInTheLogsOrToStringOfTheRefreshAndShareMachinery() {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    List<ApiKeyCredential> used = new ArrayList<>();
    StringBuilder shown = new StringBuilder();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      CachingPrivilegeChecker checker = cache().newKeysPerMinute(2).newKeysPerClientPerMinute(1).build();
      Authenticator auth = Authenticator.builder().apiKeys(checker).build();
      ApiKeyCredential agent = newKey();
      used.add(agent);
      shown.append(send(auth, agent, "192.0.2.10"));
      for (int i = 0; i < 5; i++) {
        ApiKeyCredential spray = TestCredentials.randomApiKey();
        used.add(spray);
        shown.append(send(auth, spray, "203.0.113.7\nforged log line"));
        shown.append(send(auth, TestCredentials.randomApiKey(), null));
      }
      clock.advance(Duration.ofSeconds(50));
      backend.refuse();
      shown.append(send(auth, agent, "192.0.2.10"));
      backend.heal();
      clock.advance(Duration.ofSeconds(2));
      keys.revoke(agent);
      shown.append(send(auth, agent, "192.0.2.10"));
      shown.append(checker).append(auth);
    } finally {
      System.setErr(original);
    }
    String logs = captured.toString(StandardCharsets.UTF_8);
    assertThat(logs).as("the capture works").contains("from one client").contains("new API keys looked up in a minute")
        .contains("backend unavailable").doesNotContain("\nforged log line");
    for (ApiKeyCredential key : used) {
      assertThat(logs + shown).doesNotContain(key.encoded()).doesNotContain(new String(key.secretBytes(), StandardCharsets.UTF_8));
    }
  }
}
