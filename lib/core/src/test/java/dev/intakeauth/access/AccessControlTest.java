package dev.intakeauth.access;

import static org.assertj.core.api.Assertions.assertThat;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.AuthMethod;
import dev.intakeauth.AuthResult;
import dev.intakeauth.Authenticator;
import dev.intakeauth.AuthorizationHeader;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.CheckResult;
import dev.intakeauth.Privilege;
import dev.intakeauth.PrivilegeChecker;
import dev.intakeauth.TimeSource;
import dev.intakeauth.anonymous.AnonymousPolicy;
import dev.intakeauth.anonymous.AnonymousRateLimiter;
import dev.intakeauth.anonymous.ClientAddressResolver;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The decision for one request, with no servlet or socket: a request is a few fields. */
class AccessControlTest {

  private static final String TOKEN = "s3cret";
  private static final Set<Privilege> ALL = Set.of(Privilege.EVENT_WRITE, Privilege.AGENT_CONFIG_READ, Privilege.SOURCEMAP_WRITE);
  private static final String MISSING = AuthorizationHeader.MISSING_MESSAGE;
  private static final AuthResult ANONYMOUS =
      new AuthResult.Authenticated(AuthMethod.ANONYMOUS, Set.of(Privilege.EVENT_WRITE, Privilege.AGENT_CONFIG_READ), null, null);

  /** A time that never moves: a spent rate-limit token stays spent. */
  static final TimeSource FROZEN = new TimeSource() {
    @Override
    public long nanoTime() {
      return 0;
    }

    @Override
    public Instant instant() {
      return Instant.EPOCH;
    }
  };

  private final Authenticator authenticator = Authenticator.builder().secretToken(TOKEN).build();

  /** A request as a transport would describe it. */
  static final class Request implements RequestView {
    final String method;
    final String path;
    final Map<String, List<String>> headers = new LinkedHashMap<>();
    String remote = "192.0.2.1";
    boolean secure = true;

    Request(String method, String path) {
      this.method = method;
      this.path = path;
    }

    Request header(String name, String value) {
      headers.computeIfAbsent(name.toLowerCase(java.util.Locale.ROOT), n -> new ArrayList<>()).add(value);
      return this;
    }

    Request from(String address) {
      this.remote = address;
      return this;
    }

    Request plainHttp() {
      this.secure = false;
      return this;
    }

    @Override
    public String method() {
      return method;
    }

    @Override
    public String path() {
      return path;
    }

    @Override
    public List<String> headers(String name) {
      return headers.getOrDefault(name.toLowerCase(java.util.Locale.ROOT), List.of());
    }

    @Override
    public String remoteAddress() {
      return remote;
    }

    @Override
    public boolean secure() {
      return secure;
    }
  }

  private AccessControl access(boolean anonymous) {
    return AccessControl.builder(authenticator).anonymous(anonymous).build();
  }

  private static Decision.Deny denied(Decision d, int status) {
    assertThat(d).isInstanceOf(Decision.Deny.class);
    Decision.Deny deny = (Decision.Deny) d;
    assertThat(deny.status()).isEqualTo(status);
    assertThat(deny.headers()).contains(Map.entry("X-Content-Type-Options", "nosniff"), Map.entry("Cache-Control", "no-store"));
    return deny;
  }

  private static RequestAuthorization proceeds(Decision d) {
    assertThat(d).isInstanceOf(Decision.Proceed.class);
    Decision.Proceed p = (Decision.Proceed) d;
    assertThat(p.headers()).contains(Map.entry("X-Content-Type-Options", "nosniff"));
    return p.authorization();
  }

  private static @Nullable String header(List<Map.Entry<String, String>> headers, String name) {
    return headers.stream().filter(h -> h.getKey().equals(name)).map(Map.Entry::getValue).findFirst().orElse(null);
  }

