package dev.intakeauth.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.Privilege;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Key management against a local server that records each request and answers as Elasticsearch
 * does, errors included: failures are told apart by status and {@code error.type}, never by the
 * words of the reason.
 */
class ApiKeyManagerTest {

  private static final String ADMIN_API_KEY = "admin-id:admin-secret";
  private static final String ALL_GRANTED = "{\"cluster\":{\"manage_own_api_key\":true},\"application\":{\"apm\":{\"*\":"
      + "{\"event:write\":true,\"config_agent:read\":true,\"sourcemap:write\":true}}}}";
  private static final String CREATED = "{\"id\":\"new-id\",\"name\":\"java-001\",\"api_key\":\"new-secret\",\"expiration\":1700000000000}";

  private final Map<String, Answer> answers = new ConcurrentHashMap<>();
  private final List<Map<String, String>> requests = new CopyOnWriteArrayList<>();
  private HttpServer server;

  private record Answer(int status, String body) {}

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::answer);
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private void answer(HttpExchange exchange) throws IOException {
    Map<String, String> seen = new ConcurrentHashMap<>();
    seen.put("request", exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath());
    exchange.getRequestHeaders().forEach((k, v) -> seen.put("h:" + k.toLowerCase(), String.join(",", v)));
    try (InputStream in = exchange.getRequestBody()) {
      seen.put("body", new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
    requests.add(seen);
    Answer a = answers.getOrDefault(seen.get("request"), new Answer(500, "{\"error\":\"no answer configured\"}"));
    byte[] bytes = a.body().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(a.status(), bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      exchange.getResponseBody().write(bytes);
    }
    exchange.close();
  }

  private void on(String request, int status, String body) {
    answers.put(request, new Answer(status, body));
  }

  private static String error(int status, String type, String reason) {
    return "{\"error\":{\"root_cause\":[{\"type\":\"" + type + "\",\"reason\":\"" + reason + "\"}],\"type\":\"" + type + "\",\"reason\":\""
        + reason + "\"},\"status\":" + status + "}";
  }

  private ApiKeyManager asApiKey() {
    return ApiKeyManager.create(ElasticsearchConnection.builder().hosts("http://127.0.0.1:" + server.getAddress().getPort()).apiKey(ADMIN_API_KEY).build());
  }

  private ApiKeyManager asUser() {
    return ApiKeyManager.create(ElasticsearchConnection.builder().hosts("http://127.0.0.1:" + server.getAddress().getPort()).basicAuth("admin", "pw").build());
  }

  private static KeyManagementException failure(ThrowingCallable call) {
    Throwable[] thrown = new Throwable[1];
    assertThatThrownBy(() -> {
      try {
        call.call();
      } catch (Throwable t) {
        thrown[0] = t;
        throw t;
      }
    }).isInstanceOf(KeyManagementException.class);
    return (KeyManagementException) thrown[0];
  }

  @Test
  void anApiKeyAdministratorRefusedWithIllegalArgumentIsToldToUseAUserWhateverTheReasonSays() {
    on("POST /_security/api_key", 400, error(400, "illegal_argument_exception", "a reason worded some other way"));
    try (ApiKeyManager keys = asApiKey()) {
      KeyManagementException e = failure(() -> keys.createServerKey("apm_host001", List.of(), null));
      assertThat(e.kind()).isEqualTo(KeyManagementException.Kind.INVALID_ARGUMENT);
      assertThat(e.getMessage()).isEqualTo(
          "Elasticsearch does not let an API key create keys that carry privileges; create keys with a user's credentials");
    }
  }

  @Test
  void aReasonThatMentionsDerivedKeysUnderAnotherTypeIsElasticsearchsError() {
    on("POST /_security/api_key", 400,
        error(400, "action_request_validation_exception", "Validation Failed: 1: creating derived api keys requires an explicit role descriptor;"));
    try (ApiKeyManager keys = asApiKey()) {
      KeyManagementException e = failure(() -> keys.createServerKey("apm_host001", List.of(), null));
      assertThat(e.kind()).isEqualTo(KeyManagementException.Kind.ELASTICSEARCH_ERROR);
      assertThat(e.getMessage()).isEqualTo("Elasticsearch answered 400: Validation Failed: 1: creating derived api keys requires an explicit role descriptor;");
    }
  }

  @Test
  void aUserAdministratorRefusedWithIllegalArgumentSeesElasticsearchsReasonNotTheApiKeyAdvice() {
    on("POST /_security/api_key", 400, error(400, "illegal_argument_exception", "creating derived api keys requires an explicit role descriptor"));
    try (ApiKeyManager keys = asUser()) {
      KeyManagementException e = failure(() -> keys.createServerKey("apm_host001", List.of(), null));
      assertThat(e.kind()).isEqualTo(KeyManagementException.Kind.ELASTICSEARCH_ERROR);
      assertThat(e.getMessage()).isEqualTo("Elasticsearch answered 400: creating derived api keys requires an explicit role descriptor");
    }
  }

  @Test
  void noKeyFoundAnsweredAsResourceNotFoundIsNoKeys() {
    on("GET /_security/api_key", 404, error(404, "resource_not_found_exception", "no API key found"));
    try (ApiKeyManager keys = asUser()) {
      assertThat(keys.info(KeySelector.byName("java-001"), false)).isEmpty();
      assertThat(keys.agentKeys(true)).isEmpty();
    }
    assertThat(requests).extracting(r -> r.get("request")).containsOnly("GET /_security/api_key");
  }

  @Test
  void a404WithoutElasticsearchsErrorIsAnErrorNotAnEmptyList() {
    // Such as a proxy in front that does not know the path.
    on("GET /_security/api_key", 404, "<html><body>Not Found</body></html>");
    try (ApiKeyManager keys = asUser()) {
      KeyManagementException e = failure(() -> keys.agentKeys(false));
      assertThat(e.kind()).isEqualTo(KeyManagementException.Kind.ELASTICSEARCH_ERROR);
      assertThat(e.getMessage()).isEqualTo("Elasticsearch answered 404");
    }
  }

  @Test
  void aServerErrorWhoseReasonMentions404IsAnErrorNotAnEmptyList() {
    on("GET /_security/api_key", 500, error(500, "exception", "a shard answered 404 and gave up"));
    try (ApiKeyManager keys = asUser()) {
      KeyManagementException e = failure(() -> keys.info(KeySelector.byId("some-id"), false));
      assertThat(e.kind()).isEqualTo(KeyManagementException.Kind.ELASTICSEARCH_ERROR);
      assertThat(e.getMessage()).isEqualTo("Elasticsearch answered 500: a shard answered 404 and gave up");
    }
  }

  @Test
  void a401RefusesTheAdministratorOrTheCredentialBeingVerified() {
    on("GET /_security/api_key", 401, error(401, "security_exception", "unable to authenticate user [admin]"));
    on("POST /_security/user/_has_privileges", 401, error(401, "security_exception", "unable to authenticate with provided credentials"));
    ApiKeyCredential agent = ApiKeyCredential.of("agent-id", "agent-secret");
    try (ApiKeyManager keys = asUser()) {
      assertThat(failure(() -> keys.agentKeys(false)).kind()).isEqualTo(KeyManagementException.Kind.UNAUTHORIZED);
      KeyManagementException e = failure(() -> keys.verify(agent, List.of()));
      assertThat(e.kind()).isEqualTo(KeyManagementException.Kind.INVALID_CREDENTIALS);
      assertThat(e.getMessage()).doesNotContain("agent-secret").doesNotContain(agent.encoded());
    }
    assertThat(requests.get(1).get("h:authorization")).isEqualTo(agent.authorizationValue());
  }

  @Test
  void a403IsMissingPrivilegesWithElasticsearchsReason() {
    on("PUT /_security/role/apm_agent_key_role", 403,
        error(403, "security_exception", "action [cluster:admin/xpack/security/role/put] is unauthorized for user [bob]"));
    try (ApiKeyManager keys = asUser()) {
      KeyManagementException e = failure(() -> keys.createManagerRole("apm_agent_key_role", "default"));
      assertThat(e.kind()).isEqualTo(KeyManagementException.Kind.MISSING_PRIVILEGES);
      assertThat(e.getMessage()).isEqualTo("Elasticsearch answered 403: action [cluster:admin/xpack/security/role/put] is unauthorized for user [bob]");
    }
  }

  @Test
  void aReasonIsShownPrintableAndBounded() {
    on("DELETE /_security/api_key", 500, "{\"error\":\"first line\\nsecond line\\u001b[31m" + "x".repeat(400) + "\"}");
    try (ApiKeyManager keys = asUser()) {
      KeyManagementException e = failure(() -> keys.invalidate(KeySelector.byId("some-id")));
      assertThat(e.kind()).isEqualTo(KeyManagementException.Kind.ELASTICSEARCH_ERROR);
      assertThat(e.getMessage()).startsWith("Elasticsearch answered 500: first line\\u000asecond line\\u001b[31mxxx").endsWith("...")
          .doesNotContain("\n").doesNotContain("\u001b");
      assertThat(e.getMessage().length()).isLessThan(400);
    }
  }

  @Test
  void anAnswerThatIsNotJsonCannotBeRead() {
    on("DELETE /_security/api_key", 200, "<html>");
    try (ApiKeyManager keys = asUser()) {
      KeyManagementException e = failure(() -> keys.invalidate(KeySelector.byName("java-001")));
      assertThat(e.kind()).isEqualTo(KeyManagementException.Kind.ELASTICSEARCH_ERROR);
      assertThat(e.getMessage()).isEqualTo("Elasticsearch sent an answer that cannot be read");
    }
  }

  @Test
  void anUnreachableClusterIsNamedWithoutTheException() throws IOException {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    try (ApiKeyManager keys = ApiKeyManager.create(ElasticsearchConnection.builder().hosts("http://127.0.0.1:" + port).basicAuth("a", "b").build())) {
      KeyManagementException e = failure(() -> keys.agentKeys(false));
      assertThat(e.kind()).isEqualTo(KeyManagementException.Kind.UNREACHABLE);
      assertThat(e.getMessage()).isEqualTo("Elasticsearch is unreachable at http://127.0.0.1:" + port + ": connection refused");
    }
  }

  @Test
  void anAgentKeyIsCreatedAfterThePrivilegeCheckWithOneRoleAndTheApplicationsMetadata() {
    on("POST /_security/user/_has_privileges", 200, ALL_GRANTED);
    on("POST /_security/api_key", 200, CREATED);
    CreatedKey key;
    try (ApiKeyManager keys = asUser()) {
      key = keys.createAgentKey("java-001", List.of(Privilege.EVENT_WRITE, Privilege.EVENT_WRITE), "30d");
    }
    assertThat(requests).extracting(r -> r.get("request")).containsExactly("POST /_security/user/_has_privileges", "POST /_security/api_key");
    assertThat(requests.get(0).get("body")).isEqualTo(
        "{\"cluster\":[\"manage_own_api_key\"],\"application\":[{\"application\":\"apm\",\"privileges\":[\"event:write\"],\"resources\":[\"*\"]}]}");
    assertThat(requests.get(1).get("body")).isEqualTo("{\"name\":\"java-001\",\"expiration\":\"30d\",\"role_descriptors\":{\"apm\":"
        + "{\"applications\":[{\"application\":\"apm\",\"privileges\":[\"event:write\"],\"resources\":[\"*\"]}]}},\"metadata\":{\"application\":\"apm\"}}");
    assertThat(requests.get(1).get("h:authorization")).startsWith("Basic ");
    assertThat(key.id()).isEqualTo("new-id");
    assertThat(key.encoded()).isEqualTo(ApiKeyCredential.of("new-id", "new-secret").encoded());
    assertThat(key.expiration()).hasToString("2023-11-14T22:13:20Z");
    assertThat(key.toString()).doesNotContain("new-secret");
  }

  @Test
  void privilegesTheAdministratorLacksAreNamedAndNoKeyIsCreated() {
    on("POST /_security/user/_has_privileges", 200, "{\"cluster\":{\"manage_own_api_key\":false},\"application\":{\"apm\":{\"*\":"
        + "{\"event:write\":true,\"sourcemap:write\":false}}}}");
    try (ApiKeyManager keys = asUser()) {
      KeyManagementException e = failure(() -> keys.createAgentKey("java-001", List.of(Privilege.EVENT_WRITE, Privilege.SOURCEMAP_WRITE), null));
      assertThat(e.kind()).isEqualTo(KeyManagementException.Kind.MISSING_PRIVILEGES);
      assertThat(e.missing()).containsExactly("manage_own_api_key", "apm:sourcemap:write");
    }
    assertThat(requests).hasSize(1);
  }

  @Test
  void badArgumentsAreRefusedBeforeAnythingIsSent() {
    try (ApiKeyManager keys = asUser()) {
      assertThat(failure(() -> keys.createAgentKey(" ", List.of(), null)).getMessage()).isEqualTo("a name is required");
      assertThat(failure(() -> keys.createServerKey("n", List.of(), "30 days")).getMessage()).startsWith("bad expiration");
      KeyManagementException unknown = failure(() -> keys.verify(ApiKeyCredential.of("a", "b"), List.of(Privilege.of("other:thing"))));
      assertThat(unknown.kind()).isEqualTo(KeyManagementException.Kind.INVALID_ARGUMENT);
      assertThat(unknown.getMessage()).isEqualTo("unknown privilege; known: config_agent:read, event:write, sourcemap:write");
    }
    assertThat(requests).isEmpty();
  }
}
