package dev.intakeauth.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.ApplicationPrivileges;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.CheckResult;
import dev.intakeauth.Privilege;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An invalidated key never comes back through an answer that was under way when it was
 * invalidated, however many other invalidations follow before that answer settles (the checker
 * remembers the ids of the last 64; past that it discards answers it cannot tell about).
 */
class InvalidationBurstTest {

  private static final ApplicationPrivileges APM = ApplicationPrivileges.APM;

  private final ManualClock clock = new ManualClock();
  private final FakePrivilegeChecker keys = new FakePrivilegeChecker();
  private final FaultInjectingChecker backend = FaultInjectingChecker.wrap(keys);
  private final CachingPrivilegeChecker checker =
      CachingPrivilegeChecker.builder(backend).timeSource(clock).executor(Runnable::run).build();

  private ApiKeyCredential newKey() {
    ApiKeyCredential key = TestCredentials.randomApiKey();
    keys.grant(key, Privilege.EVENT_WRITE);
    return key;
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 63, 64, 65, 200})
  void anInvalidatedKeyWhoseLookupWasUnderWayIsAskedAgainAfterABurstOfOthers(int others) {
    ApiKeyCredential revoked = newKey();
    backend.hang();
    CompletableFuture<CheckResult> underWay = checker.checkAsync(revoked, APM);
    checker.invalidate(revoked.id());
    for (int i = 0; i < others; i++) {
      checker.invalidate("other-" + i);
    }
    // The backend still says "granted": it was asked before the revocation reached it.
    backend.release();
    keys.revoke(revoked);
    // The requests that waited get that answer, and nothing keeps it.
    assertThat(underWay.join()).isInstanceOf(CheckResult.Granted.class);
    assertThat(checker.cachedKeyIds()).isEmpty();
    assertThat(checker.check(revoked, APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
    assertThat(backend.calls()).isEqualTo(2);
  }

  /** Up to 64 invalidations of other ids keep an answer under way; past that it is asked again, never wrongly kept. */
  @ParameterizedTest
  @ValueSource(ints = {64, 65})
  void anUntouchedKeyUnderWayIsKeptWithinTheWindowAndAskedAgainPastIt(int others) {
    ApiKeyCredential kept = newKey();
    backend.hang();
    CompletableFuture<CheckResult> underWay = checker.checkAsync(kept, APM);
    for (int i = 0; i < others; i++) {
      checker.invalidate("other-" + i);
    }
    backend.release();
    assertThat(underWay.join()).isInstanceOf(CheckResult.Granted.class);
    assertThat(checker.check(kept, APM)).isInstanceOf(CheckResult.Granted.class);
    assertThat(backend.calls()).isEqualTo(others <= 64 ? 1 : 2);
  }

  /**
   * Ids a client makes up are answered "unknown key" and cached, but no revocation can change such
   * an answer: a revocation feed must not carry them to its source in every round.
   */
  @Test
  void madeUpIdsAreNotAmongTheIdsARevocationFeedAsksAbout() {
    ApiKeyCredential granted = newKey();
    checker.check(granted, APM);
    for (int i = 0; i < 20; i++) {
      assertThat(checker.check(ApiKeyCredential.of("made-up-" + i, "whatever"), APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
    }
    assertThat(checker.check(ApiKeyCredential.of("made-up-0", "whatever"), APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
    assertThat(backend.calls()).as("the refusals are cached").isEqualTo(21);
    assertThat(checker.cachedKeyIds()).containsExactly(granted.id());
  }

  /** One call for many ids is one invalidation: it never pushes an answer under way out of the window. */
  @Test
  void invalidatingManyIdsAtOnceKeepsAnUntouchedKeyUnderWay() {
    ApiKeyCredential kept = newKey();
    backend.hang();
    CompletableFuture<CheckResult> underWay = checker.checkAsync(kept, APM);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      ids.add("other-" + i);
    }
    checker.invalidateAll(ids);
    backend.release();
    assertThat(underWay.join()).isInstanceOf(CheckResult.Granted.class);
    assertThat(checker.check(kept, APM)).isInstanceOf(CheckResult.Granted.class);
    assertThat(backend.calls()).isEqualTo(1);
  }
}