  /**
   * Every kind of route, with anonymous access off and on, for a valid, a missing and a wrong
   * credential: the outcome is its status (200 when the request goes on) and, on the way in, what the
   * application sees.
   */
  @ParameterizedTest(name = "{0} {1} anonymous={2} credential={3}")
  @CsvSource({
      // CREDENTIALS
      "POST, /intake/v2/events,     false, valid,   200, SECRET_TOKEN",
      "POST, /intake/v2/events,     false, missing, 401, missing",
      "POST, /intake/v2/events,     false, wrong,   401, authentication failed",
      "POST, /intake/v2/events,     true,  valid,   200, SECRET_TOKEN",
      "POST, /intake/v2/events,     true,  missing, 401, missing",
      "POST, /intake/v2/events,     true,  wrong,   401, authentication failed",
      // ANONYMOUS_WHEN_ENABLED
      "POST, /intake/v2/rum/events, false, valid,   200, SECRET_TOKEN",
      "POST, /intake/v2/rum/events, false, missing, 401, missing",
      "POST, /intake/v2/rum/events, false, wrong,   401, authentication failed",
      "POST, /intake/v2/rum/events, true,  valid,   200, SECRET_TOKEN",
      "POST, /intake/v2/rum/events, true,  missing, 200, ANONYMOUS",
      "POST, /intake/v2/rum/events, true,  wrong,   401, authentication failed",
      "GET,  /config/v1/rum/agents, true,  missing, 200, ANONYMOUS",
      // OTLP/HTTP: event:write, anonymous only when enabled (APM Server's rule)
      "POST, /v1/traces,            false, valid,   200, SECRET_TOKEN",
      "POST, /v1/traces,            false, missing, 401, missing",
      "POST, /v1/traces,            false, wrong,   401, authentication failed",
      "POST, /v1/traces,            true,  missing, 200, ANONYMOUS",
      "POST, /v1/traces,            true,  wrong,   401, authentication failed",
      "POST, /v1/metrics,           false, missing, 401, missing",
      "POST, /v1/metrics,           true,  missing, 200, ANONYMOUS",
      "POST, /v1/logs,              false, missing, 401, missing",
      "POST, /v1/logs,              true,  missing, 200, ANONYMOUS",
      // OPTIONAL: the application sees the outcome, whatever it is; never anonymous
      "GET,  /,                     false, valid,   200, SECRET_TOKEN",
      "GET,  /,                     false, missing, 200, 401",
      "GET,  /,                     false, wrong,   200, 401",
      "GET,  /,                     true,  valid,   200, SECRET_TOKEN",
      "GET,  /,                     true,  missing, 200, 401",
      "GET,  /,                     true,  wrong,   200, 401",
      // the source-map route: never anonymous, and said so once anonymous access is on
      "POST, /assets/v1/sourcemaps, false, valid,   200, SECRET_TOKEN",
      "POST, /assets/v1/sourcemaps, false, missing, 401, missing",
      "POST, /assets/v1/sourcemaps, true,  missing, 403, unauthorized: anonymous access not permitted for sourcemap uploads",
      "POST, /assets/v1/sourcemaps, true,  wrong,   401, authentication failed",
      // a path no route names needs a credential
      "POST, /unknown,              true,  missing, 401, missing",
      "POST, /unknown,              true,  valid,   200, SECRET_TOKEN",
  })
  void eachRouteAccessWithAnonymousOffAndOnForEachCredential(String method, String path, boolean anonymous, String credential,
      int status, String outcome) {
    Request request = new Request(method, path);
    switch (credential) {
      case "valid" -> request.header("Authorization", "Bearer " + TOKEN);
      case "wrong" -> request.header("Authorization", "Bearer guess");
      default -> { }
    }
    Decision d = access(anonymous).decide(request);
    if (status != 200) {
      Decision.Deny deny = denied(d, status);
      assertThat(deny.message()).isEqualTo(outcome.equals("missing") ? MISSING : outcome);
      assertThat(header(deny.headers(), "WWW-Authenticate")).isEqualTo(status == 401 ? "Bearer realm=\"intake\"" : null);
      return;
    }
    RequestAuthorization auth = proceeds(d);
    assertThat(auth.route().path()).isEqualTo(path.equals("/unknown") ? "/*" : path);
    assertThat(auth.clientAddress()).isEqualTo("192.0.2.1");
    if (outcome.equals("401")) {
      assertThat(auth.result().status()).isEqualTo(401);
      assertThat(auth.has(Privilege.EVENT_WRITE)).isFalse();
      assertThat(auth.acquireEvents(1_000_000)).as("not anonymous: no rate limit").isNull();
    } else {
      assertThat(auth.result()).isInstanceOf(AuthResult.Authenticated.class);
      assertThat(((AuthResult.Authenticated) auth.result()).method()).isEqualTo(AuthMethod.valueOf(outcome));
    }
  }

