package dev.intakeauth.examples.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The RUM CORS settings of the example server, over real sockets. */
class RumCorsTest {

  @TempDir Path dir;

  private static HttpResponse<String> send(HttpClient http, String base, String method, String path, String origin, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).method(method,
        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (origin != null) {
      b.header("Origin", origin);
    }
    if (body != null) {
      b.header("Content-Type", "application/x-ndjson");
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theConfiguredOriginsAndHeadersGovernTheRumRoutes() throws Exception {
    Path config = dir.resolve("rum.yml");
    Files.writeString(config, """
        apm-server:
          host: 127.0.0.1:0
          auth.secret_token: s3cret
          rum:
            enabled: true
            allow_origins: ['https://*.shop.example']
            allow_headers: [X-Tenant]
        """);
    try (IntakeServer server = IntakeServerTest.started(Map.of(), "--config", config.toString())) {
      HttpClient http = HttpClient.newHttpClient();
      String base = server.baseUrl();
      HttpResponse<String> preflight = send(http, base, "OPTIONS", "/intake/v2/rum/events", "https://www.shop.example", null);
      assertThat(preflight.statusCode()).isEqualTo(200);
      assertThat(preflight.headers().allValues("Access-Control-Allow-Origin")).containsExactly("https://www.shop.example");
      assertThat(preflight.headers().allValues("Access-Control-Allow-Headers")).containsExactly("Content-Type, Content-Encoding, Accept, X-Tenant");
      assertThat(send(http, base, "OPTIONS", "/config/v1/rum/agents", "https://www.shop.example", null).statusCode()).isEqualTo(200);

      HttpResponse<String> events = send(http, base, "POST", "/intake/v2/rum/events", "https://www.shop.example", Client.events("shop", "rum-js", 2));
      assertThat(events.statusCode()).isEqualTo(202);
      assertThat(events.headers().allValues("Access-Control-Allow-Origin")).containsExactly("https://www.shop.example");
      assertThat(server.acceptedEvents()).isEqualTo(2);

      HttpResponse<String> refused = send(http, base, "POST", "/intake/v2/rum/events", "https://evil.example", Client.events("shop", "rum-js", 2));
      assertThat(refused.statusCode()).isEqualTo(403);
      assertThat(refused.body()).isEqualTo("{\"error\":\"origin: 'https://evil.example' is not allowed\"}");
      assertThat(server.acceptedEvents()).isEqualTo(2);

      HttpResponse<String> config2 = send(http, base, "GET", "/config/v1/rum/agents?service.name=shop", "https://www.shop.example", null);
      assertThat(config2.statusCode()).isEqualTo(200);
      assertThat(config2.headers().allValues("Access-Control-Allow-Origin")).containsExactly("https://www.shop.example");
      HttpResponse<String> wrongMethod = send(http, base, "PUT", "/config/v1/rum/agents", "https://www.shop.example", "{}");
      assertThat(wrongMethod.statusCode()).isEqualTo(405);
      assertThat(wrongMethod.headers().allValues("Allow")).containsExactly("GET, POST, OPTIONS");
    }
  }

  @Test
  void aBadAllowedHeaderFailsAtStartNamingTheSetting() throws Exception {
    Path bad = dir.resolve("bad.yml");
    Files.writeString(bad, "apm-server.host: 127.0.0.1:0\napm-server.rum.allow_headers: ['X Tenant']\n");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    IntakeServer server = new IntakeServer(Map.of(), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    picocli.CommandLine cl = IntakeServer.commandLine(server);
    cl.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
    assertThat(cl.execute("--config", bad.toString())).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("Error: apm-server.rum.allow_headers: an allowed header must be a header name");
  }
}
