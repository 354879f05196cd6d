package dev.intakeauth.examples.intake;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.intakeauth.BackendHealth;
import dev.intakeauth.BreakerState;
import dev.intakeauth.GeneratedKey;
import dev.intakeauth.Privilege;
import dev.intakeauth.testing.ManualClock;
import dev.intakeauth.testing.TestCredentials;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The monitoring endpoint on real sockets: Prometheus metrics and health on their own address, never
 * on the intake port, off with {@code http.enabled: false}, and bad settings stopping the start.
 */
class MonitoringEndpointTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String EVENTS = Client.events("checkout", "java", 1);

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();
  private final ManualClock clock = new ManualClock();

  /** Plain HTTP with credentials allowed, on any free ports, with these settings added (dotted form). */
  private IntakeServer start(String settings) throws Exception {
    return IntakeServerTest.startedOnClock(dir, clock, "intake-auth.allow_plain_http_credentials: true\n" + settings);
  }

  /** Starts with these settings and expects the start to fail; returns what it printed. */
  private String failsToStart(String settings) throws Exception {
    return IntakeServerTest.failsToStart(dir, settings);
  }

  private String keysFile(String... names) throws Exception {
    StringBuilder lines = new StringBuilder();
    StringBuilder credentials = new StringBuilder();
    for (String name : names) {
      GeneratedKey key = GeneratedKey.generate(name, List.of(Privilege.EVENT_WRITE), null);
      lines.append(key.keyFileLine()).append('\n');
      credentials.append(key.credential().encoded()).append('\n');
    }
    Files.writeString(dir.resolve("keys.txt"), lines.toString());
    return credentials.toString().strip();
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> send(String method, String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).method(method, HttpRequest.BodyPublishers.ofString("x")).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static boolean accepts(String host, int port) throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 2_000);
      return true;
    } catch (ConnectException e) {
      return false;
    }
  }

  @Test
  void metricsAndHealthAreServedOnTheirOwnAddressAfterRequests() throws Exception {
    String credential = keysFile("agent");
    try (IntakeServer server = start("""
        apm-server.auth.api_key.enabled: true
        intake-auth.keys_file: keys.txt
        http.host: 127.0.0.1
        """)) {
      Client agent = new Client(server.baseUrl(), null);
      assertThat(agent.post("/intake/v2/events", EVENTS, "ApiKey " + credential).statusCode()).isEqualTo(202);
      assertThat(agent.post("/intake/v2/events", EVENTS, "ApiKey " + credential).statusCode()).isEqualTo(202);
      assertThat(agent.post("/intake/v2/events", EVENTS, TestCredentials.randomApiKey().authorizationValue()).statusCode()).isEqualTo(401);

      String monitoring = server.monitoringUrl();
      assertThat(monitoring).startsWith("http://127.0.0.1:").isNotEqualTo(server.baseUrl());
      HttpResponse<String> metrics = get(monitoring + "/metrics");
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
      assertThat(metrics.body())
          .contains("# HELP intake_auth_requests_total ")
          .containsPattern("(?m)^intake_auth_requests_total\\{method=\"api_key\",outcome=\"authenticated\",status=\"200\"} ")
          .containsPattern("(?m)^intake_auth_backend_duration_seconds_count\\{result=\"granted\"} ")
          .containsPattern("(?m)^cache_gets_total\\{cache=\"intake.auth.api_keys\",result=\"hit\"} ")
          // The cache holds the agent's answer and the unknown key's.
          .containsPattern("(?m)^cache_size\\{cache=\"intake.auth.api_keys\"} 2\\.0$")
          .containsPattern("(?m)^intake_auth_breaker_state 0\\.0$")
          .containsPattern("(?m)^intake_auth_backend_last_success_age_seconds ")
          .contains("jvm_memory_used_bytes{")
          .doesNotContain(credential);

      HttpResponse<String> health = get(monitoring + "/health");
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.headers().firstValue("Content-Type")).hasValue("application/json");
      JsonNode body = JSON.readTree(health.body());
      assertThat(body.get("status").asText()).isEqualTo("ok");
      assertThat(body.get("api_keys").get("breaker").asText()).isEqualTo("closed");
      assertThat(body.get("api_keys").get("cached_answers").asLong()).isEqualTo(2);
      assertThat(body.get("api_keys").has("last_success")).isTrue();
      assertThat(body.get("api_keys").has("last_failure")).isTrue();

      assertThat(get(monitoring + "/").statusCode()).isEqualTo(404);
      assertThat(get(monitoring + "/metrics/").statusCode()).isEqualTo(404);
      assertThat(get(monitoring + "/intake/v2/events").statusCode()).isEqualTo(404);
      for (String method : List.of("POST", "PUT", "DELETE")) {
        HttpResponse<String> refused = send(method, monitoring + "/health");
        assertThat(refused.statusCode()).as(method).isEqualTo(405);
        assertThat(refused.headers().firstValue("Allow")).hasValue("GET");
        assertThat(refused.body()).isEqualTo("{\"error\":\"method not allowed\"}");
      }

      // Bound to 127.0.0.1 only: another loopback address is refused.
      int port = URI.create(monitoring).getPort();
      assertThat(accepts("127.0.0.1", port)).isTrue();
      assertThat(accepts("127.0.0.2", port)).isFalse();
    }
  }

  @Test
  void theIntakePortNeverServesTheMonitoringPaths() throws Exception {
    String credential = keysFile("agent");
    try (IntakeServer server = start("""
        apm-server.auth.secret_token: s3cret
        apm-server.auth.api_key.enabled: true
        intake-auth.keys_file: keys.txt
        """)) {
      for (String path : List.of("/metrics", "/health")) {
        for (String authorization : new String[] {null, "ApiKey " + credential, "Bearer s3cret"}) {
          HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).GET();
          if (authorization != null) {
            r.header("Authorization", authorization);
          }
          HttpResponse<String> answer = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
          assertThat(answer.statusCode()).as(path + " with " + (authorization == null ? "no credential" : "a credential")).isIn(401, 404);
          assertThat(answer.body()).doesNotContain("intake_auth").doesNotContain("api_keys").doesNotContain("breaker");
        }
      }
      assertThat(get(server.monitoringUrl() + "/metrics").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void healthIs503WhileTheBreakerIsOpenAndCachedKeysAreStillCounted() throws Exception {
    int closed = freePort();
    try (IntakeServer server = start("""
        apm-server.auth.api_key.enabled: true
        apm-server.auth.api_key.elasticsearch.hosts: ["http://127.0.0.1:%d"]
        apm-server.auth.api_key.elasticsearch.timeout: 2s
        """.formatted(closed))) {
      Client agent = new Client(server.baseUrl(), null);
      HttpResponse<String> before = get(server.monitoringUrl() + "/health");
      assertThat(before.statusCode()).isEqualTo(200);
      assertThat(JSON.readTree(before.body()).get("api_keys").get("breaker").asText()).isEqualTo("closed");

      // Elasticsearch is not there: five new keys fail and the breaker opens (the clock stands still, so it stays open).
      for (int i = 0; i < 5; i++) {
        assertThat(agent.post("/intake/v2/events", EVENTS, TestCredentials.randomApiKey().authorizationValue()).statusCode()).isEqualTo(503);
      }
      HttpResponse<String> health = get(server.monitoringUrl() + "/health");
      assertThat(health.statusCode()).isEqualTo(503);
      JsonNode body = JSON.readTree(health.body());
      assertThat(body.get("status").asText()).isEqualTo("unavailable");
      assertThat(body.get("api_keys").get("breaker").asText()).isEqualTo("open");
      assertThat(body.get("api_keys").get("cached_answers").asLong()).isZero();
      assertThat(get(server.monitoringUrl() + "/metrics").body()).containsPattern("(?m)^intake_auth_breaker_state 2\\.0$");
    }
  }

  @Test
  void aServerWithoutApiKeysIsAlwaysHealthy() throws Exception {
    try (IntakeServer server = start("apm-server.auth.secret_token: s3cret\n")) {
      HttpResponse<String> health = get(server.monitoringUrl() + "/health");
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.body()).isEqualTo("{\"status\":\"ok\",\"api_keys\":null,\"reloads\":[]}");
      assertThat(get(server.monitoringUrl() + "/metrics").body()).contains("intake_auth_requests_total{").doesNotContain("cache_size{");
    }
  }

  @Test
  void offMeansNoListener() throws Exception {
    int port = freePort();
    try (IntakeServer server = start("apm-server.auth.secret_token: s3cret\nhttp.enabled: false\nhttp.host: 127.0.0.1\nhttp.port: " + port + "\n")) {
      assertThat(server.monitoringUrl()).isEmpty();
      assertThat(accepts("127.0.0.1", port)).isFalse();
      assertThat(new Client(server.baseUrl(), null).post("/intake/v2/events", EVENTS, "Bearer s3cret").statusCode()).isEqualTo(202);
    }
  }

  @Test
  void badSettingsStopTheStartNamingTheSetting() throws Exception {
    for (String port : List.of("70000", "-1", "http", "5066.5")) {
      assertThat(failsToStart("http.port: \"" + port + "\"\n")).startsWith("Error: http.port: expected a port from 0 to 65535, got \"" + port + "\"");
    }
    assertThat(failsToStart("http.enabled: maybe\n")).startsWith("Error: http.enabled: expected true or false");
    assertThat(failsToStart("http.host: \"\"\n")).startsWith("Error: http.host: expected a host name or address");
    assertThat(failsToStart("http.prot: 5066\n")).startsWith("Error: unknown setting \"http.prot\" (did you mean \"http.port\"?)");
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", 0));
      String error = failsToStart("http.host: 127.0.0.1\nhttp.port: " + taken.getLocalPort() + "\n");
      assertThat(error).startsWith("Error: http.host, http.port: cannot listen on 127.0.0.1:" + taken.getLocalPort() + " (");
    }
  }

  @Test
  void theSettingsDefaultToLocalhost5066AndFollowAnyPort() {
    ServerConfig defaults = ServerConfig.parse("", null, Map.of());
    assertThat(defaults.monitoringEnabled()).isTrue();
    assertThat(defaults.monitoringHost()).isEqualTo("localhost");
    assertThat(defaults.monitoringPort()).isEqualTo(5066);
    assertThat(ServerConfig.parse("apm-server.host: 127.0.0.1:0\n", null, Map.of()).monitoringPort()).as("tests on any port").isZero();
    ServerConfig nested = ServerConfig.parse("http:\n  enabled: false\n  host: \"[::1]\"\n  port: 9090\n", null, Map.of());
    assertThat(nested.monitoringEnabled()).isFalse();
    assertThat(nested.monitoringHost()).isEqualTo("::1");
    assertThat(nested.monitoringPort()).isEqualTo(9090);
    assertThat(ServerConfig.parse("", null, Map.of("HTTP_PORT", "6066")).monitoringPort()).isEqualTo(6066);
  }

  @Test
  void healthMapsAnOpenBreakerTo503AndNothingElse() {
    Instant at = Instant.parse("2026-01-01T00:00:00Z");
    assertThat(MonitoringServer.status(null)).isEqualTo(200);
    assertThat(MonitoringServer.status(new BackendHealth(BreakerState.CLOSED, at, null, 3))).isEqualTo(200);
    assertThat(MonitoringServer.status(new BackendHealth(BreakerState.HALF_OPEN, at, at, 3))).isEqualTo(200);
    assertThat(MonitoringServer.status(new BackendHealth(BreakerState.OPEN, at, at, 3))).isEqualTo(503);
    assertThat(MonitoringServer.healthJson(new BackendHealth(BreakerState.HALF_OPEN, at, null, 3))).isEqualTo(
        "{\"status\":\"ok\",\"api_keys\":{\"breaker\":\"half_open\",\"last_success\":\"2026-01-01T00:00:00Z\",\"last_failure\":null,\"cached_answers\":3}}");
    assertThat(MonitoringServer.healthJson(new BackendHealth(BreakerState.OPEN, null, at, 0))).isEqualTo(
        "{\"status\":\"unavailable\",\"api_keys\":{\"breaker\":\"open\",\"last_success\":null,\"last_failure\":\"2026-01-01T00:00:00Z\",\"cached_answers\":0}}");
  }

  @Test
  void theMonitoringEndpointIsPrintedAtStartAndClosedWithTheServer() throws Exception {
    Path config = dir.resolve("apm-server.yml");
    Files.writeString(config, "apm-server.host: 127.0.0.1:0\napm-server.auth.secret_token: s3cret\nhttp.host: 127.0.0.1\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int port;
    try (IntakeServer server = new IntakeServer(Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8))) {
      assertThat(IntakeServer.commandLine(server).execute("--config", config.toString())).isZero();
      assertThat(out.toString(StandardCharsets.UTF_8)).contains("Monitoring on " + server.monitoringUrl() + " (/metrics, /health)");
      port = URI.create(server.monitoringUrl()).getPort();
      assertThat(accepts("127.0.0.1", port)).isTrue();
    }
    assertThat(accepts("127.0.0.1", port)).as("closed with the server").isFalse();
  }
}