  @Test
  void anonymousCallersGetTheAnonymousPrivilegesButNeverSourcemapWrite() {
    RouteTable table = RouteTable.builder()
        .route(Set.of("POST"), "/events", Privilege.EVENT_WRITE, Access.ANONYMOUS_WHEN_ENABLED)
        .route(Set.of("POST"), "/maps", Privilege.SOURCEMAP_WRITE, Access.ANONYMOUS_WHEN_ENABLED)
        .route(Set.of("GET"), "/config", Privilege.AGENT_CONFIG_READ, Access.ANONYMOUS_WHEN_ENABLED)
        .build();
    AccessControl generous = AccessControl.builder(authenticator).routes(table).anonymous(true).anonymousPrivileges(ALL).build();
    RequestAuthorization events = proceeds(generous.decide(new Request("POST", "/events")));
    assertThat(events.has(Privilege.EVENT_WRITE)).isTrue();
    assertThat(events.has(Privilege.SOURCEMAP_WRITE)).isFalse();
    assertThat(denied(generous.decide(new Request("POST", "/maps")), 403).message()).isEqualTo(AuthResult.Forbidden.ANONYMOUS_SOURCEMAP);

    AccessControl writeOnly = AccessControl.builder(authenticator).routes(table).anonymous(true)
        .anonymousPrivileges(Set.of(Privilege.EVENT_WRITE)).build();
    assertThat(denied(writeOnly.decide(new Request("GET", "/config")), 403).message())
        .isEqualTo("unauthorized: anonymous access not permitted for action \"config_agent:read\"");
  }

  @Test
  void withNoCredentialConfiguredAnonymousSettingsChangeNothing() {
    AccessControl open = AccessControl.builder(Authenticator.builder().build()).anonymous(true).build();
    RequestAuthorization auth = proceeds(open.decide(new Request("POST", "/assets/v1/sourcemaps").plainHttp()));
    assertThat(((AuthResult.Authenticated) auth.result()).method()).isEqualTo(AuthMethod.NONE);
    assertThat(auth.has(Privilege.SOURCEMAP_WRITE)).isTrue();
  }

  /** An empty or blank header is no credential: on a route that needs one it is the 401, never anonymous. */
  @ParameterizedTest
  @ValueSource(strings = {"", " ", "   ", "\t"})
  void aBlankAuthorizationHeaderOnACredentialsRouteIsNeverAnonymous(String blank) {
    AccessControl access = access(true);
    for (String path : List.of("/intake/v2/events", "/config/v1/agents", "/unknown")) {
      Decision d = access.decide(new Request("POST", path).header("Authorization", blank));
      assertThat(denied(d, 401).message()).as(path).isEqualTo(MISSING);
    }
    // Over plain HTTP the header alone is refused: its value is not looked at.
    Decision plain = access.decide(new Request("POST", "/intake/v2/events").header("Authorization", blank).plainHttp());
    assertThat(denied(plain, 403).message()).isEqualTo(AccessControl.PLAIN_HTTP_MESSAGE);
  }

  @ParameterizedTest
  @ValueSource(strings = {"Bearer", "Bearer ", "Basic x", "ApiKey !!!", "Bearer guess"})
  void anInvalidCredentialOnAnAnonymousRouteIsNeverAnonymous(String value) {
    Decision d = access(true).decide(new Request("POST", "/intake/v2/rum/events").header("Authorization", value));
    assertThat(denied(d, 401).message()).doesNotContain("anonymous");
    Decision twice = access(true).decide(new Request("POST", "/intake/v2/rum/events").header("Authorization", "Bearer " + TOKEN)
        .header("Authorization", "Bearer other"));
    assertThat(denied(twice, 400).message()).isEqualTo("invalid request: multiple differing Authorization headers");
  }

