package dev.intakeauth.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.intakeauth.Authenticator;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.micrometer.IntakeAuthMetrics;
import dev.intakeauth.servlet.IntakeAuthFilter;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A real Spring Boot application on Tomcat on a random port, with Spring Security, method security
 * and Actuator, configured only through APM Server's property names. API keys point at a loopback
 * port where nothing listens, so that every lookup fails and the circuit breaker opens.
 */
@SpringBootTest(classes = IntakeTestApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "apm-server.auth.secret_token=s3cr3t-t0ken",
    "apm-server.auth.api_key.enabled=true",
    "apm-server.auth.api_key.elasticsearch.timeout=500ms",
    "apm-server.rum.enabled=true",
    "intake-auth.allow_plain_http_credentials=true",
    "management.endpoints.web.exposure.include=health,metrics",
    "management.endpoint.health.show-details=always",
    "spring.security.user.password=unused-in-these-tests"})
class IntakeAuthStarterTest {

  private static final String TOKEN = "s3cr3t-t0ken";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @Value("${local.server.port}")
  int port;

  @Autowired
  Authenticator authenticator;

  @Autowired
  IntakeAuthFilter filter;

  @Autowired
  CachingPrivilegeChecker checker;

  @Autowired
  IntakeAuthMetrics metrics;

  @DynamicPropertySource
  static void elasticsearchWhereNothingListens(DynamicPropertyRegistry registry) throws IOException {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    int port = closed;
    registry.add("apm-server.auth.api_key.elasticsearch.hosts", () -> "127.0.0.1:" + port);
  }

  private HttpResponse<String> send(String method, String path, String authorization) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .method(method, method.equals("GET") ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString("{}\n"));
    if (authorization != null) {
      r.header("Authorization", authorization);
    }
    if (!method.equals("GET")) {
      r.header("Content-Type", "application/x-ndjson");
    }
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theBeansComeFromApmServerPropertyNames() {
    assertThat(authenticator.secretTokenEnabled()).isTrue();
    assertThat(authenticator.apiKeysEnabled()).isTrue();
    assertThat(filter.toString()).doesNotContain(TOKEN);
  }

  @Test
  void noCredentialIs401WithAChallenge() throws Exception {
    HttpResponse<String> r = send("POST", "/intake/v2/events", null);
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).contains("apm-server"));
    assertThat(JSON.readTree(r.body()).path("error").asText()).isNotEmpty();
  }

  @Test
  void aWrongTokenIs401() throws Exception {
    HttpResponse<String> r = send("POST", "/intake/v2/events", "Bearer not-the-token");
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.body()).doesNotContain("not-the-token");
  }

  @Test
  void theSecretTokenIs202AndSpringSecuritySeesItsPrivilegesAsAuthorities() throws Exception {
    // A POST without a CSRF token: the intake routes are exempt from Spring Security's CSRF check.
    HttpResponse<String> r = send("POST", "/intake/v2/events", "Bearer " + TOKEN);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    JsonNode caller = JSON.readTree(r.body());
    assertThat(caller.path("name").asText()).isEqualTo("secret-token");
    assertThat(caller.path("type").asText()).isEqualTo("IntakeAuthentication");
    assertThat(caller.path("authenticated").asBoolean()).isTrue();
    assertThat(JSON.convertValue(caller.path("authorities"), String[].class))
        .containsExactly("config_agent:read", "event:write", "sourcemap:write");
  }

  @Test
  void anAnonymousBrowserIsAnonymousToSpringSecurityWithItsPrivileges() throws Exception {
    HttpResponse<String> r = send("POST", "/intake/v2/rum/events", null);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    JsonNode caller = JSON.readTree(r.body());
    assertThat(caller.path("name").asText()).isEqualTo("anonymous");
    assertThat(caller.path("type").asText()).isEqualTo("AnonymousAuthenticationToken");
    assertThat(caller.path("authenticated").asBoolean()).isFalse();
    assertThat(JSON.convertValue(caller.path("authorities"), String[].class))
        .containsExactly("ROLE_ANONYMOUS", "config_agent:read", "event:write");
  }

  @Test
  void aPrivilegeNotHeldIsRefusedByMethodSecurity() throws Exception {
    // The route lets anonymous callers in; the method wants sourcemap:write, which they never hold.
    HttpResponse<String> r = send("GET", "/config/v1/rum/agents", null);
    assertThat(r.statusCode()).isIn(401, 403);
    assertThat(r.body()).doesNotContain("authorities");
  }

  @Test
  void aPathSpelledToDodgeTheFilterMappingNeverReachesAnIntakeRouteWithoutACredential() throws Exception {
    // The filter is mapped to the exact APM routes; a spelling the container or Spring normalises to a
    // route must meet the filter, and one they do not normalise must not reach the route's handler.
    for (String path : List.of("/intake/v2/events/", "/intake/v2/events;a=b", "/intake//v2/events", "/intake/v2/./events",
        "/intake/v2/x/../events", "/INTAKE/v2/events", "/intake/v2/events%2f", "/intake/v2/events%20", "/intake/v2/events.json")) {
      HttpResponse<String> r = send("POST", path, null);
      assertThat(r.statusCode()).as(path).isGreaterThanOrEqualTo(400);
      assertThat(r.body()).as(path).doesNotContain("authorities");
    }
  }

  @Test
  void otherPathsAreLeftToTheApplication() throws Exception {
    assertThat(send("GET", "/actuator/health/liveness", null).statusCode()).isIn(200, 404);
    // Spring Security's own rule (authenticated, HTTP Basic), not intake-auth's challenge.
    HttpResponse<String> hello = send("GET", "/hello", "Bearer " + TOKEN);
    assertThat(hello.statusCode()).isEqualTo(401);
    assertThat(hello.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Basic"));
  }

  @Test
  void theHealthIsDownWhileTheBreakerIsOpenAndTheMetersAreInActuator() throws Exception {
    // Nothing listens where Elasticsearch should be: every lookup fails until the breaker opens.
    for (int i = 0; i < 12 && checker.health().breaker() != dev.intakeauth.BreakerState.OPEN; i++) {
      String key = Base64.getEncoder().encodeToString(("id" + i + ":secret" + i).getBytes(StandardCharsets.UTF_8));
      HttpResponse<String> r = send("POST", "/intake/v2/events", "ApiKey " + key);
      assertThat(r.statusCode()).isIn(401, 503);
    }
    assertThat(checker.health().breaker()).isEqualTo(dev.intakeauth.BreakerState.OPEN);

    HttpResponse<String> health = send("GET", "/actuator/health/intakeAuth", null);
    assertThat(health.statusCode()).as(health.body()).isEqualTo(503);
    JsonNode h = JSON.readTree(health.body());
    assertThat(h.path("status").asText()).isEqualTo("DOWN");
    assertThat(h.path("details").path("breaker").asText()).isEqualTo("open");
    assertThat(h.path("details").has("lastFailure")).isTrue();

    HttpResponse<String> meter = send("GET", "/actuator/metrics/intake.auth.backend.duration", null);
    assertThat(meter.statusCode()).as(meter.body()).isEqualTo(200);
    assertThat(meter.body()).contains("\"COUNT\"");
    HttpResponse<String> breaker = send("GET", "/actuator/metrics/intake.auth.breaker.state", null);
    assertThat(breaker.statusCode()).as(breaker.body()).isEqualTo(200);
  }
}
