package dev.intakeauth.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The revocation source against a stand-in for Elasticsearch: what it sends, how it reads answers and failures. */
class ElasticsearchRevocationSourceTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SECRET_PASSWORD = "server-secret-pw";

  private HttpServer server;
  private final List<String> uris = new CopyOnWriteArrayList<>();
  private final List<JsonNode> bodies = new CopyOnWriteArrayList<>();
  private final List<String> authorizations = new CopyOnWriteArrayList<>();

  /** Answers the query with {@code query}'s status and body, and _has_privileges with cluster privileges held. */
  private ElasticsearchRevocationSource source(int status, String answer, boolean seesEveryKey) throws IOException {
    return source(body -> new Object[] {status, answer}, seesEveryKey);
  }

  private ElasticsearchRevocationSource source(Function<JsonNode, Object[]> query, boolean seesEveryKey) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      byte[] request;
      try (InputStream in = exchange.getRequestBody()) {
        request = in.readAllBytes();
      }
      authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
      String path = exchange.getRequestURI().getPath();
      int status = 200;
      String answer;
      if (path.endsWith("_has_privileges")) {
        answer = "{\"cluster\":{\"read_security\":" + seesEveryKey + ",\"manage_api_key\":false}}";
      } else {
        uris.add(exchange.getRequestURI().toString());
        JsonNode body = JSON.readTree(request);
        bodies.add(body);
        Object[] r = query.apply(body);
        status = (int) r[0];
        answer = (String) r[1];
      }
      byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
      if (bytes.length > 0) {
        exchange.getResponseBody().write(bytes);
      }
      exchange.close();
    });
    server.start();
    return ElasticsearchRevocationSource.create(ElasticsearchConnection.builder()
        .hosts("http://127.0.0.1:" + server.getAddress().getPort()).maxAttempts(1).basicAuth("intake", SECRET_PASSWORD).build());
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  @Test
  void asksOnlyForTheRevokedAmongTheIdsAndReturnsTheirIds() throws Exception {
    try (ElasticsearchRevocationSource source = source(200, "{\"total\":2,\"api_keys\":[{\"id\":\"b\"},{\"id\":\"c\"}]}", true)) {
      assertThat(source.revoked(new LinkedHashSet<>(List.of("a", "b", "c"))).get()).containsExactlyInAnyOrder("b", "c");
    }
    assertThat(uris).singleElement().satisfies(u -> assertThat(u).startsWith("/_security/_query/api_key?filter_path="));
    assertThat(bodies.get(0).toString()).isEqualTo("{\"size\":3,\"query\":{\"bool\":{\"filter\":[{\"ids\":{\"values\":[\"a\",\"b\",\"c\"]}}],"
        + "\"should\":[{\"term\":{\"invalidated\":{\"value\":true}}},{\"range\":{\"expiration\":{\"lte\":\"now\"}}}],\"minimum_should_match\":1}}}");
    assertThat(authorizations).allSatisfy(a -> assertThat(a).startsWith("Basic "));
  }

  @Test
  void noMatchIsAnEmptySetAndIdsNotAskedAboutAreIgnored() throws Exception {
    try (ElasticsearchRevocationSource source = source(200, "{\"total\":0}", true)) {
      assertThat(source.revoked(Set.of("a")).get()).isEmpty();
    }
    try (ElasticsearchRevocationSource source = source(200, "{\"total\":1,\"api_keys\":[{\"id\":\"someone-else\"}]}", true)) {
      assertThat(source.revoked(Set.of("a")).get()).isEmpty();
    }
  }

  @Test
  void aCredentialThatSeesOnlyItsOwnKeysIsFound() throws Exception {
    try (ElasticsearchRevocationSource source = source(200, "{\"total\":0}", false)) {
      assertThat(source.seesEveryKey()).isNull();
      source.revoked(Set.of("a")).get();
      for (int i = 0; i < 100 && source.seesEveryKey() == null; i++) {
        Thread.sleep(20);
      }
      assertThat(source.seesEveryKey()).isFalse();
    }
  }

  @Test
  void failuresSayWhatToDoAndNeverCarryTheCredential() throws Exception {
    assertFailure(401, "{\"error\":{\"type\":\"security_exception\",\"reason\":\"x\"}}", "Elasticsearch refused the intake server's credential (401)");
    assertFailure(403, "{\"error\":{\"type\":\"security_exception\",\"reason\":\"x\"}}",
        "the intake server's credential may not query API keys (403): grant it the cluster privilege read_security (Elasticsearch 8.x) or manage_api_key (7.17)");
    assertFailure(404, "", "Elasticsearch answered 404 to the query API keys request: it needs Elasticsearch 7.15 or later");
    assertFailure(500, "{\"error\":{\"type\":\"search_phase_execution_exception\",\"reason\":\"" + SECRET_PASSWORD + "\"}}",
        "Elasticsearch answered 500 (search_phase_execution_exception)");
    assertFailure(200, "not json", "Elasticsearch sent an answer to /_security/_query/api_key that cannot be read");
    assertFailure(200, "{\"count\":1}", "Elasticsearch sent an answer to /_security/_query/api_key that cannot be read");
  }

  private void assertFailure(int status, String body, String message) throws Exception {
    try (ElasticsearchRevocationSource source = source(status, body, true)) {
      assertThatThrownBy(() -> source.revoked(Set.of("a")).join())
          .isInstanceOf(CompletionException.class)
          .hasRootCauseMessage(message)
          .satisfies(e -> assertThat(e.getCause().getMessage()).doesNotContain(SECRET_PASSWORD));
    } finally {
      stop();
    }
  }

  @Test
  void anAnswerLargerThanTheIdsAskedAboutCanHoldIsRefused() throws Exception {
    String huge = "{\"total\":1,\"api_keys\":[{\"id\":\"a\",\"pad\":\"" + "x".repeat(64 * 1024) + "\"}]}";
    try (ElasticsearchRevocationSource source = source(200, huge, true)) {
      assertThatThrownBy(() -> source.revoked(Set.of("a")).join()).isInstanceOf(CompletionException.class);
    }
  }

  @Test
  void unreachableIsAFailureNamingTheCauseAndNoCredentialsIsRefused() {
    try (ElasticsearchRevocationSource nowhere = ElasticsearchRevocationSource.create(
        ElasticsearchConnection.builder().hosts("http://127.0.0.1:1").maxAttempts(1).apiKey("id:secret").build())) {
      assertThatThrownBy(() -> nowhere.revoked(Set.of("a")).join()).hasRootCauseMessage("Elasticsearch unreachable (connection refused)");
    }
    assertThatThrownBy(() -> ElasticsearchRevocationSource.create(ElasticsearchConnection.builder().build()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
