package dev.intakeauth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code create-server-key --revocation-feed}: the role descriptors sent and what is printed. */
class ApiKeyCommandFeedRoleTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private StandInElasticsearch es;
  private final List<JsonNode> createBodies = new CopyOnWriteArrayList<>();

  /** A stand-in for Elasticsearch that keeps each key creation's body and answers with a key. */
  @BeforeEach
  void elasticsearch() {
    es = StandInElasticsearch.start(request -> {
      if (request.path().equals("/_security/api_key")) {
        createBodies.add(json(request.body()));
      }
      return StandInElasticsearch.Answer.ok(
          "{\"id\":\"feed-key-id\",\"name\":\"apm_feed\",\"api_key\":\"feed-secret\",\"encoded\":\"ZmVlZC1rZXktaWQ6ZmVlZC1zZWNyZXQ=\"}");
    });
  }

  @AfterEach
  void stop() {
    es.close();
  }

  private static JsonNode json(byte[] body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Cli.Run create(String... options) {
    return Cli.run(Cli.args(List.of("--url", es.url(), "-u", "admin", "-p", "pw"),
        Cli.args(List.of("create-server-key", "--name", "apm_feed"), options)));
  }

  @Test
  void byDefaultTheFeedRoleIsReadSecurityAloneAndNamedInTheOutput() {
    String out = create("--revocation-feed").succeeds();
    assertThat(createBodies).singleElement().satisfies(body ->
        assertThat(body.path("role_descriptors").toString()).isEqualTo("{\"apm_revocation_feed\":{\"cluster\":[\"read_security\"]}}"));
    assertThat(out).contains("Use it as the revocation feed's credential: it can read every user's API keys (cluster privilege read_security).");
  }

  @Test
  void onElasticsearch7ItIsManageApiKeyAndItCombinesWithTheOutputRoles() {
    create("--writer", "--revocation-feed=manage_api_key", "--json").succeeds();
    JsonNode roles = createBodies.get(0).path("role_descriptors");
    assertThat(roles.fieldNames()).toIterable().containsExactly("apm_writer", "apm_revocation_feed");
    assertThat(roles.path("apm_revocation_feed").toString()).isEqualTo("{\"cluster\":[\"manage_api_key\"]}");
  }

  @Test
  void withoutTheOptionNoFeedRoleAndAnyOtherPrivilegeIsAUsageError() {
    create().succeeds();
    assertThat(createBodies.get(0).path("role_descriptors").has("apm_revocation_feed")).isFalse();
    assertThat(create("--revocation-feed=manage_security").failsWithOneLine(2))
        .contains("--revocation-feed takes read_security (Elasticsearch 8.x) or manage_api_key (7.17)");
    assertThat(createBodies).hasSize(1);
  }
}