  @Test
  void aPreflightIsAnsweredBeforeAuthenticationAndCostsNoRateLimitToken() {
    AnonymousRateLimiter oneEvent = AnonymousRateLimiter.builder().eventsPerSecond(1).burstFactor(1).timeSource(FROZEN).build();
    AccessControl access = AccessControl.builder(authenticator).anonymous(true).rateLimiter(oneEvent).build();
    for (int i = 0; i < 3; i++) {
      Decision d = access.decide(new Request("OPTIONS", "/intake/v2/rum/events").header("Origin", "https://shop.example")
          .header("Authorization", "Bearer guess").plainHttp());
      assertThat(d).isInstanceOf(Decision.Preflight.class);
      assertThat(((Decision.Preflight) d).headers()).containsExactly(
          Map.entry("X-Content-Type-Options", "nosniff"),
          Map.entry("Access-Control-Allow-Origin", "https://shop.example"),
          Map.entry("Access-Control-Max-Age", "3600"),
          Map.entry("Vary", "Origin"),
          Map.entry("Access-Control-Allow-Methods", "POST, OPTIONS"),
          Map.entry("Access-Control-Allow-Headers", "Content-Type, Content-Encoding, Accept"),
          Map.entry("Access-Control-Expose-Headers", "Etag"));
    }
    assertThat(proceeds(access.decide(new Request("POST", "/intake/v2/rum/events"))).result()).isEqualTo(ANONYMOUS);

    AccessControl strict = AccessControl.builder(authenticator)
        .routes(RouteTable.apm(CorsPolicy.of(List.of("https://good.example"), List.of("X-Tenant")))).build();
    Decision.Preflight refused = (Decision.Preflight) strict.decide(new Request("OPTIONS", "/config/v1/rum/agents").header("Origin", "https://evil.example"));
    assertThat(header(refused.headers(), "Access-Control-Allow-Origin")).as("the origin is echoed only when allowed").isNull();
    assertThat(header(refused.headers(), "Access-Control-Allow-Headers")).isEqualTo("Content-Type, Content-Encoding, Accept, X-Tenant");
  }

  @Test
  void aMethodThePathDoesNotListIs405WithAllowBeforeAnyLookup() {
    Decision.Deny deny = denied(access(true).decide(new Request("PUT", "/config/v1/agents").header("Authorization", "Bearer guess")), 405);
    assertThat(deny.message()).isEqualTo(AccessControl.METHOD_NOT_ALLOWED_MESSAGE);
    assertThat(header(deny.headers(), "Allow")).isEqualTo("GET, POST");
    assertThat(header(deny.headers(), "WWW-Authenticate")).isNull();
    assertThat(header(denied(access(true).decide(new Request("GET", "/intake/v2/rum/events")), 405).headers(), "Allow"))
        .isEqualTo("POST, OPTIONS");
    assertThat(access(true).decide(new Request("OPTIONS", "/intake/v2/events"))).as("no CORS there: OPTIONS is a method like another")
        .isInstanceOf(Decision.Deny.class);
  }

  @Test
  void corsOriginsAreCheckedOnBrowserRoutesOnly() {
    AccessControl access = AccessControl.builder(authenticator).anonymous(true)
        .routes(RouteTable.apm(CorsPolicy.of(List.of("https://*.good.example"), List.of()))).build();
    Decision.Deny refused = denied(access.decide(new Request("POST", "/intake/v2/rum/events").header("Origin", "https://evil.example")), 403);
    assertThat(refused.message()).isEqualTo("origin: 'https://evil.example' is not allowed");
    assertThat(refused.headers()).contains(Map.entry("Vary", "Origin"));
    Decision.Deny two = denied(access.decide(new Request("POST", "/intake/v2/rum/events")
        .header("Origin", "https://a.good.example").header("Origin", "https://b.good.example")), 403);
    assertThat(two.message()).isEqualTo("origin: 'https://a.good.example, https://b.good.example' is not allowed");

    Decision.Proceed allowed = (Decision.Proceed) access.decide(new Request("POST", "/intake/v2/rum/events").header("Origin", "https://a.good.example"));
    assertThat(allowed.headers()).containsExactly(Map.entry("X-Content-Type-Options", "nosniff"), Map.entry("Vary", "Origin"),
        Map.entry("Access-Control-Allow-Origin", "https://a.good.example"), Map.entry("Access-Control-Expose-Headers", "Etag"));
    Decision.Deny deniedFromAllowedOrigin = denied(access.decide(new Request("POST", "/intake/v2/rum/events")
        .header("Origin", "https://a.good.example").header("Authorization", "Bearer guess")), 401);
    assertThat(header(deniedFromAllowedOrigin.headers(), "Access-Control-Allow-Origin")).as("a browser may read its denial").isEqualTo("https://a.good.example");

    Decision.Proceed noCors = (Decision.Proceed) access.decide(new Request("POST", "/intake/v2/events").header("Origin", "https://evil.example")
        .header("Authorization", "Bearer " + TOKEN));
    assertThat(noCors.headers()).containsExactly(Map.entry("X-Content-Type-Options", "nosniff"));
  }

