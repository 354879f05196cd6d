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

/**
 * The example server's CORS defaults and refusals besides {@link RumCorsTest}: plain HTTP on
 * loopback, a secret token, RUM on (so browsers are anonymous).
 */
class CorsSettingsServerTest {

  private static final String TOKEN = "cors-test-token";
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir Path dir;

  private IntakeServer start(String rumSettings) throws Exception {
    Path config = dir.resolve("apm-server.yml");
    Files.writeString(config, """
        apm-server:
          host: 127.0.0.1:0
          auth:
            secret_token: ${TOKEN}
          rum:
            enabled: true
        %s
        """.formatted(rumSettings.indent(4)));
    return IntakeServerTest.started(Map.of("TOKEN", TOKEN), "--config", config.toString());
  }

  private static HttpResponse<String> send(IntakeServer server, String method, String path, String origin, String body) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (origin != null) {
      r.header("Origin", origin);
    }
    if (body != null) {
      r.header("Content-Type", "application/x-ndjson");
    }
    if ("OPTIONS".equals(method)) {
      r.header("Access-Control-Request-Method", "POST").header("Access-Control-Request-Headers", "content-encoding,content-type,x-shop-tenant");
    }
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void preflightFromAnOriginOutsideAllowOriginsLetsNoBrowserSend() throws Exception {
    try (IntakeServer server = start("allow_origins: [\"https://*.shop.example\"]")) {
      HttpResponse<String> preflight = send(server, "OPTIONS", "/intake/v2/rum/events", "https://evil.example", null);
      assertThat(preflight.statusCode()).isEqualTo(200);
      assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).as("the browser must not go ahead").isEmpty();
      HttpResponse<String> config = send(server, "GET", "/config/v1/rum/agents?service.name=shop", "https://evil.example", null);
      assertThat(config.statusCode()).isEqualTo(403);
      assertThat(config.body()).contains("origin: 'https://evil.example' is not allowed");
      assertThat(config.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    }
  }

  @Test
  void withoutAllowOriginsEveryOriginIsEchoedAsInApmServer() throws Exception {
    try (IntakeServer server = start("")) {
      HttpResponse<String> preflight = send(server, "OPTIONS", "/intake/v3/rum/events", "http://localhost:3000", null);
      assertThat(preflight.statusCode()).isEqualTo(200);
      assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).contains("http://localhost:3000");
      assertThat(preflight.headers().firstValue("Access-Control-Allow-Headers")).contains("Content-Type, Content-Encoding, Accept");
    }
  }

  @Test
  void aMalformedAllowOriginsStopsTheStartNamingTheSetting() throws Exception {
    Path config = dir.resolve("bad.yml");
    // (a bad allow_headers is in RumCorsTest)
    for (String[] bad : new String[][] {
        {"allow_origins: [\"https://a.example https://b.example\"]", "apm-server.rum.allow_origins"},
        {"allow_origins: [\"\"]", "apm-server.rum.allow_origins"}}) {
      Files.writeString(config, """
          apm-server:
            host: 127.0.0.1:0
            auth.secret_token: t
            rum:
              enabled: true
          %s
          """.formatted(bad[0].indent(4)));
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      IntakeServer server = new IntakeServer(Map.of(), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      var cl = IntakeServer.commandLine(server);
      cl.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
      assertThat(cl.execute("--config", config.toString())).isEqualTo(1);
      assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("Error: " + bad[1] + ": ").doesNotContain("Exception");
      server.close();
    }
  }
}
