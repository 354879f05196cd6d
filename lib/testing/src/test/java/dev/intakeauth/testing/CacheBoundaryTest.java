package dev.intakeauth.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.AuthResult;
import dev.intakeauth.Authenticator;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.Privilege;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Expiry, refresh ahead of expiry and stale-if-error at their exact boundaries, on the request path
 * (whose fast path reads the clock once for both limits) and on the checker's own lookup. Lifetime
 * 60 s: a granted answer is due for refresh 48 s after it was asked for, and every answer is gone 60
 * s after it came.
 */
class CacheBoundaryTest {

  private static final Duration ONE_NANO = Duration.ofNanos(1);

  private final ManualClock clock = new ManualClock();
  private final FakePrivilegeChecker keys = new FakePrivilegeChecker();
  private final FaultInjectingChecker backend = FaultInjectingChecker.wrap(keys);
  private final ApiKeyCredential key = TestCredentials.randomApiKey();
  private final ApiKeyCredential unknown = TestCredentials.randomApiKey();

  private Authenticator authenticator(CachingPrivilegeChecker.Builder settings) {
    keys.grant(key, Privilege.EVENT_WRITE);
    return Authenticator.builder().apiKeys(settings.timeSource(clock).executor(Runnable::run).build()).build();
  }

  private CachingPrivilegeChecker.Builder cache() {
    return CachingPrivilegeChecker.builder(backend).expireAfterWrite(Duration.ofSeconds(60));
  }

  private static AuthResult send(Authenticator auth, ApiKeyCredential credential) {
    return auth.authenticate(credential.authorizationValue());
  }

  @Test
  void aGrantedAnswerIsRefreshedExactlyAtItsRefreshPointAndAnUnknownKeyExpiresExactlyAtItsLifetime() {
    Authenticator auth = authenticator(cache());
    assertThat(send(auth, key)).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(send(auth, unknown)).isInstanceOf(AuthResult.Unauthorized.class);
    assertThat(backend.calls()).isEqualTo(2);

    clock.advance(Duration.ofSeconds(48).minus(ONE_NANO));
    assertThat(send(auth, key)).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(send(auth, unknown)).isInstanceOf(AuthResult.Unauthorized.class);
    assertThat(backend.calls()).as("both answered from the cache").isEqualTo(2);

    clock.advance(ONE_NANO);
    assertThat(send(auth, key)).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(backend.calls()).as("refreshed at 48 s exactly").isEqualTo(3);
    assertThat(send(auth, key)).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(backend.calls()).as("the refreshed answer is served from the cache").isEqualTo(3);

    clock.advance(Duration.ofSeconds(12).minus(ONE_NANO));
    assertThat(send(auth, unknown)).isInstanceOf(AuthResult.Unauthorized.class);
    assertThat(backend.calls()).as("the unknown key's answer lives until 60 s").isEqualTo(3);
    clock.advance(ONE_NANO);
    assertThat(send(auth, unknown)).isInstanceOf(AuthResult.Unauthorized.class);
    assertThat(backend.calls()).as("and is gone at 60 s exactly").isEqualTo(4);

    // The answer refreshed at 48 s is due again at 96 s.
    keys.revoke(key);
    clock.advance(Duration.ofSeconds(36).minus(ONE_NANO));
    assertThat(send(auth, key)).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(backend.calls()).isEqualTo(4);
    clock.advance(ONE_NANO);
    assertThat(send(auth, key)).as("the refresh at 96 s finds the key revoked").isInstanceOf(AuthResult.Unauthorized.class);
    assertThat(backend.calls()).isEqualTo(5);
  }

  @Test
  void aGrantedAnswerWhoseRefreshFailsIsServedUntilItsLifetimeEndsAndNotOneNanosecondLonger() {
    Authenticator auth = authenticator(cache());
    assertThat(send(auth, key)).isInstanceOf(AuthResult.Authenticated.class);
    backend.refuse();
    clock.advance(Duration.ofSeconds(60).minus(ONE_NANO));
    assertThat(send(auth, key)).as("the failed refresh keeps the current answer").isInstanceOf(AuthResult.Authenticated.class);
    assertThat(backend.calls()).isEqualTo(2);
    assertThat(send(auth, key)).as("and the retry waits").isInstanceOf(AuthResult.Authenticated.class);
    assertThat(backend.calls()).isEqualTo(2);
    clock.advance(ONE_NANO);
    assertThat(send(auth, key)).as("gone at 60 s exactly, and looked up again").isInstanceOf(AuthResult.Unavailable.class);
    assertThat(backend.calls()).isEqualTo(3);
    backend.heal();
    assertThat(send(auth, key)).isInstanceOf(AuthResult.Authenticated.class);
  }

  @Test
  void aStaleAnswerIsServedUntilTheGraceEndsExactly() {
    Authenticator auth = authenticator(cache().staleIfError(Duration.ofSeconds(30)));
    assertThat(send(auth, key)).isInstanceOf(AuthResult.Authenticated.class);
    backend.refuse();
    clock.advance(Duration.ofSeconds(90).minus(ONE_NANO));
    assertThat(send(auth, key)).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(backend.calls()).as("each stale answer follows a real attempt").isEqualTo(2);
    clock.advance(ONE_NANO);
    assertThat(send(auth, key)).isInstanceOf(AuthResult.Unavailable.class);
    assertThat(backend.calls()).isEqualTo(3);
  }

  @Test
  void anExpiredAnswerIsRemovedByTheLookupThatFindsItAndLoadedOnce() {
    Authenticator auth = authenticator(cache());
    assertThat(send(auth, unknown)).isInstanceOf(AuthResult.Unauthorized.class);
    clock.advance(Duration.ofSeconds(60));
    for (int i = 0; i < 5; i++) {
      assertThat(send(auth, unknown)).isInstanceOf(AuthResult.Unauthorized.class);
    }
    assertThat(backend.calls()).as("one lookup after the expiry, then the new answer").isEqualTo(2);
  }
}