  @Test
  void anonymousRequestsOverTheRateLimitAre429WithRetryAfter() {
    AnonymousRateLimiter limiter = AnonymousRateLimiter.builder().eventsPerSecond(2).burstFactor(1).timeSource(FROZEN).build();
    AccessControl access = AccessControl.builder(authenticator).anonymous(true).rateLimiter(limiter).build();
    Request rum = new Request("POST", "/intake/v2/rum/events");
    proceeds(access.decide(rum));
    RequestAuthorization second = proceeds(access.decide(rum));
    assertThat(second.acquireEvents(5)).as("the application's events come from the same budget").isNotNull();
    Decision.Deny limited = denied(access.decide(rum), 429);
    assertThat(limited.message()).isEqualTo("too many requests: rate limit exceeded");
    assertThat(header(limited.headers(), "Retry-After")).isEqualTo("1");
    assertThat(header(limited.headers(), "WWW-Authenticate")).isNull();
    proceeds(access.decide(new Request("POST", "/intake/v2/rum/events").from("192.0.2.2")));
    proceeds(access.decide(new Request("POST", "/intake/v2/rum/events").header("Authorization", "Bearer " + TOKEN)));
  }

  @Test
  void theRateLimitCountsTheClientATrustedProxyNames() {
    AnonymousRateLimiter limiter = AnonymousRateLimiter.builder().eventsPerSecond(1).burstFactor(1).timeSource(FROZEN).build();
    AccessControl access = AccessControl.builder(authenticator).anonymous(true).rateLimiter(limiter)
        .clientAddresses(ClientAddressResolver.trusting(List.of("10.0.0.0/8"))).build();
    RequestAuthorization first = proceeds(access.decide(new Request("POST", "/intake/v2/rum/events").from("10.0.0.5")
        .header("X-Forwarded-For", "203.0.113.7")));
    assertThat(first.clientAddress()).isEqualTo("203.0.113.7");
    proceeds(access.decide(new Request("POST", "/intake/v2/rum/events").from("10.0.0.5").header("X-Forwarded-For", "203.0.113.8")));
    denied(access.decide(new Request("POST", "/intake/v2/rum/events").from("10.0.0.5").header("X-Forwarded-For", "203.0.113.7")), 429);
    RequestAuthorization spoofed = proceeds(access.decide(new Request("POST", "/intake/v2/rum/events").from("198.51.100.1")
        .header("X-Forwarded-For", "203.0.113.7")));
    assertThat(spoofed.clientAddress()).as("an untrusted peer names no one").isEqualTo("198.51.100.1");
  }

  @Test
  void credentialsOverPlainHttpAre403UnlessAllowed() {
    Request plain = new Request("POST", "/intake/v2/events").header("Authorization", "Bearer " + TOKEN).plainHttp();
    Decision.Deny deny = denied(access(false).decide(plain), 403);
    assertThat(deny.message()).isEqualTo(AccessControl.PLAIN_HTTP_MESSAGE);
    assertThat(header(deny.headers(), "WWW-Authenticate")).isNull();
    assertThat(proceeds(access(true).decide(new Request("POST", "/intake/v2/rum/events").plainHttp())).result())
        .as("no credential, nothing to protect").isEqualTo(ANONYMOUS);
    AccessControl loopback = AccessControl.builder(authenticator).allowCredentialsOverPlainHttp(true).build();
    assertThat(proceeds(loopback.decide(plain)).has(Privilege.EVENT_WRITE)).isTrue();
  }

