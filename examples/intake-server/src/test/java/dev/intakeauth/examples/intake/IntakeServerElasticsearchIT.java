package dev.intakeauth.examples.intake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.intakeauth.testelasticsearch.ElasticsearchNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example server end to end against a real, secured Elasticsearch 8.15 with keys of different privileges. */
class IntakeServerElasticsearchIT {

  @TempDir Path dir;

  @Test
  void apiKeysGetExactlyTheirPrivilegesThroughTheServer() throws Exception {
    try (ElasticsearchNode es = ElasticsearchNode.start("8.15.0")) {
      String writer = "ApiKey " + es.createApiKey("writer", ElasticsearchNode.apmRole("event:write"), null).encoded();
      String config = "ApiKey " + es.createApiKey("config", ElasticsearchNode.apmRole("config_agent:read"), null).encoded();
      String all = "ApiKey " + es.createApiKey("all", ElasticsearchNode.apmRole("event:write", "config_agent:read", "sourcemap:write"), null).encoded();
      ElasticsearchNode.ApiKey revoked = es.createApiKey("revoked", ElasticsearchNode.apmRole("event:write"), null);
      es.invalidateApiKey(revoked.id());
      ElasticsearchNode.ApiKey laterRevoked = es.createApiKey("later-revoked", ElasticsearchNode.apmRole("event:write"), null);
      // The server's own key for the revocation feed, with the least privilege it needs on 8.x.
      ElasticsearchNode.ApiKey feed = es.createApiKey("revocation-feed", "{\"feed\":{\"cluster\":[\"read_security\"]}}", null);

      Path[] pair = Pem.selfSigned(dir);
      Path yml = dir.resolve("apm-server.yml");
      Files.writeString(yml, """
          apm-server:
            host: 127.0.0.1:0
            auth:
              api_key:
                enabled: true
                limit: 50
                elasticsearch:
                  hosts: ["%s"]
                  api_key: %s
            ssl:
              certificate: cert.pem
              key: key.pem
          intake-auth:
            api_key:
              cache_lifetime: 10m
              limit_per_client: 50
            revocation:
              enabled: true
              period: 1s
          """.formatted(es.url(), feed.encoded()));
      try (IntakeServer server = IntakeServerTest.started(Map.of(), "--config", yml.toString())) {
        Client c = new Client(server.baseUrl(), pair[0]);
        String events = Client.events("checkout", "java", 2);

        assertThat(c.post("/intake/v2/events", events, writer).statusCode()).isEqualTo(202);
        HttpResponse<String> noConfig = c.get("/config/v1/agents?service.name=checkout", writer);
        assertThat(noConfig.statusCode()).isEqualTo(403);
        assertThat(noConfig.body()).isEqualTo("{\"error\":\"unauthorized: API Key not permitted action \\\"config_agent:read\\\"\"}");
        assertThat(c.post("/assets/v1/sourcemaps", "map", writer).statusCode()).isEqualTo(403);

        assertThat(c.get("/config/v1/agents?service.name=checkout", config).statusCode()).isEqualTo(200);
        HttpResponse<String> noEvents = c.post("/intake/v2/events", events, config);
        assertThat(noEvents.statusCode()).isEqualTo(403);
        assertThat(noEvents.body()).contains("not permitted action \\\"event:write\\\"");

        assertThat(c.post("/intake/v2/events", events, all).statusCode()).isEqualTo(202);
        assertThat(c.post("/assets/v1/sourcemaps", "map", all).statusCode()).isEqualTo(202);
        assertThat(c.get("/config/v1/agents?service.name=checkout", all).statusCode()).isEqualTo(200);

        HttpResponse<String> invalidated = c.post("/intake/v2/events", events, "ApiKey " + revoked.encoded());
        assertThat(invalidated.statusCode()).isEqualTo(401);
        assertThat(invalidated.body()).isEqualTo("{\"error\":\"authentication failed\"}");
        String wrongSecret = "ApiKey " + java.util.Base64.getEncoder().encodeToString((revoked.id() + ":not-the-secret").getBytes(StandardCharsets.UTF_8));
        assertThat(c.post("/intake/v2/events", events, wrongSecret).statusCode()).isEqualTo(401);
        assertThat(c.post("/intake/v2/events", events, null).statusCode()).isEqualTo(401);

        // Invalidated after it was cached for 10 minutes: the revocation feed evicts it within a few
        // seconds, on the server's own key; a cached key not invalidated stays.
        String later = "ApiKey " + laterRevoked.encoded();
        assertThat(c.post("/intake/v2/events", events, later).statusCode()).isEqualTo(202);
        es.invalidateApiKey(laterRevoked.id());
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(15);
        int status;
        do {
          Thread.sleep(100);
          status = c.post("/intake/v2/events", events, later).statusCode();
        } while (status == 202 && System.nanoTime() < deadline);
        assertThat(status).as("an invalidated key, cached for 10 minutes, is refused once the feed has seen it").isEqualTo(401);
        assertThat(c.post("/intake/v2/events", events, writer).statusCode()).isEqualTo(202);
        HttpResponse<String> health = MonitoringEndpointTest.get(server.monitoringUrl() + "/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).containsPattern("\"revocation\":\\{\"last_success\":\"[^\"]+\",\"consecutive_failures\":0,\"running\":true}");
        assertThat(MonitoringEndpointTest.get(server.monitoringUrl() + "/metrics").body())
            .containsPattern("(?m)^intake_auth_revocation_revoked_total 1\\.0$");
        long accepted = server.acceptedEvents();

        // a cached key answers while Elasticsearch is down; a new one gets a 503 with Retry-After
        es.stop();
        assertThat(c.post("/intake/v2/events", events, writer).statusCode()).isEqualTo(202);
        String unseen = "ApiKey " + java.util.Base64.getEncoder().encodeToString("unseen-id:secret".getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> down = c.post("/intake/v2/events", events, unseen);
        assertThat(down.statusCode()).isEqualTo(503);
        assertThat(down.body()).isEqualTo("{\"error\":\"service unavailable\"}");
        assertThat(down.headers().firstValue("Retry-After")).isPresent();
        assertThat(server.acceptedEvents()).isEqualTo(accepted + 2);
      }
    }
  }
}
