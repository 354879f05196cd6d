package dev.intakeauth.access;

import static org.assertj.core.api.Assertions.assertThat;

import dev.intakeauth.AuthListener;
import dev.intakeauth.AuthMethod;
import dev.intakeauth.Authenticator;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.GeneratedKey;
import dev.intakeauth.InMemoryKeyStore;
import dev.intakeauth.Outcome;
import dev.intakeauth.Privilege;
import dev.intakeauth.access.AccessControlTest.Request;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.jspecify.annotations.Nullable;

/** Whatever a client sends as {@code Authorization}, its request is reported exactly once, and never throws. */
class AccessControlListenerProperties {

  private static final String TOKEN = "s3cret-token";
  private static final GeneratedKey WRITER = GeneratedKey.generate("writer", Set.of(Privilege.EVENT_WRITE), null);
  private static final Authenticator AUTHENTICATOR = Authenticator.builder().secretToken(TOKEN)
      .apiKeys(CachingPrivilegeChecker.builder(InMemoryKeyStore.builder().add(WRITER).build()).build()).build();
  private static final List<String> PATHS = List.of("/intake/v2/events", "/intake/v2/rum/events", "/assets/v1/sourcemaps", "/", "/unknown");

  /** Hears one request's reports. */
  private static final class Heard implements AuthListener {
    final List<Outcome> outcomes = new ArrayList<>();
    final List<@Nullable AuthMethod> methods = new ArrayList<>();

    @Override
    public void onRequest(Outcome outcome, @Nullable AuthMethod method) {
      outcomes.add(outcome);
      methods.add(method);
    }
  }

  private Arbitrary<String> values() {
    Arbitrary<String> prefix = Arbitraries.of("Bearer ", "bearer  ", "ApiKey ", "APIKEY ", "Api\u212Aey ", "Basic ", " \t", "", "Bearer",
        "Bearer " + TOKEN, WRITER.credential().authorizationValue());
    Arbitrary<String> tail = Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(40),
        Arbitraries.strings().withChars("ABCxyz019+/=: \t\u0000\u00ff").ofMaxLength(1100), Arbitraries.just(""));
    return Arbitraries.oneOf(prefix.flatMap(p -> tail.map(t -> p + t)), Arbitraries.strings().ofMaxLength(200));
  }

  @Property(tries = 1500)
  void anyHeaderIsReportedOnceWithTheStatusItIsAnswered(@ForAll("headers") List<String> values,
      @ForAll("paths") String path, @ForAll boolean anonymous, @ForAll boolean secure) {
    Request request = new Request("POST", path);
    if (!secure) {
      request.plainHttp();
    }
    values.forEach(v -> request.header("Authorization", v));
    Heard heard = new Heard();
    Decision decision = AccessControl.builder(AUTHENTICATOR).anonymous(anonymous).listener(heard).build().decide(request);
    if (decision instanceof Decision.Pending pending) {
      decision = pending.decision().join();
    }

    assertThat(heard.outcomes).hasSize(1);
    Outcome outcome = heard.outcomes.get(0);
    AuthMethod method = heard.methods.get(0);
    if (decision instanceof Decision.Deny deny) {
      assertThat(deny.status()).isEqualTo(outcome.status());
    } else {
      assertThat(((Decision.Proceed) decision).authorization().result().status()).isEqualTo(outcome.status());
    }
    switch (outcome) {
      case MISSING -> assertThat(method).isEqualTo(AuthMethod.ANONYMOUS);
      case INVALID_REQUEST, UNKNOWN_SCHEME -> assertThat(method).isNull();
      case METHOD_DISABLED, INVALID_CREDENTIALS, NO_PRIVILEGES, LACKING_PRIVILEGE ->
          assertThat(method).isIn(AuthMethod.SECRET_TOKEN, AuthMethod.API_KEY);
      case AUTHENTICATED -> assertThat(method).isNotNull();
      default -> { }
    }
  }

  @Provide
  Arbitrary<List<String>> headers() {
    return values().list().ofMaxSize(3);
  }

  @Provide
  Arbitrary<String> paths() {
    return Arbitraries.of(PATHS);
  }
}
