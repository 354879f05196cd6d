package dev.intakeauth.access;

import static dev.intakeauth.access.RecordingListener.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.intakeauth.AuthListener;
import dev.intakeauth.AuthMethod;
import dev.intakeauth.AuthResult;
import dev.intakeauth.Authenticator;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.CheckResult;
import dev.intakeauth.GeneratedKey;
import dev.intakeauth.InMemoryKeyStore;
import dev.intakeauth.Outcome;
import dev.intakeauth.Privilege;
import dev.intakeauth.PrivilegeChecker;
import dev.intakeauth.access.AccessControlTest.Request;
import dev.intakeauth.anonymous.AnonymousPolicy;
import dev.intakeauth.anonymous.AnonymousRateLimiter;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What {@link AccessControl} reports to its listener: one outcome and method per decision, for every
 * {@link Outcome} it can answer, through a real authenticator, a key store behind the caching
 * checker, and a backend that is down.
 */
class AccessControlListenerTest {

  private static final String TOKEN = "s3cret-token";
  private static final GeneratedKey WRITER = GeneratedKey.generate("writer", Set.of(Privilege.EVENT_WRITE), null);
  private static final GeneratedKey READER = GeneratedKey.generate("reader", Set.of(Privilege.AGENT_CONFIG_READ), null);
  private static final GeneratedKey NOTHING = GeneratedKey.generate("nothing", Set.of(), null);
  private static final GeneratedKey STRANGER = GeneratedKey.generate("stranger", Set.of(Privilege.EVENT_WRITE), null);

  private static final Authenticator TOKEN_ONLY = Authenticator.builder().secretToken(TOKEN).build();
  private static final Authenticator TOKEN_AND_KEYS = Authenticator.builder().secretToken(TOKEN)
      .apiKeys(CachingPrivilegeChecker.builder(InMemoryKeyStore.builder().add(WRITER).add(READER).add(NOTHING).build()).build())
      .build();
  private static final Authenticator BACKEND_DOWN = Authenticator.builder()
      .apiKeys(CachingPrivilegeChecker.builder((credential, scope) ->
          CompletableFuture.completedFuture(new CheckResult.Unavailable(Duration.ofSeconds(2), "connection refused"))).build())
      .build();

  /** A limiter whose one token for 192.0.2.1 is spent, and stays spent: time does not move. */
  private static final AnonymousRateLimiter SPENT = spent();

  private static AnonymousRateLimiter spent() {
    AnonymousRateLimiter limiter = AnonymousRateLimiter.builder().eventsPerSecond(1).burstFactor(1).timeSource(AccessControlTest.FROZEN).build();
    assertThat(limiter.tryAcquire("192.0.2.1", 1)).isNull();
    return limiter;
  }

