package dev.intakeauth.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.AuthListener;
import dev.intakeauth.AuthMethod;
import dev.intakeauth.Authenticator;
import dev.intakeauth.Outcome;
import dev.intakeauth.Privilege;
import dev.intakeauth.access.AccessControl;
import dev.intakeauth.access.Decision;
import dev.intakeauth.access.RequestAuthorization;
import dev.intakeauth.access.RequestView;
import dev.intakeauth.anonymous.AnonymousPolicy;
import dev.intakeauth.anonymous.AnonymousRateLimiter;
import dev.intakeauth.anonymous.ClientAddressResolver;
import dev.intakeauth.testing.FakePrivilegeChecker;
import dev.intakeauth.testing.FaultInjectingChecker;
import dev.intakeauth.testing.ManualClock;
import dev.intakeauth.testing.TestCredentials;
import jakarta.servlet.Filter;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The filter in a real Jetty 12 over real sockets: every row of the specification's route and
 * response tables, anonymous access, the rate limit, proxies, TLS policy and async lookups.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IntakeAuthFilterTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = TestCredentials.SECRET_TOKEN;
  private static final ApiKeyCredential WRITER = ApiKeyCredential.of("writer-id", "writer-secret");
  private static final ApiKeyCredential CONFIG = ApiKeyCredential.of("config-id", "config-secret");
  private static final ApiKeyCredential SOURCEMAP = ApiKeyCredential.of("sourcemap-id", "sourcemap-secret");
  private static final ApiKeyCredential ALL = ApiKeyCredential.of("all-id", "all-secret");
  private static final String MISSING = dev.intakeauth.AuthorizationHeader.MISSING_MESSAGE;

  private final FakePrivilegeChecker keys = new FakePrivilegeChecker()
      .grant(WRITER, Privilege.EVENT_WRITE)
      .grant(CONFIG, Privilege.AGENT_CONFIG_READ)
      .grant(SOURCEMAP, Privilege.SOURCEMAP_WRITE)
      .grant(ALL, Privilege.EVENT_WRITE, Privilege.AGENT_CONFIG_READ, Privilege.SOURCEMAP_WRITE);
  private final FaultInjectingChecker backend = FaultInjectingChecker.wrap(keys);
  private final ManualClock clock = new ManualClock();

  private TestServer closed;
  private TestServer open;

  @BeforeAll
  void start() throws Exception {
    closed = new TestServer(IntakeAuthFilter.builder(Authenticator.builder().secretToken(TOKEN).apiKeys(Backends.cached(backend)).build()).build(),
        new EchoServlet(), 16);
    open = new TestServer(IntakeAuthFilter.builder(Authenticator.builder().secretToken(TOKEN).apiKeys(Backends.cached(backend)).build()).anonymous(true)
        .anonymousPolicy(AnonymousPolicy.builder().allowServices(Set.of("shop-frontend", "blog")).build())
        .rateLimiter(AnonymousRateLimiter.builder().eventsPerSecond(2).timeSource(clock).build())
        .clientAddresses(ClientAddressResolver.trusting(List.of("127.0.0.0/8")))
        .build(), new EchoServlet(), 16);
  }

  @AfterAll
  void stop() throws Exception {
    closed.close();
    open.close();
  }

  private static HttpRequest.Builder request(TestServer server, String method, String path, String... authorization) {
    HttpRequest.Builder b = HttpRequest.newBuilder(server.https(path)).method(method,
        "GET".equals(method) || "HEAD".equals(method) ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString("{}\n"));
    for (String a : authorization) {
      b.header("Authorization", a);
    }
    return b;
  }

  private static HttpResponse<String> send(TestServer server, String method, String path, String... authorization) throws Exception {
    return server.send(request(server, method, path, authorization).build());
  }

  private static String error(HttpResponse<String> r) throws IOException {
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.size()).as("only the error field: %s", r.body()).isEqualTo(1);
    return body.path("error").asText();
  }

  private static JsonNode echo(HttpResponse<String> r) throws IOException {
    return JSON.readTree(r.body());
  }

  private static void assertNosniff(HttpResponse<String> r) {
    assertThat(r.headers().allValues("X-Content-Type-Options")).containsExactly("nosniff");
  }

  static Stream<Arguments> routes() {
    return Stream.of(
        Arguments.of("POST", "/intake/v2/events", Privilege.EVENT_WRITE, false),
        Arguments.of("POST", "/intake/v2/rum/events", Privilege.EVENT_WRITE, true),
        Arguments.of("POST", "/intake/v3/rum/events", Privilege.EVENT_WRITE, true),
        Arguments.of("GET", "/config/v1/agents", Privilege.AGENT_CONFIG_READ, false),
        Arguments.of("POST", "/config/v1/agents", Privilege.AGENT_CONFIG_READ, false),
        Arguments.of("GET", "/config/v1/rum/agents", Privilege.AGENT_CONFIG_READ, true),
        Arguments.of("POST", "/assets/v1/sourcemaps", Privilege.SOURCEMAP_WRITE, false));
  }

  private static ApiKeyCredential holding(Privilege p) {
    return p.equals(Privilege.EVENT_WRITE) ? WRITER : p.equals(Privilege.AGENT_CONFIG_READ) ? CONFIG : SOURCEMAP;
  }

  private static ApiKeyCredential lacking(Privilege p) {
    return p.equals(Privilege.EVENT_WRITE) ? CONFIG : WRITER;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("routes")
  void everyRouteAnswersAsTheSpecificationSays(String method, String path, Privilege privilege, boolean anonymousRoute) throws Exception {
    HttpResponse<String> none = send(closed, method, path);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(error(none)).isEqualTo(MISSING);
    assertThat(none.headers().allValues("WWW-Authenticate")).containsExactly("ApiKey realm=\"intake\"", "Bearer realm=\"intake\"");
    assertNosniff(none);

    HttpResponse<String> wrongToken = send(closed, method, path, "Bearer not-the-token");
    assertThat(wrongToken.statusCode()).isEqualTo(401);
    assertThat(error(wrongToken)).isEqualTo("authentication failed");

    HttpResponse<String> wrongSecret = send(closed, method, path, "ApiKey " + ApiKeyCredential.of(WRITER.id(), "guess").encoded());
    assertThat(wrongSecret.statusCode()).isEqualTo(401);
    assertThat(error(wrongSecret)).isEqualTo("authentication failed");

    HttpResponse<String> token = send(closed, method, path, "Bearer " + TOKEN);
    assertThat(token.statusCode()).isEqualTo(202);
    assertThat(echo(token).path("principal").asText()).isEqualTo("secret-token");
    assertThat(echo(token).path("authType").asText()).isEqualTo("Bearer");
    assertNosniff(token);

    HttpResponse<String> key = send(closed, method, path, "ApiKey " + holding(privilege).encoded());
    assertThat(key.statusCode()).isEqualTo(202);
    assertThat(echo(key).path("principal").asText()).isEqualTo(holding(privilege).id());
    assertThat(echo(key).path("authType").asText()).isEqualTo("ApiKey");

    HttpResponse<String> forbidden = send(closed, method, path, "ApiKey " + lacking(privilege).encoded());
    assertThat(forbidden.statusCode()).isEqualTo(403);
    assertThat(error(forbidden)).isEqualTo("unauthorized: API Key not permitted action \"" + privilege.name() + "\"");
    assertThat(forbidden.headers().allValues("WWW-Authenticate")).isEmpty();
    assertNosniff(forbidden);

    HttpResponse<String> anonymous = send(open, method, path);
    if (anonymousRoute) {
      assertThat(anonymous.statusCode()).isEqualTo(202);
      assertThat(echo(anonymous).path("anonymous").asBoolean()).isTrue();
      assertThat(echo(anonymous).path("principal").asText()).isEqualTo("anonymous");
    } else if (privilege.equals(Privilege.SOURCEMAP_WRITE)) {
      assertThat(anonymous.statusCode()).isEqualTo(403);
      assertThat(error(anonymous)).isEqualTo("unauthorized: anonymous access not permitted for sourcemap uploads");
    } else {
      assertThat(anonymous.statusCode()).isEqualTo(401);
      assertThat(error(anonymous)).isEqualTo(MISSING);
    }
    // with anonymous access on, a credential is still checked as a credential
    assertThat(send(open, method, path, "Bearer wrong").statusCode()).isEqualTo(401);
    assertThat(send(open, method, path, "ApiKey " + lacking(privilege).encoded()).statusCode()).isEqualTo(403);
  }

  @Test
  void theRootIsOpenAndTellsTheApplicationWhoAsked() throws Exception {
    HttpResponse<String> none = send(closed, "GET", "/");
    assertThat(none.statusCode()).isEqualTo(200);
    assertThat(echo(none).path("authenticated").asBoolean()).isFalse();
    assertNosniff(none);
    HttpResponse<String> wrong = send(closed, "GET", "/", "Bearer wrong");
    assertThat(wrong.statusCode()).isEqualTo(200);
    assertThat(echo(wrong).path("authenticated").asBoolean()).isFalse();
    HttpResponse<String> token = send(closed, "GET", "/", "Bearer " + TOKEN);
    assertThat(echo(token).path("authenticated").asBoolean()).isTrue();
    assertThat(echo(token).path("principal").asText()).isEqualTo("secret-token");
    HttpResponse<String> anonymous = send(open, "GET", "/");
    assertThat(anonymous.statusCode()).isEqualTo(200);
    assertThat(echo(anonymous).path("authenticated").asBoolean()).as("anonymous callers are not authenticated callers").isFalse();
  }

  @Test
  void pathsOutsideTheTableNeedACredentialAndMethodsOutsideItAre405() throws Exception {
    assertThat(send(closed, "GET", "/debug/vars").statusCode()).isEqualTo(401);
    assertThat(send(closed, "GET", "/debug/vars", "Bearer " + TOKEN).statusCode()).isEqualTo(202);
    assertThat(send(closed, "DELETE", "/intake/v2/events").statusCode()).isEqualTo(405);
    // an encoded path is matched as the container decodes it, so it cannot slip past its route
    HttpResponse<String> encoded = send(closed, "POST", "/intake/v2/%65vents", "ApiKey " + CONFIG.encoded());
    assertThat(encoded.statusCode()).isEqualTo(403);
  }

  @Test
  void aListenerSetOnTheFilterHearsEachRequestsOutcome() throws Exception {
    List<String> heard = Collections.synchronizedList(new ArrayList<>());
    AuthListener listener = new AuthListener() {
      @Override
      public void onRequest(Outcome outcome, @Nullable AuthMethod method) {
        heard.add(outcome + " " + method);
      }
    };
    try (TestServer server = new TestServer(IntakeAuthFilter.builder(Authenticator.builder().secretToken(TOKEN)
        .apiKeys(Backends.cached(keys)).build()).listener(listener).build(), new EchoServlet(), 8)) {
      assertThat(send(server, "POST", "/intake/v2/events", "Bearer wrong").statusCode()).isEqualTo(401);
      assertThat(send(server, "POST", "/intake/v2/events", "Bearer " + TOKEN).statusCode()).isEqualTo(202);
      assertThat(send(server, "POST", "/intake/v2/events", "ApiKey " + WRITER.encoded()).statusCode()).isEqualTo(202);
      assertThat(send(server, "POST", "/intake/v2/events").statusCode()).isEqualTo(401);
    }
    assertThat(heard).containsExactly("INVALID_CREDENTIALS SECRET_TOKEN", "AUTHENTICATED SECRET_TOKEN", "AUTHENTICATED API_KEY",
        "MISSING ANONYMOUS");
  }

  @Test
  void differingDuplicateHeadersAreA400AndEqualOnesPass() throws Exception {
    HttpResponse<String> r = send(closed, "POST", "/intake/v2/events", "Bearer " + TOKEN, "ApiKey " + WRITER.encoded());
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(error(r)).startsWith("invalid request: ");
    assertNosniff(r);
    assertThat(send(closed, "POST", "/intake/v2/events", "Bearer " + TOKEN, "Bearer " + TOKEN).statusCode()).isEqualTo(202);
  }

  @Test
  void malformedHeadersAre401WithTheirMessages() throws Exception {
    assertThat(error(send(closed, "POST", "/intake/v2/events", "Basic dXNlcjpwdw=="))).startsWith("authentication failed: unknown Authentication header Basic");
    assertThat(error(send(closed, "POST", "/intake/v2/events", "ApiKey !!!"))).isEqualTo("authentication failed: improperly encoded ApiKey credentials: expected base64(ID:APIKey)");
    HttpResponse<String> injected = send(closed, "POST", "/intake/v2/events", "X\"}{\"a\":\"b token");
    assertThat(injected.statusCode()).isEqualTo(401);
    assertThat(JSON.readTree(injected.body()).size()).as("the scheme is escaped in the JSON body").isEqualTo(1);
  }

  @Test
  void anUnavailableBackendIsA503WithRetryAfter() throws Exception {
    backend.refuse();
    try {
      HttpResponse<String> r = send(closed, "POST", "/intake/v2/events", "ApiKey " + ApiKeyCredential.of("fresh-id", "fresh-secret").encoded());
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(error(r)).isEqualTo("service unavailable");
      assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
      assertNosniff(r);
      assertThat(r.body()).doesNotContain("refused");
    } finally {
      backend.heal();
    }
  }

  @Test
  void anonymousEventsAreCheckedAgainstTheAllowLists() throws Exception {
    clock.advance(Duration.ofMinutes(1));
    String rum = "/intake/v2/rum/events";
    assertThat(send(open, "POST", rum + "?agent=rum-js&service=shop-frontend").statusCode()).isEqualTo(202);
    HttpResponse<String> agent = send(open, "POST", rum + "?agent=python&service=shop-frontend");
    assertThat(agent.statusCode()).isEqualTo(403);
    assertThat(error(agent)).isEqualTo("unauthorized: anonymous access not permitted for agent \"python\"");
    clock.advance(Duration.ofMinutes(1));
    HttpResponse<String> service = send(open, "POST", rum + "?agent=js-base&service=admin-ui");
    assertThat(service.statusCode()).isEqualTo(403);
    assertThat(error(service)).isEqualTo("unauthorized: anonymous access not permitted for service \"admin-ui\"");
    // the allow-lists are for anonymous callers only
    assertThat(send(open, "POST", rum + "?agent=python&service=admin-ui", "Bearer " + TOKEN).statusCode()).isEqualTo(202);
    assertThat(send(closed, "POST", rum + "?agent=python&service=admin-ui", "ApiKey " + WRITER.encoded()).statusCode()).isEqualTo(202);
  }

  @Test
  void theRateLimitAllowsABurstThen429sAndRecovers() throws Exception {
    clock.advance(Duration.ofMinutes(1));
    String rum = "/intake/v2/rum/events";
    HttpRequest.Builder from = request(open, "POST", rum).header("X-Forwarded-For", "198.51.100.1");
    // 2 events a second, burst 6: the request itself takes one
    for (int i = 0; i < 6; i++) {
      assertThat(open.send(from.build()).statusCode()).as("request %d", i + 1).isEqualTo(202);
    }
    HttpResponse<String> limited = open.send(from.build());
    assertThat(limited.statusCode()).isEqualTo(429);
    assertThat(error(limited)).isEqualTo("too many requests: rate limit exceeded");
    assertThat(limited.headers().firstValue("Retry-After")).hasValue("1");
    assertNosniff(limited);
    // another client has its own budget
    assertThat(open.send(request(open, "POST", rum).header("X-Forwarded-For", "198.51.100.2").build()).statusCode()).isEqualTo(202);
    // credentials are never rate limited
    assertThat(open.send(request(open, "POST", rum, "Bearer " + TOKEN).header("X-Forwarded-For", "198.51.100.1").build()).statusCode()).isEqualTo(202);

    clock.advance(Duration.ofSeconds(1));
    assertThat(open.send(from.build()).statusCode()).isEqualTo(202);
    assertThat(open.send(from.build()).statusCode()).isEqualTo(202);
    assertThat(open.send(from.build()).statusCode()).isEqualTo(429);

    // events in the body count too: the application takes them as it decodes
    clock.advance(Duration.ofSeconds(3));
    HttpResponse<String> many = open.send(request(open, "POST", rum + "?events=50").header("X-Forwarded-For", "198.51.100.1").build());
    assertThat(many.statusCode()).isEqualTo(429);
    assertThat(many.headers().firstValue("Retry-After")).isPresent();
  }

  @Test
  void forwardedAddressesCountOnlyFromTrustedProxies() throws Exception {
    String rum = "/intake/v2/rum/events";
    HttpResponse<String> trusted = open.send(request(open, "POST", rum).header("X-Forwarded-For", "203.0.113.9, 127.0.0.1").build());
    assertThat(echo(trusted).path("client").asText()).isEqualTo("203.0.113.9");
    HttpResponse<String> forwarded = open.send(request(open, "POST", rum).header("X-Forwarded-For", "[2001:db8::7]:4711").build());
    assertThat(echo(forwarded).path("client").asText()).isEqualTo("2001:db8::7");

    try (TestServer untrusting = new TestServer(IntakeAuthFilter.builder(Authenticator.builder().secretToken(TOKEN).build()).anonymous(true)
        .rateLimiter(AnonymousRateLimiter.builder().eventsPerSecond(1).timeSource(new ManualClock()).build()).build(), new EchoServlet(), 8)) {
      HttpResponse<String> spoofed = untrusting.send(request(untrusting, "POST", rum).header("X-Forwarded-For", "203.0.113.9").build());
      assertThat(echo(spoofed).path("client").asText()).isEqualTo("127.0.0.1");
      // burst 3: changing the spoofed address buys nothing
      for (int i = 0; i < 2; i++) {
        assertThat(untrusting.send(request(untrusting, "POST", rum).header("X-Forwarded-For", "203.0.113." + (20 + i)).build()).statusCode()).isEqualTo(202);
      }
      assertThat(untrusting.send(request(untrusting, "POST", rum).header("X-Real-IP", "203.0.113.99").build()).statusCode()).isEqualTo(429);
    }
  }

  @Test
  void credentialsOverPlainHttpAreRefusedUnlessAllowed() throws Exception {
    HttpResponse<String> plain = closed.send(HttpRequest.newBuilder(closed.http("/intake/v2/events"))
        .POST(HttpRequest.BodyPublishers.ofString("{}")).header("Authorization", "Bearer " + TOKEN).build());
    assertThat(plain.statusCode()).isEqualTo(403);
    assertThat(error(plain)).isEqualTo("forbidden: credentials are only accepted over TLS (HTTPS)");
    // without a credential nothing leaks: the usual 401, and anonymous requests work over HTTP
    assertThat(closed.send(HttpRequest.newBuilder(closed.http("/intake/v2/events")).POST(HttpRequest.BodyPublishers.noBody()).build()).statusCode()).isEqualTo(401);
    assertThat(open.send(HttpRequest.newBuilder(open.http("/intake/v2/rum/events")).POST(HttpRequest.BodyPublishers.noBody()).build()).statusCode()).isEqualTo(202);

    try (TestServer allowing = new TestServer(IntakeAuthFilter.builder(Authenticator.builder().secretToken(TOKEN).build())
        .allowCredentialsOverPlainHttp(true).serverTls(false).build(), new EchoServlet(), 8)) {
      assertThat(allowing.send(HttpRequest.newBuilder(allowing.http("/intake/v2/events")).POST(HttpRequest.BodyPublishers.noBody())
          .header("Authorization", "Bearer " + TOKEN).build()).statusCode()).isEqualTo(202);
    }
  }

  @Test
  void lookupsWaitWithoutHoldingContainerThreads() throws Exception {
    // 12 threads in the pool, of which Jetty keeps some for its selectors and acceptors
    try (TestServer small = new TestServer(IntakeAuthFilter.builder(Authenticator.builder().secretToken(TOKEN).apiKeys(Backends.cached(backend)).build()).build(),
        new EchoServlet(), 12)) {
      backend.hang();
      List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
      int n = 40;
      for (int i = 0; i < n; i++) {
        HttpRequest r = request(small, "POST", "/intake/v2/events", "ApiKey " + ApiKeyCredential.of("async-" + i, "s").encoded()).build();
        waiting.add(small.client.sendAsync(r, HttpResponse.BodyHandlers.ofString()));
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (backend.hanging() < n && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(backend.hanging()).as("every lookup is pending at once, more than the pool has threads").isEqualTo(n);
      // the container still serves requests that need no lookup
      HttpResponse<String> token = send(small, "POST", "/intake/v2/events", "Bearer " + TOKEN);
      assertThat(token.statusCode()).isEqualTo(202);
      keys.grant(ApiKeyCredential.of("async-0", "s"), Privilege.EVENT_WRITE);
      assertThat(backend.release()).isEqualTo(n);
      List<Integer> statuses = new ArrayList<>();
      for (CompletableFuture<HttpResponse<String>> f : waiting) {
        statuses.add(f.get().statusCode());
      }
      assertThat(statuses.get(0)).isEqualTo(202);
      assertThat(statuses.subList(1, n)).containsOnly(401);
      assertThat(echo(waiting.get(0).get()).path("principal").asText()).isEqualTo("async-0");
      // the answer's headers were written on the async dispatch, on a container thread
      assertNosniff(waiting.get(0).get());
      assertNosniff(waiting.get(1).get());
    } finally {
      backend.heal();
    }
  }

  @Test
  void anAuthorizationAnotherFilterPutInTheAttributeIsNotTrustedOnANewRequest() throws Exception {
    // Any code in the JVM can make an unrestricted RequestAuthorization through the public API.
    Decision forged = AccessControl.builder(Authenticator.builder().build()).build().decide(new RequestView() {
      @Override
      public String method() {
        return "POST";
      }

      @Override
      public String path() {
        return "/intake/v2/events";
      }

      @Override
      public List<String> headers(String name) {
        return List.of();
      }

      @Override
      public String remoteAddress() {
        return "192.0.2.1";
      }

      @Override
      public boolean secure() {
        return true;
      }
    });
    RequestAuthorization everything = ((Decision.Proceed) forged).authorization();
    assertThat(everything.has(Privilege.SOURCEMAP_WRITE)).as("the forgery holds every privilege").isTrue();
    IntakeAuthFilter auth = IntakeAuthFilter.builder(Authenticator.builder().secretToken(TOKEN).build()).build();
    Filter forging = (req, resp, chain) -> {
      req.setAttribute(IntakeAuthFilter.ATTRIBUTE, everything);
      auth.doFilter(req, resp, chain);
    };
    try (TestServer s = new TestServer(forging, new EchoServlet(), 8)) {
      HttpResponse<String> none = send(s, "POST", "/assets/v1/sourcemaps");
      assertThat(none.statusCode()).isEqualTo(401);
      assertThat(error(none)).isEqualTo(MISSING);
      HttpResponse<String> token = send(s, "POST", "/assets/v1/sourcemaps", "Bearer " + TOKEN);
      assertThat(token.statusCode()).isEqualTo(202);
      assertThat(echo(token).path("principal").asText()).as("this filter's own decision").isEqualTo("secret-token");
    }
  }

  @Test
  void blockingModeWorksForServletsWithoutAsync() throws Exception {
    try (TestServer blocking = new TestServer(IntakeAuthFilter.builder(Authenticator.builder().apiKeys(Backends.cached(backend)).build()).async(false).build(),
        new EchoServlet(), 8)) {
      assertThat(send(blocking, "POST", "/intake/v2/events", "ApiKey " + WRITER.encoded()).statusCode()).isEqualTo(202);
      assertThat(send(blocking, "POST", "/intake/v2/events", "ApiKey " + CONFIG.encoded()).statusCode()).isEqualTo(403);
      HttpResponse<String> none = send(blocking, "POST", "/intake/v2/events");
      assertThat(none.headers().allValues("WWW-Authenticate")).containsExactly("ApiKey realm=\"intake\"");
    }
  }
}
