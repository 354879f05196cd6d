package dev.intakeauth.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.intakeauth.testelasticsearch.ElasticsearchNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The application of {@link IntakeAuthStarterTest} against a real Elasticsearch 8.15 node: API keys
 * are looked up asynchronously (the request comes back on an async dispatch, through Spring
 * Security), and their privileges become authorities.
 */
@SpringBootTest(classes = IntakeTestApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "apm-server.auth.api_key.enabled=true",
    "intake-auth.allow_plain_http_credentials=true",
    "management.endpoints.web.exposure.include=health,metrics",
    "management.endpoint.health.show-details=always",
    "spring.security.user.password=unused-in-these-tests"})
class IntakeAuthStarterIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static ElasticsearchNode elasticsearch;

  @Value("${local.server.port}")
  int port;

  @DynamicPropertySource
  static void elasticsearch(DynamicPropertyRegistry registry) {
    if (elasticsearch == null) {
      elasticsearch = ElasticsearchNode.start("8.15.0");
    }
    registry.add("apm-server.auth.api_key.elasticsearch.hosts", elasticsearch::url);
  }

  @AfterAll
  static void stop() {
    if (elasticsearch != null) {
      elasticsearch.close();
    }
  }

  private HttpResponse<String> send(String method, String path, String apiKey) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .method(method, method.equals("GET") ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString("{}\n"));
    if (apiKey != null) {
      r.header("Authorization", "ApiKey " + apiKey);
    }
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void anApiKeyWithThePrivilegeIs202AndOneWithoutIs403() throws Exception {
    ElasticsearchNode.ApiKey writer = elasticsearch.createApiKey("writer", ElasticsearchNode.apmRole("event:write"), null);
    ElasticsearchNode.ApiKey reader = elasticsearch.createApiKey("reader", ElasticsearchNode.apmRole("config_agent:read"), null);
    ElasticsearchNode.ApiKey both = elasticsearch.createApiKey("both", ElasticsearchNode.apmRole("config_agent:read", "event:write"), null);

    HttpResponse<String> accepted = send("POST", "/intake/v2/events", writer.encoded());
    assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
    JsonNode caller = JSON.readTree(accepted.body());
    assertThat(caller.path("name").asText()).isEqualTo(writer.id());
    assertThat(caller.path("authenticated").asBoolean()).isTrue();
    assertThat(JSON.convertValue(caller.path("authorities"), String[].class)).containsExactly("event:write");
    // Cached now: the same key again is answered without a lookup.
    assertThat(send("POST", "/intake/v2/events", writer.encoded()).statusCode()).isEqualTo(202);

    // The route wants event:write: intake-auth refuses the reader.
    HttpResponse<String> refused = send("POST", "/intake/v2/events", reader.encoded());
    assertThat(refused.statusCode()).isEqualTo(403);
    assertThat(refused.body()).doesNotContain(reader.apiKey());
    // The route lets the reader in; the application's own @PreAuthorize wants event:write.
    HttpResponse<String> notAuthorized = send("GET", "/config/v1/agents", reader.encoded());
    assertThat(notAuthorized.statusCode()).isEqualTo(403);
    assertThat(notAuthorized.body()).doesNotContain("authorities");
    HttpResponse<String> authorized = send("GET", "/config/v1/agents", both.encoded());
    assertThat(authorized.statusCode()).as(authorized.body()).isEqualTo(200);
    assertThat(JSON.convertValue(JSON.readTree(authorized.body()).path("authorities"), String[].class))
        .containsExactly("config_agent:read", "event:write");

    HttpResponse<String> health = send("GET", "/actuator/health/intakeAuth", null);
    assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
    JsonNode h = JSON.readTree(health.body());
    assertThat(h.path("status").asText()).isEqualTo("UP");
    assertThat(h.path("details").path("breaker").asText()).isEqualTo("closed");
    assertThat(h.path("details").has("lastSuccess")).isTrue();

    HttpResponse<String> gets = send("GET", "/actuator/metrics/cache.gets?tag=result:hit", null);
    assertThat(gets.statusCode()).as(gets.body()).isEqualTo(200);
    assertThat(JSON.readTree(gets.body()).path("measurements").get(0).path("value").asDouble()).isGreaterThanOrEqualTo(1.0);
  }
}