  /**
   * One request, the access control that decides it, and what must be reported.
   *
   * @param name what the row shows
   * @param authenticator the authenticator
   * @param settings the access control's other settings
   * @param request the request
   * @param outcome the outcome to be reported
   * @param method the method to be reported
   */
  record Case(String name, Authenticator authenticator, UnaryOperator<AccessControl.Builder> settings, Request request,
      Outcome outcome, @Nullable AuthMethod method) {

    AccessControl access(@Nullable AuthListener listener) {
      AccessControl.Builder b = settings.apply(AccessControl.builder(authenticator));
      return (listener != null ? b.listener(listener) : b).build();
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private static Request post(String path) {
    return new Request("POST", path);
  }

  private static Case row(String name, Authenticator authenticator, Request request, Outcome outcome, @Nullable AuthMethod method) {
    return new Case(name, authenticator, UnaryOperator.identity(), request, outcome, method);
  }

  private static Case row(String name, UnaryOperator<AccessControl.Builder> settings, Request request, Outcome outcome,
      @Nullable AuthMethod method) {
    return new Case(name, TOKEN_ONLY, settings, request, outcome, method);
  }

  static Stream<Case> cases() {
    UnaryOperator<AccessControl.Builder> anonymous = b -> b.anonymous(true);
    return Stream.of(
        row("a secret token", TOKEN_ONLY, post("/intake/v2/events").header("Authorization", "Bearer " + TOKEN),
            Outcome.AUTHENTICATED, AuthMethod.SECRET_TOKEN),
        row("an API key", TOKEN_AND_KEYS, post("/intake/v2/events").header("Authorization", WRITER.credential().authorizationValue()),
            Outcome.AUTHENTICATED, AuthMethod.API_KEY),
        row("anonymous, where allowed", anonymous, post("/intake/v2/rum/events"), Outcome.AUTHENTICATED, AuthMethod.ANONYMOUS),
        row("a method the path does not take", TOKEN_ONLY, new Request("PUT", "/config/v1/agents").header("Authorization", "Bearer guess"),
            Outcome.METHOD_NOT_ALLOWED, AuthMethod.SECRET_TOKEN),
        row("an origin the policy does not allow",
            b -> b.anonymous(true).routes(RouteTable.apm(CorsPolicy.of(List.of("https://good.example"), List.of()))),
            post("/intake/v2/rum/events").header("Origin", "https://evil.example"), Outcome.ORIGIN_NOT_ALLOWED, AuthMethod.ANONYMOUS),
        row("a credential over plain HTTP", TOKEN_ONLY, post("/intake/v2/events").header("Authorization", "Bearer " + TOKEN).plainHttp(),
            Outcome.PLAIN_HTTP, AuthMethod.SECRET_TOKEN),
        row("an anonymous source map", anonymous, post("/assets/v1/sourcemaps"), Outcome.ANONYMOUS_NOT_PERMITTED, AuthMethod.ANONYMOUS),
        row("anonymous, lacking the route's privilege", b -> b.anonymous(true).anonymousPrivileges(Set.of(Privilege.AGENT_CONFIG_READ)),
            post("/intake/v2/rum/events"), Outcome.ANONYMOUS_NOT_PERMITTED, AuthMethod.ANONYMOUS),
        row("a key lacking the route's privilege", TOKEN_AND_KEYS,
            post("/intake/v2/events").header("Authorization", READER.credential().authorizationValue()),
            Outcome.LACKING_PRIVILEGE, AuthMethod.API_KEY),
        row("no credential", TOKEN_ONLY, post("/intake/v2/events"), Outcome.MISSING, AuthMethod.ANONYMOUS),
        row("a blank header", TOKEN_ONLY, post("/intake/v2/events").header("Authorization", " \t"), Outcome.MISSING, AuthMethod.ANONYMOUS),
        row("a scheme with no token", TOKEN_ONLY, post("/intake/v2/events").header("Authorization", "Bearer"), Outcome.MALFORMED, null),
        row("a token with a space", TOKEN_ONLY, post("/intake/v2/events").header("Authorization", "Bearer a b"),
            Outcome.MALFORMED, AuthMethod.SECRET_TOKEN),
        row("an API key that is not base64", TOKEN_AND_KEYS, post("/intake/v2/events").header("Authorization", "ApiKey !!!!"),
            Outcome.MALFORMED, AuthMethod.API_KEY),
        row("an API key that is not id:secret", TOKEN_AND_KEYS, post("/intake/v2/events").header("Authorization", "ApiKey bm9jb2xvbg=="),
            Outcome.MALFORMED, AuthMethod.API_KEY),
        row("a Kelvin sign in ApiKey", TOKEN_AND_KEYS, post("/intake/v2/events").header("Authorization", "Api\u212Aey bm9jb2xvbg=="),
            Outcome.MALFORMED, null),
        row("a value over the maximum length", TOKEN_ONLY, post("/intake/v2/events").header("Authorization", "Bearer " + "x".repeat(2000)),
            Outcome.TOO_LONG, AuthMethod.SECRET_TOKEN),
        row("another scheme", TOKEN_ONLY, post("/intake/v2/events").header("Authorization", "Basic dXNlcjpwYXNz"),
            Outcome.UNKNOWN_SCHEME, null),
        row("an API key where only a token is set", TOKEN_ONLY,
            post("/intake/v2/events").header("Authorization", WRITER.credential().authorizationValue()),
            Outcome.METHOD_DISABLED, AuthMethod.API_KEY),
        row("a wrong secret token, in lower case", TOKEN_ONLY, post("/intake/v2/events").header("Authorization", "bearer guess"),
            Outcome.INVALID_CREDENTIALS, AuthMethod.SECRET_TOKEN),
        row("an unknown API key", TOKEN_AND_KEYS, post("/intake/v2/events").header("Authorization", STRANGER.credential().authorizationValue()),
            Outcome.INVALID_CREDENTIALS, AuthMethod.API_KEY),
        row("a key with none of the application's privileges", TOKEN_AND_KEYS,
            post("/intake/v2/events").header("Authorization", NOTHING.credential().authorizationValue()),
            Outcome.NO_PRIVILEGES, AuthMethod.API_KEY),
        row("over the anonymous rate limit", b -> b.anonymous(true).rateLimiter(SPENT), post("/intake/v2/rum/events"),
            Outcome.RATE_LIMITED, AuthMethod.ANONYMOUS),
        row("a backend that is down", BACKEND_DOWN, post("/intake/v2/events").header("Authorization", WRITER.credential().authorizationValue()),
            Outcome.UNAVAILABLE, AuthMethod.API_KEY),
        row("two differing credentials", TOKEN_ONLY,
            post("/intake/v2/events").header("Authorization", "Bearer " + TOKEN).header("Authorization", "Bearer guess"),
            Outcome.INVALID_REQUEST, null),
        row("a wrong token twice, the same", TOKEN_ONLY,
            post("/intake/v2/events").header("Authorization", "Bearer guess").header("Authorization", "Bearer guess"),
            Outcome.INVALID_CREDENTIALS, AuthMethod.SECRET_TOKEN),
        row("a wrong token on an optional route, which proceeds", TOKEN_ONLY, new Request("GET", "/").header("Authorization", "Bearer guess"),
            Outcome.INVALID_CREDENTIALS, AuthMethod.SECRET_TOKEN));
  }

  /** The decision, once a lookup has settled. */
  private static Decision settled(Decision decision) {
    return decision instanceof Decision.Pending pending ? pending.decision().join() : decision;
  }

  /** The status the client gets: a denial's, or 200 for a request that goes on. */
  private static int status(Decision decision) {
    return decision instanceof Decision.Deny deny ? deny.status() : 200;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void eachDecisionIsReportedOnceWithItsOutcomeAndMethod(Case c) {
    RecordingListener listener = new RecordingListener();
    Decision decision = settled(c.access(listener).decide(c.request()));
    assertThat(listener.heard()).containsExactly(request(c.outcome(), c.method()));
    if (decision instanceof Decision.Proceed proceed) {
      assertThat(proceed.authorization().result().status()).as("a request that goes on carries what was reported")
          .isEqualTo(c.outcome().status());
    } else {
      assertThat(status(decision)).isEqualTo(c.outcome().status());
    }
  }

  @Test
  void theTableCoversEveryOutcome() {
    Set<Outcome> covered = EnumSet.noneOf(Outcome.class);
    cases().forEach(c -> covered.add(c.outcome()));
    assertThat(covered).containsExactlyInAnyOrder(Outcome.values());
  }

  /** A listener that throws at every call. */
  private static final class Throwing implements AuthListener {
    @Override
    public void onRequest(Outcome outcome, @Nullable AuthMethod method) {
      throw new IllegalStateException("listener broken");
    }

    @Override
    public void onEventRefused(Outcome outcome) {
      throw new IllegalStateException("listener broken");
    }

    @Override
    public void onAnonymousRateLimited() {
      throw new IllegalStateException("listener broken");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void aListenerThatThrowsChangesNoDecision(Case c) {
    Decision quiet = settled(c.access(null).decide(c.request()));
    Decision heard = settled(c.access(new Throwing()).decide(c.request()));
    assertThat(heard.getClass()).isEqualTo(quiet.getClass());
    if (quiet instanceof Decision.Deny deny) {
      assertThat(((Decision.Deny) heard).message()).isEqualTo(deny.message());
      assertThat(((Decision.Deny) heard).headers()).isEqualTo(deny.headers());
    } else {
      assertThat(((Decision.Proceed) heard).authorization().result()).isEqualTo(((Decision.Proceed) quiet).authorization().result());
      assertThat(((Decision.Proceed) heard).headers()).isEqualTo(((Decision.Proceed) quiet).headers());
    }
  }

  @Test
  void preflightsAndPathsTheTableLeavesAloneAreNotReported() {
    RecordingListener listener = new RecordingListener();
    AccessControl access = AccessControl.builder(TOKEN_ONLY).anonymous(true).listener(listener).build();
    assertThat(access.decide(new Request("OPTIONS", "/intake/v2/rum/events").header("Origin", "https://any.example")))
        .isInstanceOf(Decision.Preflight.class);
    AccessControl open = AccessControl.builder(TOKEN_ONLY).routes(RouteTable.builder().otherwise(null).build()).listener(listener).build();
    assertThat(open.decide(new Request("GET", "/health").header("Authorization", "Bearer guess"))).isInstanceOf(Decision.PassThrough.class);
    assertThat(listener.heard()).isEmpty();
  }

  @Test
  void aPendingLookupIsReportedOnceWhenItSettles() {
    CompletableFuture<CheckResult> granted = new CompletableFuture<>();
    CompletableFuture<CheckResult> failed = new CompletableFuture<>();
    GeneratedKey other = GeneratedKey.generate("other", Set.of(Privilege.EVENT_WRITE), null);
    PrivilegeChecker slow = (credential, scope) -> credential.id().equals("writer") ? granted : failed;
    RecordingListener listener = new RecordingListener();
    AccessControl access = AccessControl.builder(Authenticator.builder().apiKeys(CachingPrivilegeChecker.builder(slow).build()).build())
        .listener(listener).build();

    Decision first = access.decide(post("/intake/v2/events").header("Authorization", WRITER.credential().authorizationValue()));
    Decision second = access.decide(post("/intake/v2/events").header("Authorization", other.credential().authorizationValue()));
    assertThat(first).isInstanceOf(Decision.Pending.class);
    assertThat(second).isInstanceOf(Decision.Pending.class);
    assertThat(listener.heard()).as("nothing is known yet").isEmpty();

    granted.complete(new CheckResult.Granted(Set.of(Privilege.EVENT_WRITE), null));
    assertThat(((Decision.Pending) first).decision()).isDone();
    assertThat(listener.heard()).containsExactly(request(Outcome.AUTHENTICATED, AuthMethod.API_KEY));

    failed.completeExceptionally(new IllegalStateException("connection reset"));
    assertThat(status(((Decision.Pending) second).decision().join())).isEqualTo(503);
    assertThat(listener.heard()).containsExactly(request(Outcome.AUTHENTICATED, AuthMethod.API_KEY),
        request(Outcome.UNAVAILABLE, AuthMethod.API_KEY));
  }

  @Test
  void refusedEventsAreReportedAndTheLimiterAccessControlOwnsReportsToItsListener() {
    RecordingListener listener = new RecordingListener();
    AccessControl access = AccessControl.builder(TOKEN_ONLY).anonymous(true)
        .anonymousPolicy(AnonymousPolicy.builder().allowAgents(Set.of()).allowServices(Set.of("shop")).build()).listener(listener).build();
    RequestAuthorization anonymous = ((Decision.Proceed) access.decide(post("/intake/v2/rum/events"))).authorization();
    listener.clear();

    assertThat(anonymous.authorizeEvent("shop", "rum-js")).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(anonymous.acquireEvents(10)).isNull();
    assertThat(listener.heard()).as("what is allowed is not reported").isEmpty();

    assertThat(anonymous.authorizeEvent("blog", "rum-js")).isInstanceOf(AuthResult.Forbidden.class);
    assertThat(anonymous.authorizeOtelResource("blog", "java")).isInstanceOf(AuthResult.Forbidden.class);
    // More than the default limiter's burst (900) at once is refused outright.
    assertThat(anonymous.acquireEvents(1_000)).isNotNull();
    assertThat(listener.heard()).containsExactly("event ANONYMOUS_NOT_PERMITTED", "event ANONYMOUS_NOT_PERMITTED",
        "rate limited", "event RATE_LIMITED");

    listener.clear();
    RequestAuthorization credentialed = ((Decision.Proceed) access.decide(post("/intake/v2/rum/events")
        .header("Authorization", "Bearer " + TOKEN))).authorization();
    assertThat(credentialed.authorizeEvent("blog", null)).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(credentialed.acquireEvents(1_000)).isNull();
    assertThat(listener.heard()).containsExactly(request(Outcome.AUTHENTICATED, AuthMethod.SECRET_TOKEN));
  }

  @Test
  void aLimiterOfTheUsersOwnReportsToItsOwnListenerOnly() {
    RecordingListener accessListener = new RecordingListener();
    RecordingListener limiterListener = new RecordingListener();
    AnonymousRateLimiter limiter = AnonymousRateLimiter.builder().eventsPerSecond(1).burstFactor(1).timeSource(AccessControlTest.FROZEN)
        .listener(limiterListener).build();
    AccessControl access = AccessControl.builder(TOKEN_ONLY).anonymous(true).rateLimiter(limiter).listener(accessListener).build();
    access.decide(post("/intake/v2/rum/events"));
    access.decide(post("/intake/v2/rum/events"));
    assertThat(accessListener.heard()).containsExactly(request(Outcome.AUTHENTICATED, AuthMethod.ANONYMOUS),
        request(Outcome.RATE_LIMITED, AuthMethod.ANONYMOUS));
    assertThat(limiterListener.heard()).containsExactly("rate limited");
  }
}