  @Test
  void challengesNameEachMethodInTheRealm() {
    PrivilegeChecker none = (credential, scope) -> CompletableFuture.completedFuture(new CheckResult.UnknownKey());
    AccessControl both = AccessControl.builder(Authenticator.builder().secretToken(TOKEN).apiKeys(CachingPrivilegeChecker.builder(none).build()).build()).realm("apm-server").build();
    Decision.Deny deny = denied(both.decide(new Request("POST", "/intake/v2/events")), 401);
    assertThat(deny.headers().stream().filter(h -> h.getKey().equals("WWW-Authenticate")).map(Map.Entry::getValue))
        .containsExactly("ApiKey realm=\"apm-server\"", "Bearer realm=\"apm-server\"");
  }

  @Test
  void aLookupInTheBackendIsPendingAndEndsInTheSameDecision() {
    CompletableFuture<CheckResult> answer = new CompletableFuture<>();
    PrivilegeChecker slow = (credential, scope) -> answer;
    AccessControl access = AccessControl.builder(Authenticator.builder().apiKeys(CachingPrivilegeChecker.builder(slow).build()).build()).build();
    ApiKeyCredential key = ApiKeyCredential.of("agent", "secret");
    Decision d = access.decide(new Request("POST", "/config/v1/agents").header("Authorization", key.authorizationValue()));
    assertThat(d).isInstanceOf(Decision.Pending.class);
    Decision.Pending pending = (Decision.Pending) d;
    Decision.Deny timeout = pending.timeout();
    assertThat(timeout.status()).isEqualTo(503);
    assertThat(header(timeout.headers(), "Retry-After")).isEqualTo("1");
    assertThat(pending.decision()).isNotDone();
    answer.complete(new CheckResult.Granted(Set.of(Privilege.EVENT_WRITE), "someone"));
    Decision.Deny lacking = denied(pending.decision().join(), 403);
    assertThat(lacking.message()).isEqualTo("unauthorized: API Key not permitted action \"config_agent:read\"");
  }

  @Test
  void pathsTheTableLeavesAlonePassThroughUntouched() {
    AccessControl access = AccessControl.builder(authenticator).routes(RouteTable.builder().otherwise(null).build()).build();
    assertThat(access.decide(new Request("GET", "/health").header("Authorization", "Bearer guess").plainHttp()))
        .isInstanceOf(Decision.PassThrough.class);
  }

  @Test
  void anonymousEventsAreCheckedAgainstThePolicyAndCredentialedOnesAreNot() {
    AccessControl access = AccessControl.builder(authenticator).anonymous(true)
        .anonymousPolicy(AnonymousPolicy.builder().allowServices(Set.of("shop")).build()).build();
    RequestAuthorization anonymous = proceeds(access.decide(new Request("POST", "/intake/v2/rum/events")));
    assertThat(anonymous.authorizeEvent("shop", "rum-js")).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(anonymous.authorizeEvent("other", "rum-js"))
        .isEqualTo(new AuthResult.Forbidden("unauthorized: anonymous access not permitted for service \"other\""));
    RequestAuthorization token = proceeds(access.decide(new Request("POST", "/intake/v2/rum/events").header("Authorization", "Bearer " + TOKEN)));
    assertThat(token.authorizeEvent("other", "java")).isSameAs(token.result());
    assertThat(token.acquireEvents(1_000_000)).isNull();
  }

  /** A key that may only read agent configuration must not push OTLP data: the routes need event:write. */
  @ParameterizedTest
  @ValueSource(strings = {"/v1/traces", "/v1/metrics", "/v1/logs"})
  void aConfigReadOnlyKeyCannotPushOtlp(String path) {
    ApiKeyCredential configOnly = ApiKeyCredential.of("config-only", "secret");
    PrivilegeChecker backend = (credential, scope) ->
        CompletableFuture.completedFuture(new CheckResult.Granted(Set.of(Privilege.AGENT_CONFIG_READ), "someone"));
    AccessControl access = AccessControl.builder(Authenticator.builder().apiKeys(CachingPrivilegeChecker.builder(backend).build()).build())
        .anonymous(true).build();
    Decision d = access.decide(new Request("POST", path).header("Authorization", configOnly.authorizationValue()));
    if (d instanceof Decision.Pending pending) {
      d = pending.decision().join();
    }
    assertThat(denied(d, 403).message()).isEqualTo("unauthorized: API Key not permitted action \"event:write\"");
  }

