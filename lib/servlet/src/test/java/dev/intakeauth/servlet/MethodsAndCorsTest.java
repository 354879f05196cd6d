package dev.intakeauth.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.Authenticator;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.Privilege;
import dev.intakeauth.access.CorsPolicy;
import dev.intakeauth.access.RouteTable;
import dev.intakeauth.anonymous.AnonymousRateLimiter;
import dev.intakeauth.testing.FakePrivilegeChecker;
import dev.intakeauth.testing.FaultInjectingChecker;
import dev.intakeauth.testing.ManualClock;
import dev.intakeauth.testing.TestCredentials;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Methods and browser origins in a real Jetty: every route of the APM table with every method and
 * every single-privilege caller, 405s before any lookup, and CORS as APM Server does it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MethodsAndCorsTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = TestCredentials.SECRET_TOKEN;
  private static final ApiKeyCredential WRITER = ApiKeyCredential.of("writer-id", "writer-secret");
  private static final ApiKeyCredential CONFIG = ApiKeyCredential.of("config-id", "config-secret");
  private static final ApiKeyCredential SOURCEMAP = ApiKeyCredential.of("sourcemap-id", "sourcemap-secret");
  private static final List<String> METHODS = List.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "X-ODD_1");
  private static final Set<String> RUM_PATHS = Set.of("/intake/v2/rum/events", "/intake/v3/rum/events", "/config/v1/rum/agents");
  /** OTLP over HTTP: anonymous when enabled, like the RUM routes, but no CORS. */
  private static final Set<String> OTLP_PATHS = Set.of("/v1/traces", "/v1/metrics", "/v1/logs");
  /** The APM table: path, methods, privilege (null for the root). */
  private static final Map<String, Set<String>> ROUTE_METHODS = Map.ofEntries(
      Map.entry("/v1/traces", Set.of("POST")),
      Map.entry("/v1/metrics", Set.of("POST")),
      Map.entry("/v1/logs", Set.of("POST")),
      Map.entry("/intake/v2/events", Set.of("POST")),
      Map.entry("/intake/v2/rum/events", Set.of("POST")),
      Map.entry("/intake/v3/rum/events", Set.of("POST")),
      Map.entry("/config/v1/agents", Set.of("GET", "POST")),
      Map.entry("/config/v1/rum/agents", Set.of("GET", "POST")),
      Map.entry("/assets/v1/sourcemaps", Set.of("POST")),
      Map.entry("/", Set.of("GET", "HEAD")));
  private static final Map<String, String> ALLOW = Map.of(
      "/v1/traces", "POST",
      "/v1/metrics", "POST",
      "/v1/logs", "POST",
      "/intake/v2/events", "POST",
      "/intake/v2/rum/events", "POST, OPTIONS",
      "/intake/v3/rum/events", "POST, OPTIONS",
      "/config/v1/agents", "GET, POST",
      "/config/v1/rum/agents", "GET, POST, OPTIONS",
      "/assets/v1/sourcemaps", "POST",
      "/", "GET, HEAD");

  private final FakePrivilegeChecker keys = new FakePrivilegeChecker()
      .grant(WRITER, Privilege.EVENT_WRITE)
      .grant(CONFIG, Privilege.AGENT_CONFIG_READ)
      .grant(SOURCEMAP, Privilege.SOURCEMAP_WRITE);
  private final FaultInjectingChecker backend = FaultInjectingChecker.wrap(keys);
  private final ManualClock clock = new ManualClock();

  private TestServer server;
  private TestServer globs;

  @BeforeAll
  void start() throws Exception {
    server = new TestServer(IntakeAuthFilter.builder(Authenticator.builder().secretToken(TOKEN).apiKeys(Backends.cached(backend)).build()).anonymous(true)
        .rateLimiter(AnonymousRateLimiter.builder().eventsPerSecond(1_000_000).timeSource(clock).build()).build(), new EchoServlet(), 16);
    CorsPolicy policy = CorsPolicy.of(List.of("https://*.good.example", "http://localhost:*"), List.of("X-Tenant"));
    globs = new TestServer(IntakeAuthFilter.builder(Authenticator.builder().secretToken(TOKEN).apiKeys(Backends.cached(backend)).build()).anonymous(true)
        .routes(RouteTable.apm(policy))
        .rateLimiter(AnonymousRateLimiter.builder().eventsPerSecond(1_000_000).timeSource(clock).build()).build(), new EchoServlet(), 16);
  }

  @AfterAll
  void stop() throws Exception {
    server.close();
    globs.close();
  }

  private static HttpResponse<String> send(TestServer s, String method, String path, Map<String, String> headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(s.https(path)).timeout(Duration.ofSeconds(10)).method(method,
        "POST".equals(method) || "PUT".equals(method) || "PATCH".equals(method)
            ? HttpRequest.BodyPublishers.ofString("{}\n") : HttpRequest.BodyPublishers.noBody());
    headers.forEach(b::header);
    return s.send(b.build());
  }

  private static String error(HttpResponse<String> r) throws Exception {
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.size()).as("only the error field: %s", r.body()).isEqualTo(1);
    return body.path("error").asText();
  }

  static Stream<Arguments> everyRouteMethodAndCaller() {
    List<Arguments> all = new ArrayList<>();
    for (String path : ROUTE_METHODS.keySet()) {
      for (String method : METHODS) {
        for (String caller : List.of("event:write", "config_agent:read", "sourcemap:write", "secret-token", "anonymous")) {
          all.add(Arguments.of(path, method, caller));
        }
      }
    }
    return all.stream();
  }

  private static Map<String, String> authorization(String caller) {
    return switch (caller) {
      case "event:write" -> Map.of("Authorization", WRITER.authorizationValue());
      case "config_agent:read" -> Map.of("Authorization", CONFIG.authorizationValue());
      case "sourcemap:write" -> Map.of("Authorization", SOURCEMAP.authorizationValue());
      case "secret-token" -> Map.of("Authorization", "Bearer " + TOKEN);
      default -> Map.of();
    };
  }

  private static String privilege(String path) {
    if (path.startsWith("/intake/") || OTLP_PATHS.contains(path)) {
      return "event:write";
    }
    return path.startsWith("/config/") ? "config_agent:read" : path.equals("/") ? null : "sourcemap:write";
  }

  @ParameterizedTest(name = "{1} {0} as {2}")
  @MethodSource("everyRouteMethodAndCaller")
  void aWrongMethodNeverSkipsTheRoutesPrivilege(String path, String method, String caller) throws Exception {
    int callsBefore = backend.calls();
    HttpResponse<String> r = send(server, method, path, authorization(caller));
    boolean listed = ROUTE_METHODS.get(path).contains(method);
    String needed = privilege(path);
    if (!listed && method.equals("OPTIONS") && RUM_PATHS.contains(path)) {
      assertThat(r.statusCode()).as("a preflight").isEqualTo(200);
      assertThat(backend.calls()).as("a preflight never reaches the backend").isEqualTo(callsBefore);
    } else if (!listed) {
      assertThat(r.statusCode()).isEqualTo(405);
      assertThat(r.headers().allValues("Allow")).containsExactly(ALLOW.get(path));
      assertThat(r.headers().allValues("X-Content-Type-Options")).containsExactly("nosniff");
      if (!method.equals("HEAD")) {
        assertThat(error(r)).isEqualTo("method not allowed");
      }
      assertThat(backend.calls()).as("decided before any lookup").isEqualTo(callsBefore);
    } else if (needed == null) {
      assertThat(r.statusCode()).isEqualTo(200);
    } else {
      boolean holds = caller.equals(needed) || caller.equals("secret-token") || (caller.equals("anonymous") && (RUM_PATHS.contains(path) || OTLP_PATHS.contains(path)));
      if (holds) {
        assertThat(r.statusCode()).isEqualTo(202);
      } else {
        assertThat(r.statusCode()).as("no 2xx without %s", needed).isIn(401, 403);
      }
    }
  }

  /** The attack: a key that may only read agent configuration pushing OTLP data to a path the table once left to "any credential". */
  @ParameterizedTest
  @ValueSource(strings = {"/v1/traces", "/v1/metrics", "/v1/logs"})
  void aConfigReadOnlyKeyCannotPushOtlpAndBrowsersGetNoPreflight(String path) throws Exception {
    HttpResponse<String> r = send(server, "POST", path, authorization("config_agent:read"));
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(error(r)).isEqualTo("unauthorized: API Key not permitted action \"event:write\"");
    assertThat(send(server, "POST", path, authorization("event:write")).statusCode()).isEqualTo(202);
    HttpResponse<String> preflight = send(server, "OPTIONS", path, Map.of("Origin", "https://page.example",
        "Access-Control-Request-Method", "POST"));
    assertThat(preflight.statusCode()).as("no CORS on OTLP, as APM Server").isEqualTo(405);
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
  }

  @Test
  void preflightIsAnsweredBeforeAuthenticationWithApmServersHeaders() throws Exception {
    for (String path : RUM_PATHS) {
      int callsBefore = backend.calls();
      HttpResponse<String> r = send(server, "OPTIONS", path, Map.of("Origin", "https://shop.example", "Access-Control-Request-Method", "POST",
          "Access-Control-Request-Headers", "content-type", "Authorization", ApiKeyCredential.of("never-looked-up", "x").authorizationValue()));
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().allValues("Access-Control-Allow-Origin")).containsExactly("https://shop.example");
      assertThat(r.headers().allValues("Access-Control-Max-Age")).containsExactly("3600");
      assertThat(r.headers().allValues("Vary")).containsExactly("Origin");
      assertThat(r.headers().allValues("Access-Control-Allow-Methods")).containsExactly("POST, OPTIONS");
      assertThat(r.headers().allValues("Access-Control-Allow-Headers")).containsExactly("Content-Type, Content-Encoding, Accept");
      assertThat(r.headers().allValues("Access-Control-Expose-Headers")).containsExactly("Etag");
      assertThat(r.headers().allValues("X-Content-Type-Options")).containsExactly("nosniff");
      assertThat(r.headers().allValues("Access-Control-Allow-Credentials")).isEmpty();
      assertThat(r.body()).isEmpty();
      assertThat(backend.calls()).isEqualTo(callsBefore);
    }
  }

  @Test
  void preflightsSpendNoRateLimitTokenNoKeyBudgetAndNeverReachTheBackend() throws Exception {
    FaultInjectingChecker counting = FaultInjectingChecker.wrap(keys);
    CachingPrivilegeChecker oneNewKeyAMinute = CachingPrivilegeChecker.builder(counting).newKeysPerMinute(1).timeSource(clock).build();
    ManualClock frozen = new ManualClock();
    try (TestServer s = new TestServer(IntakeAuthFilter.builder(Authenticator.builder().secretToken(TOKEN).apiKeys(oneNewKeyAMinute).build()).anonymous(true)
        .rateLimiter(AnonymousRateLimiter.builder().eventsPerSecond(1).timeSource(frozen).build()).build(), new EchoServlet(), 8)) {
      for (int i = 0; i < 40; i++) {
        HttpResponse<String> r = send(s, "OPTIONS", "/intake/v2/rum/events",
            Map.of("Origin", "https://shop.example", "Authorization", ApiKeyCredential.of("spray-" + i, "x").authorizationValue()));
        assertThat(r.statusCode()).isEqualTo(200);
      }
      assertThat(counting.calls()).as("no preflight reached the backend").isZero();
      // the new-key budget of one is intact: a real key still gets in
      assertThat(send(s, "POST", "/intake/v2/events", Map.of("Authorization", WRITER.authorizationValue())).statusCode()).isEqualTo(202);
      // the anonymous burst of three is intact, on a clock that never refills it
      for (int i = 0; i < 3; i++) {
        assertThat(send(s, "POST", "/intake/v2/rum/events", Map.of("Origin", "https://shop.example")).statusCode()).as("event %d", i).isEqualTo(202);
      }
      assertThat(send(s, "POST", "/intake/v2/rum/events", Map.of("Origin", "https://shop.example")).statusCode()).isEqualTo(429);
    }
  }

  @Test
  void requestsFromAnAllowedOriginGetItEchoedEvenOnDenials() throws Exception {
    HttpResponse<String> ok = send(globs, "POST", "/intake/v2/rum/events", Map.of("Origin", "https://shop.good.example"));
    assertThat(ok.statusCode()).isEqualTo(202);
    assertThat(ok.headers().allValues("Access-Control-Allow-Origin")).containsExactly("https://shop.good.example");
    assertThat(ok.headers().allValues("Vary")).contains("Origin");
    HttpResponse<String> config = send(globs, "GET", "/config/v1/rum/agents", Map.of("Origin", "http://localhost:4200"));
    assertThat(config.statusCode()).isEqualTo(202);
    assertThat(config.headers().allValues("Access-Control-Allow-Origin")).containsExactly("http://localhost:4200");
    assertThat(config.headers().allValues("Access-Control-Expose-Headers")).containsExactly("Etag");
    assertThat(config.headers().allValues("Access-Control-Allow-Credentials")).isEmpty();
    // a denial is readable by the page, so the agent can log why
    HttpResponse<String> denied = send(globs, "POST", "/intake/v2/rum/events", Map.of("Origin", "https://shop.good.example", "Authorization", "Bearer wrong"));
    assertThat(denied.statusCode()).isEqualTo(401);
    assertThat(denied.headers().allValues("Access-Control-Allow-Origin")).containsExactly("https://shop.good.example");
    // a preflight names the extra header
    HttpResponse<String> preflight = send(globs, "OPTIONS", "/intake/v3/rum/events", Map.of("Origin", "https://a.b.good.example"));
    assertThat(preflight.headers().allValues("Access-Control-Allow-Headers")).containsExactly("Content-Type, Content-Encoding, Accept, X-Tenant");
    assertThat(preflight.headers().allValues("Access-Control-Allow-Origin")).containsExactly("https://a.b.good.example");
  }

  @Test
  void requestsFromARefusedOriginAre403BeforeAnyLookup() throws Exception {
    int callsBefore = backend.calls();
    HttpResponse<String> r = send(globs, "POST", "/intake/v2/rum/events",
        Map.of("Origin", "https://evil.example", "Authorization", ApiKeyCredential.of("budget-eater", "x").authorizationValue()));
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(error(r)).isEqualTo("origin: 'https://evil.example' is not allowed");
    assertThat(r.headers().allValues("Access-Control-Allow-Origin")).isEmpty();
    assertThat(r.headers().allValues("X-Content-Type-Options")).containsExactly("nosniff");
    assertThat(backend.calls()).isEqualTo(callsBefore);
    // its preflight is answered, without the origin: the browser then stops
    HttpResponse<String> preflight = send(globs, "OPTIONS", "/intake/v2/rum/events", Map.of("Origin", "https://evil.example"));
    assertThat(preflight.statusCode()).isEqualTo(200);
    assertThat(preflight.headers().allValues("Access-Control-Allow-Origin")).isEmpty();
    assertThat(preflight.headers().allValues("Vary")).containsExactly("Origin");
  }

  @Test
  void originGlobIsAnchoredSoAQueryPathOrSuffixCannotSmuggleAnAllowedHost() throws Exception {
    for (String origin : List.of("https://evil.example?x=.good.example", "https://evil.example/.good.example",
        "https://shop.good.example.evil.example", "https://evil.example#.good.example", "https://user@shop.good.example",
        "http://shop.good.example", "https://shop.good.example:8443", "https://good.example", "https://evil.example/x?https://a.good.example")) {
      HttpResponse<String> r = send(globs, "POST", "/intake/v2/rum/events", Map.of("Origin", origin));
      assertThat(r.statusCode()).as(origin).isEqualTo(403);
      HttpResponse<String> preflight = send(globs, "OPTIONS", "/intake/v2/rum/events", Map.of("Origin", origin));
      assertThat(preflight.headers().allValues("Access-Control-Allow-Origin")).as(origin).isEmpty();
    }
  }

  @Test
  void nullOriginIsRefusedUnlessThePatternAllowsIt() throws Exception {
    assertThat(send(globs, "POST", "/intake/v2/rum/events", Map.of("Origin", "null")).statusCode()).isEqualTo(403);
    assertThat(send(globs, "OPTIONS", "/intake/v2/rum/events", Map.of("Origin", "null")).headers().allValues("Access-Control-Allow-Origin")).isEmpty();
    try (TestServer withNull = new TestServer(IntakeAuthFilter.builder(Authenticator.builder().secretToken(TOKEN).build()).anonymous(true)
        .routes(RouteTable.apm(CorsPolicy.of(List.of("null"), List.of()))).build(), new EchoServlet(), 8)) {
      HttpResponse<String> r = send(withNull, "POST", "/intake/v2/rum/events", Map.of("Origin", "null"));
      assertThat(r.statusCode()).isEqualTo(202);
      assertThat(r.headers().allValues("Access-Control-Allow-Origin")).containsExactly("null");
    }
  }

  @Test
  void twoOriginHeadersAreRefusedNotEchoed() throws Exception {
    HttpResponse<String> r = globs.send(HttpRequest.newBuilder(globs.https("/intake/v2/rum/events")).POST(HttpRequest.BodyPublishers.noBody())
        .header("Origin", "https://shop.good.example").header("Origin", "https://evil.example").build());
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.headers().allValues("Access-Control-Allow-Origin")).isEmpty();
  }

  @Test
  void requestsWithoutOriginAreNotCorsAndProceedAsBefore() throws Exception {
    HttpResponse<String> r = send(globs, "POST", "/intake/v2/rum/events", Map.of());
    assertThat(r.statusCode()).isEqualTo(202);
    assertThat(r.headers().allValues("Access-Control-Allow-Origin")).isEmpty();
    assertThat(r.headers().allValues("Vary")).contains("Origin");
    // routes without a CORS policy ignore Origin altogether
    HttpResponse<String> backendRoute = send(globs, "POST", "/intake/v2/events", Map.of("Origin", "https://evil.example", "Authorization", "Bearer " + TOKEN));
    assertThat(backendRoute.statusCode()).isEqualTo(202);
    assertThat(backendRoute.headers().allValues("Access-Control-Allow-Origin")).isEmpty();
  }

  @Test
  void anOriginFoldedOverTwoLinesCannotInjectAResponseHeader() throws Exception {
    // obs-fold: a line starting with white space continues the previous header
    String request = "POST /intake/v2/rum/events HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://a.good.example\r\n X-Injected: yes\r\n"
        + "Content-Length: 0\r\nConnection: close\r\n\r\n";
    String answer = raw(globs.http("/").getPort(), request);
    assertThat(answer).doesNotContainIgnoringCase("\nX-Injected");
    assertThat(answer).doesNotContain("Access-Control-Allow-Origin: https://a.good.example ");
    assertThat(answer).startsWith("HTTP/1.1 4");
  }

  @Test
  void anEarlierFiltersVaryAndChallengeSurviveSoCachesKeepEncodingsApart() throws Exception {
    // A compression filter in front names Accept-Encoding in Vary; replacing it with Origin would let a
    // shared cache hand a gzip body to a client that never asked for one.
    IntakeAuthFilter auth = IntakeAuthFilter.builder(Authenticator.builder().secretToken(TOKEN).build()).anonymous(true).build();
    Filter compressing = (req, resp, chain) -> {
      ((HttpServletResponse) resp).addHeader("Vary", "Accept-Encoding");
      ((HttpServletResponse) resp).addHeader("WWW-Authenticate", "Basic realm=\"proxy\"");
      auth.doFilter(req, resp, chain);
    };
    try (TestServer s = new TestServer(compressing, new EchoServlet(), 8)) {
      HttpResponse<String> ok = send(s, "POST", "/intake/v2/rum/events", Map.of("Origin", "https://shop.example"));
      assertThat(ok.statusCode()).isEqualTo(202);
      assertThat(listed(ok, "Vary")).containsExactlyInAnyOrder("Accept-Encoding", "Origin");
      HttpResponse<String> denied = send(s, "POST", "/intake/v2/rum/events", Map.of("Origin", "https://shop.example", "Authorization", "Bearer wrong"));
      assertThat(denied.statusCode()).isEqualTo(401);
      assertThat(listed(denied, "Vary")).containsExactlyInAnyOrder("Accept-Encoding", "Origin");
      assertThat(denied.headers().allValues("WWW-Authenticate")).containsExactlyInAnyOrder("Basic realm=\"proxy\"", "Bearer realm=\"intake\"");
      HttpResponse<String> withToken = send(s, "POST", "/intake/v2/rum/events", Map.of("Origin", "https://shop.example", "Authorization", "Bearer " + TOKEN,
          "Content-Type", "application/json"));
      assertThat(withToken.statusCode()).isEqualTo(202);
      assertThat(listed(withToken, "Vary")).containsExactlyInAnyOrder("Accept-Encoding", "Origin");
    }
  }

  /** Every element of a list-valued header, however the fields were split. */
  private static List<String> listed(HttpResponse<String> r, String name) {
    return r.headers().allValues(name).stream().flatMap(v -> Stream.of(v.split(","))).map(String::strip).toList();
  }

  private static String raw(int port, String request) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      return all.toString(StandardCharsets.ISO_8859_1);
    }
  }
}
