package dev.intakeauth.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.ApplicationPrivileges;
import dev.intakeauth.AuthMethod;
import dev.intakeauth.AuthResult;
import dev.intakeauth.Authenticator;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.CheckResult;
import dev.intakeauth.Privilege;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FakesTest {

  @Test
  void fakeCheckerGrantsWhatTheTestSaysToTheExactCredential() {
    FakePrivilegeChecker keys = new FakePrivilegeChecker().grant(TestCredentials.API_KEY, "alice", List.of(Privilege.EVENT_WRITE));
    Authenticator auth = Authenticator.builder().apiKeys(CachingPrivilegeChecker.builder(keys).build()).build();
    assertThat(auth.authenticate(TestCredentials.API_KEY.authorizationValue()))
        .isEqualTo(new AuthResult.Authenticated(AuthMethod.API_KEY, Set.of(Privilege.EVENT_WRITE), "test-key-id", "alice"));
    assertThat(auth.authenticate(TestCredentials.API_KEY_WRONG_SECRET.authorizationValue())).isInstanceOf(AuthResult.Unauthorized.class);
    keys.revoke(TestCredentials.API_KEY);
    // A fresh cache, so that the revocation is seen at once.
    Authenticator afterRevocation = Authenticator.builder().apiKeys(CachingPrivilegeChecker.builder(keys).build()).build();
    assertThat(afterRevocation.authenticate(TestCredentials.API_KEY.authorizationValue())).isInstanceOf(AuthResult.Unauthorized.class);
    assertThat(keys.calls()).isEqualTo(3);
  }

  @Test
  void testCredentialsMakeHeadersTheParserAccepts() {
    Authenticator auth = Authenticator.builder().secretToken(TestCredentials.SECRET_TOKEN).build();
    assertThat(auth.authenticate(TestCredentials.bearer(TestCredentials.SECRET_TOKEN))).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(TestCredentials.apiKey("id", "secret")).isEqualTo(ApiKeyCredential.of("id", "secret").authorizationValue());
    assertThat(TestCredentials.randomApiKey()).isNotEqualTo(TestCredentials.randomApiKey());
  }

  @Test
  void faultInjectionModes() {
    FakePrivilegeChecker keys = new FakePrivilegeChecker().grant(TestCredentials.API_KEY, Privilege.EVENT_WRITE);
    FaultInjectingChecker backend = FaultInjectingChecker.wrap(keys);
    ApplicationPrivileges apm = ApplicationPrivileges.APM;
    backend.failNext(2);
    assertThat(backend.check(TestCredentials.API_KEY, apm)).isInstanceOf(CheckResult.Unavailable.class);
    assertThat(backend.check(TestCredentials.API_KEY, apm)).isInstanceOf(CheckResult.Unavailable.class);
    assertThat(backend.check(TestCredentials.API_KEY, apm)).isInstanceOf(CheckResult.Granted.class);
    backend.refuse();
    assertThat(backend.check(TestCredentials.API_KEY, apm)).isInstanceOf(CheckResult.Unavailable.class);
    backend.throwing();
    assertThatThrownBy(() -> backend.checkAsync(TestCredentials.API_KEY, apm)).isInstanceOf(IllegalStateException.class);
    backend.hang();
    var pending = backend.checkAsync(TestCredentials.API_KEY, apm);
    assertThat(pending).isNotDone();
    assertThat(backend.hanging()).isEqualTo(1);
    assertThat(backend.release()).isEqualTo(1);
    assertThat(pending.join()).isInstanceOf(CheckResult.Granted.class);
    assertThat(backend.calls()).isEqualTo(6);
  }

  @Test
  void manualClockDrivesTheMonotonicReadingAndTheInstantTogether() {
    ManualClock clock = new ManualClock(Instant.parse("2030-01-01T00:00:00Z"));
    clock.advance(Duration.ofSeconds(90));
    assertThat(clock.nanoTime()).isEqualTo(Duration.ofSeconds(90).toNanos());
    assertThat(clock.instant()).isEqualTo(Instant.parse("2030-01-01T00:01:30Z"));
    assertThatThrownBy(() -> clock.advance(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
  }
}