  @Test
  void otlpRoutesTakeOnlyPostAndCarryNoCorsPolicy() {
    AccessControl access = access(true);
    for (String path : List.of("/v1/traces", "/v1/metrics", "/v1/logs")) {
      Decision.Deny get = denied(access.decide(new Request("GET", path).header("Authorization", "Bearer " + TOKEN)), 405);
      assertThat(header(get.headers(), "Allow")).as(path).isEqualTo("POST");
      denied(access.decide(new Request("OPTIONS", path).header("Origin", "https://page.example")), 405);
      RequestAuthorization auth = proceeds(access.decide(new Request("POST", path).header("Origin", "https://page.example")));
      assertThat(auth.route().privilege()).isEqualTo(Privilege.EVENT_WRITE);
      assertThat(auth.route().access()).isEqualTo(Access.ANONYMOUS_WHEN_ENABLED);
      assertThat(auth.route().cors()).isNull();
    }
  }

  @Test
  void anonymousOtlpResourcesAreCheckedAsAgentOpentelemetrySlashLanguageAndCredentialedOnesAreNot() {
    AccessControl access = AccessControl.builder(authenticator).anonymous(true)
        .anonymousPolicy(AnonymousPolicy.builder().allowAgents(Set.of("opentelemetry/java", "opentelemetry")).allowServices(Set.of("shop")).build())
        .build();
    RequestAuthorization anonymous = proceeds(access.decide(new Request("POST", "/v1/traces")));
    assertThat(anonymous.authorizeOtelResource("shop", "java")).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(anonymous.authorizeOtelResource("shop", null)).as("no language: agent opentelemetry").isInstanceOf(AuthResult.Authenticated.class);
    assertThat(anonymous.authorizeOtelResource("shop", "go"))
        .isEqualTo(new AuthResult.Forbidden("unauthorized: anonymous access not permitted for agent \"opentelemetry/go\""));
    assertThat(anonymous.authorizeOtelResource("other", "java"))
        .isEqualTo(new AuthResult.Forbidden("unauthorized: anonymous access not permitted for service \"other\""));
    assertThat(anonymous.authorizeOtelResource(null, "java"))
        .isEqualTo(new AuthResult.Forbidden("unauthorized: anonymous access not permitted for service \"\""));
    // The default allow-list names only the RUM agents: anonymous OTLP needs allow_agent to list it.
    RequestAuthorization byDefault = proceeds(access(true).decide(new Request("POST", "/v1/logs")));
    assertThat(byDefault.authorizeOtelResource("shop", "java")).isInstanceOf(AuthResult.Forbidden.class);

    RequestAuthorization token = proceeds(access.decide(new Request("POST", "/v1/metrics").header("Authorization", "Bearer " + TOKEN)));
    assertThat(token.authorizeOtelResource("other", "go")).isSameAs(token.result());
    assertThat(token.authorizeOtelResource(null, null)).isSameAs(token.result());
  }

  @ParameterizedTest
  @CsvSource(nullValues = "null", value = {"java, opentelemetry/java", "python, opentelemetry/python", "'', opentelemetry", "null, opentelemetry"})
  void otelAgentNamesFollowApmServer(String language, String agent) {
    assertThat(RequestAuthorization.otelAgentName(language)).isEqualTo(agent);
  }

  @Test
  void anApplicationsOwnDenialCarriesTheSameHeaders() {
    Decision.Deny limited = Decision.Deny.of(new AuthResult.RateLimited(java.time.Duration.ofMillis(1500)));
    assertThat(limited.status()).isEqualTo(429);
    assertThat(limited.headers()).containsExactly(Map.entry("X-Content-Type-Options", "nosniff"), Map.entry("Cache-Control", "no-store"),
        Map.entry("Retry-After", "2"));
    assertThat(Decision.Deny.of(new AuthResult.Forbidden("no")).headers()).hasSize(2);
  }
}
