package dev.intakeauth.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.ApplicationPrivileges;
import dev.intakeauth.AuthListener;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.CheckResult;
import dev.intakeauth.Privilege;
import dev.intakeauth.RevocationFeed;
import dev.intakeauth.RevocationSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The revocation feed against a fake source and a cache over a fake backend, on a manual clock. */
class RevocationFeedTest {

  private static final ApplicationPrivileges APM = ApplicationPrivileges.APM;

  private final ManualClock clock = new ManualClock();
  private final FakePrivilegeChecker keys = new FakePrivilegeChecker();
  private final CachingPrivilegeChecker checker =
      CachingPrivilegeChecker.builder(keys).timeSource(clock).executor(Runnable::run).expireAfterWrite(Duration.ofMinutes(10)).newKeysPerMinute(10_000).build();
  /** The ids the fake source says are revoked, and every question it was asked. */
  private final Set<String> revokedInBackend = ConcurrentHashMap.newKeySet();
  private final List<Set<String>> questions = new CopyOnWriteArrayList<>();
  private final RevocationSource source = ids -> {
    questions.add(ids);
    Set<String> out = new HashSet<>(ids);
    out.retainAll(revokedInBackend);
    return CompletableFuture.completedFuture(out);
  };
  private final List<String> heard = new CopyOnWriteArrayList<>();
  private final AuthListener listener = new AuthListener() {
    @Override
    public void onRevocationCheck(boolean succeeded, int keyIdsChecked, int revoked, long durationNanos) {
      heard.add(succeeded + "/" + keyIdsChecked + "/" + revoked);
    }
  };

  private RevocationFeed.Builder feed(RevocationSource s) {
    return RevocationFeed.builder(checker, s).timeSource(clock).listener(listener);
  }

  private ApiKeyCredential cachedKey() {
    ApiKeyCredential key = TestCredentials.randomApiKey();
    keys.grant(key, Privilege.EVENT_WRITE);
    assertThat(checker.check(key, APM)).isInstanceOf(CheckResult.Granted.class);
    return key;
  }

  /** Revokes a key in the backend, as Elasticsearch's invalidation does: the feed's source and the lookups both see it. */
  private void revoke(ApiKeyCredential key) {
    keys.revoke(key);
    revokedInBackend.add(key.id());
  }

  @Test
  void aRevokedKeyIsEvictedAtTheNextRoundAndTheOthersStay() {
    ApiKeyCredential revoked = cachedKey();
    ApiKeyCredential kept = cachedKey();
    revoke(revoked);
    assertThat(checker.check(revoked, APM)).as("cached until the feed runs").isInstanceOf(CheckResult.Granted.class);
    int callsBefore = keys.calls();

    RevocationFeed.Round round = feed(source).build().checkNow();

    assertThat(round.succeeded()).isTrue();
    assertThat(round.keyIdsChecked()).isEqualTo(2);
    assertThat(round.revoked()).isEqualTo(1);
    assertThat(questions).containsExactly(Set.of(revoked.id(), kept.id()));
    assertThat(checker.check(revoked, APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
    assertThat(checker.check(kept, APM)).isInstanceOf(CheckResult.Granted.class);
    assertThat(keys.calls() - callsBefore).as("only the evicted key was looked up again").isEqualTo(1);
    assertThat(heard).containsExactly("true/2/1");
  }

  @Test
  void anEmptyCacheAsksNothing() {
    RevocationFeed feed = feed(source).build();
    RevocationFeed.Round round = feed.checkNow();
    assertThat(round).extracting(RevocationFeed.Round::succeeded, RevocationFeed.Round::keyIdsChecked).containsExactly(true, 0);
    assertThat(questions).isEmpty();
    assertThat(heard).containsExactly("true/0/0");
    assertThat(feed.health().lastSuccess()).isEqualTo(clock.instant());
  }

  @Test
  void aLargeCacheIsAskedAboutInChunks() {
    Set<String> cached = new HashSet<>();
    for (int i = 0; i < 2_500; i++) {
      cached.add(cachedKey().id());
    }
    RevocationFeed.Round round = feed(source).build().checkNow();
    assertThat(round.keyIdsChecked()).isEqualTo(2_500);
    assertThat(questions).hasSize(3).allSatisfy(q -> assertThat(q.size()).isLessThanOrEqualTo(1_000));
    Set<String> asked = new HashSet<>();
    questions.forEach(asked::addAll);
    assertThat(asked).isEqualTo(cached);

    questions.clear();
    feed(source).chunkSize(100).build().checkNow();
    assertThat(questions).hasSize(25);
  }

  @Test
  void aFailingSourceIsReportedOnceAStreakAndChangesNothingThenRecovers() {
    ApiKeyCredential key = cachedKey();
    AtomicBoolean down = new AtomicBoolean(true);
    RevocationSource flaky = ids -> down.get() ? CompletableFuture.failedFuture(new IllegalStateException("Elasticsearch unreachable")) : source.revoked(ids);
    RevocationFeed feed = feed(flaky).build();
    revoke(key);

    assertThat(feed.checkNow().succeeded()).isFalse();
    clock.advance(Duration.ofSeconds(5));
    assertThat(feed.checkNow().succeeded()).isFalse();
    assertThat(feed.health()).isEqualTo(new RevocationFeed.Health(null, 2, false));
    assertThat(heard).containsExactly("false/1/0", "false/1/0");
    assertThat(checker.check(key, APM)).as("neither evicted nor extended: the cache lifetime is the safety net").isInstanceOf(CheckResult.Granted.class);

    down.set(false);
    clock.advance(Duration.ofSeconds(5));
    RevocationFeed.Round recovered = feed.checkNow();
    assertThat(recovered.revoked()).isEqualTo(1);
    assertThat(feed.health()).isEqualTo(new RevocationFeed.Health(clock.instant(), 0, false));
    assertThat(checker.check(key, APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
  }

  @Test
  void aCachedKeyStillRefusedAfterItsLifetimeWithoutTheFeed() {
    ApiKeyCredential key = cachedKey();
    RevocationFeed feed = feed(ids -> CompletableFuture.failedFuture(new IllegalStateException("down"))).build();
    revoke(key);
    feed.checkNow();
    clock.advance(Duration.ofMinutes(10));
    assertThat(checker.check(key, APM)).as("the lifetime still ends it").isEqualTo(CheckResult.UNKNOWN_KEY);
  }

  @Test
  void aSourceThatThrowsAnswersNullOrNeverAnswersFailsTheRoundWithinTheDeadline() {
    cachedKey();
    assertThat(feed(ids -> { throw new IllegalStateException("bug"); }).build().checkNow().succeeded()).isFalse();
    assertThat(feed(ids -> CompletableFuture.completedFuture(null)).build().checkNow().succeeded()).isFalse();
    assertThat(feed(ids -> null).build().checkNow().succeeded()).isFalse();
    CompletableFuture<Set<String>> never = new CompletableFuture<>();
    long t = System.nanoTime();
    RevocationFeed.Round late = feed(ids -> never).deadline(Duration.ofMillis(200)).build().checkNow();
    assertThat(late.succeeded()).isFalse();
    assertThat(Duration.ofNanos(System.nanoTime() - t)).isLessThan(Duration.ofSeconds(2));
    assertThat(never).as("the request is cancelled at the deadline").isCancelled();
  }

  @Test
  void idsTheSourceWasNotAskedAboutAreNeverEvicted() {
    ApiKeyCredential key = cachedKey();
    RevocationFeed.Round round = feed(ids -> CompletableFuture.completedFuture(Set.of("some-other-id"))).build().checkNow();
    assertThat(round.revoked()).isZero();
    assertThat(checker.cachedKeyIds()).containsExactly(key.id());
  }

  @Test
  void aRevokedIdIsAskedAboutOnceThenLeftOut() {
    ApiKeyCredential key = cachedKey();
    ApiKeyCredential other = cachedKey();
    revoke(key);
    RevocationFeed feed = feed(source).build();
    assertThat(feed.checkNow().revoked()).isEqualTo(1);
    // The agent keeps sending the revoked key: its "unknown key" answer is cached, and no question.
    assertThat(checker.check(key, APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
    int callsBefore = keys.calls();
    RevocationFeed.Round second = feed.checkNow();
    assertThat(second.revoked()).isZero();
    assertThat(second.keyIdsChecked()).isEqualTo(1);
    assertThat(questions.get(questions.size() - 1)).containsExactly(other.id());
    assertThat(checker.check(key, APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
    assertThat(keys.calls()).as("the cached refusal stays").isEqualTo(callsBefore);
  }

  @Test
  void aThrowingListenerChangesNothing() {
    ApiKeyCredential key = cachedKey();
    revoke(key);
    RevocationFeed feed = RevocationFeed.builder(checker, source).timeSource(clock).listener(new AuthListener() {
      @Override
      public void onRevocationCheck(boolean succeeded, int keyIdsChecked, int revoked, long durationNanos) {
        throw new IllegalStateException("listener bug");
      }
    }).build();
    assertThat(feed.checkNow().revoked()).isEqualTo(1);
    assertThat(feed.health().consecutiveFailures()).isZero();
    assertThat(checker.check(key, APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
  }

  @Test
  void startedItRunsEveryPeriodOnTheGivenSchedulerUntilClosed() throws Exception {
    ApiKeyCredential key = cachedKey();
    revoke(key);
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    try {
      CountDownLatch rounds = new CountDownLatch(3);
      RevocationFeed feed = RevocationFeed.builder(checker, ids -> {
        rounds.countDown();
        return source.revoked(ids);
      }).period(Duration.ofMillis(20)).scheduler(scheduler).build();
      assertThat(feed.health().running()).isFalse();
      assertThat(feed.start()).isSameAs(feed.start());
      assertThat(feed.health().running()).isTrue();
      // The revoked key's cached refusal is asked about twice; keep one more key in the cache to be asked.
      cachedKey();
      assertThat(rounds.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(checker.check(key, APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
      feed.close();
      assertThat(feed.health().running()).isFalse();
      assertThat(scheduler.isShutdown()).as("a given scheduler is left to its owner").isFalse();
      org.assertj.core.api.Assertions.assertThatThrownBy(feed::start).isInstanceOf(IllegalStateException.class);
    } finally {
      scheduler.shutdownNow();
    }
  }

  @Test
  void withItsOwnSchedulerItRunsOnADaemonThread() throws Exception {
    cachedKey();
    CountDownLatch round = new CountDownLatch(1);
    List<Boolean> daemon = new ArrayList<>();
    try (RevocationFeed feed = RevocationFeed.builder(checker, ids -> {
      daemon.add(Thread.currentThread().isDaemon());
      round.countDown();
      return CompletableFuture.completedFuture(Set.of());
    }).period(Duration.ofMillis(20)).build().start()) {
      assertThat(round.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(feed.health().running()).isTrue();
    }
    assertThat(daemon.get(0)).isTrue();
  }
}
