package dev.intakeauth.examples.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example server on real sockets, without Elasticsearch: the demo default and a YAML configuration. */
class IntakeServerTest {

  private static final Map<String, String> ANY_PORT = Map.of("APM_SERVER_HOST", "127.0.0.1:0");

  @TempDir Path dir;

  /** Starts the server as its command line would, and checks that it started. */
  static IntakeServer started(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    IntakeServer server = new IntakeServer(env, new PrintStream(out, true, StandardCharsets.UTF_8));
    int code = IntakeServer.commandLine(server).execute(args);
    assertThat(code).as("started: %s", out).isZero();
    return server;
  }

  /**
   * Starts the server on any free port with these settings (dotted form, after
   * {@code apm-server.host}), its clock set first, and checks that it started.
   *
   * @param dir where the configuration file is written
   * @param clock the server's time source
   * @param settings the settings, one a line
   */
  static IntakeServer startedOnClock(Path dir, dev.intakeauth.TimeSource clock, String settings) throws IOException {
    Path config = dir.resolve("apm-server.yml");
    Files.writeString(config, "apm-server.host: 127.0.0.1:0\n" + settings);
    IntakeServer server = new IntakeServer(Map.of(), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    server.time = clock;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    picocli.CommandLine cl = IntakeServer.commandLine(server);
    cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    assertThat(cl.execute("--config", config.toString())).as("started: %s", err).isZero();
    return server;
  }

  /**
   * Starts the server on any free port with these settings and expects the start to fail.
   *
   * @param dir where the configuration file is written
   * @param settings the settings, one a line, after {@code apm-server.host}
   * @return what it printed to standard error
   */
  static String failsToStart(Path dir, String settings) throws IOException {
    Path config = dir.resolve("apm-server.yml");
    Files.writeString(config, "apm-server.host: 127.0.0.1:0\n" + settings);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (IntakeServer server = new IntakeServer(Map.of(), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))) {
      picocli.CommandLine cl = IntakeServer.commandLine(server);
      cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
      assertThat(cl.execute("--config", config.toString())).isEqualTo(1);
    }
    return err.toString(StandardCharsets.UTF_8);
  }

  /**
   * A server on plain HTTP with a secret token and anonymous access whose rate limit is out of the
   * way, so that an attacker needs no credential and the limit decides nothing.
   *
   * @param dir where the configuration file is written
   * @param extra more settings, one a line, in dotted form
   */
  static IntakeServer startedAnonymous(Path dir, String extra) throws IOException {
    return startedAnonymous(dir, 100_000, extra);
  }

  /**
   * The anonymous plain-HTTP server of {@link #startedAnonymous(Path, String)}, with this
   * per-client rate limit.
   *
   * @param eventLimit {@code apm-server.auth.anonymous.rate_limit.event_limit}
   */
  static IntakeServer startedAnonymous(Path dir, int eventLimit, String extra) throws IOException {
    Path config = dir.resolve("apm-server.yml");
    Files.writeString(config, """
        apm-server.host: 127.0.0.1:0
        apm-server.auth.secret_token: s3cret
        apm-server.auth.anonymous.enabled: true
        apm-server.auth.anonymous.rate_limit.event_limit: %d
        """.formatted(eventLimit) + extra);
    return started(Map.of(), "--config", config.toString());
  }

  @Test
  void theDemoStartsSecuredAndItsCurlLineGets202() throws Exception {
    try (IntakeServer server = started(ANY_PORT)) {
      String line = server.tryIt();
      assertThat(line).startsWith("curl ").contains("--cacert ").contains("Authorization: ApiKey ").endsWith("/intake/v2/events");
      assertThat(server.baseUrl()).startsWith("https://127.0.0.1:");

      // the printed line, as a user pastes it
      if (Files.isExecutable(Path.of("/usr/bin/curl")) || Files.isExecutable(Path.of("/bin/curl"))) {
        Process curl = new ProcessBuilder("bash", "-c", line).redirectErrorStream(true).start();
        String printed = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(printed).as(printed).startsWith("HTTP/1.1 202");
      }
      // the same request from Java, and the same without the key
      Matcher m = Pattern.compile("--cacert (\\S+) -H 'Authorization: (ApiKey \\S+)'.*--data-binary @(\\S+) (\\S+)/intake/v2/events").matcher(line);
      assertThat(m.find()).isTrue();
      Client client = new Client(m.group(4), Path.of(m.group(1)));
      String body = Files.readString(Path.of(m.group(3)));
      assertThat(client.post("/intake/v2/events", body, m.group(2)).statusCode()).isEqualTo(202);
      HttpResponse<String> none = client.post("/intake/v2/events", body, null);
      assertThat(none.statusCode()).isEqualTo(401);
      assertThat(none.headers().allValues("WWW-Authenticate")).containsExactly("ApiKey realm=\"apm-server\"");
      assertThat(server.acceptedEvents()).isGreaterThanOrEqualTo(1);
    }
  }

  @Test
  void aConfiguredServerAuthorizesLikeApmServer() throws Exception {
    Path[] pair = Pem.selfSigned(dir);
    Path config = dir.resolve("apm-server.yml");
    Files.writeString(config, """
        apm-server:
          host: 127.0.0.1:0
          auth:
            secret_token: ${TOKEN}
            anonymous:
              enabled: true
              allow_service: [shop]
              rate_limit.event_limit: 5
          ssl:
            certificate: cert.pem
            key: key.pem
        """);
    try (IntakeServer server = started(Map.of("TOKEN", "s3cret"), "--config", config.toString())) {
      Client c = new Client(server.baseUrl(), pair[0]);
      String token = "Bearer s3cret";
      HttpResponse<String> verbose = c.post("/intake/v2/events?verbose", Client.events("any-service", "python", 3), token);
      assertThat(verbose.statusCode()).isEqualTo(202);
      assertThat(verbose.body()).isEqualTo("{\"accepted\":3}");
      assertThat(c.postGzip("/intake/v2/events", Client.events("s", "go", 2), token).statusCode()).isEqualTo(202);
      assertThat(c.post("/intake/v2/events", Client.events("s", "go", 1), "Bearer wrong").statusCode()).isEqualTo(401);
      assertThat(c.post("/intake/v2/events", Client.events("shop", "rum-js", 1), null).statusCode()).isEqualTo(401);

      HttpResponse<String> bad = c.post("/intake/v2/events", Client.events("s", "go", 1) + "{not json\n", token);
      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(bad.body()).isEqualTo("{\"accepted\":0,\"errors\":[{\"message\":\"data read error: invalid JSON\"}]}");
      assertThat(c.post("/intake/v2/events", "{\"transaction\":{}}\n", token).statusCode()).isEqualTo(400);
      assertThat(c.post("/intake/v2/events", Client.events("s", "go", 0) + "{\"transaction\":{\"name\":\"" + "x".repeat(400_000) + "\"}}\n", token).body())
          .contains("event exceeded the permitted size");

      // anonymous RUM: allow-lists per metadata and per event
      assertThat(c.post("/intake/v2/rum/events", Client.events("shop", "rum-js", 1), null).statusCode()).isEqualTo(202);
      HttpResponse<String> agent = c.post("/intake/v2/rum/events", Client.events("shop", "python", 1), null);
      assertThat(agent.statusCode()).isEqualTo(403);
      assertThat(agent.body()).isEqualTo("{\"error\":\"unauthorized: anonymous access not permitted for agent \\\"python\\\"\"}");
      String otherService = String.format(Client.METADATA, "shop", "rum-js")
          + "{\"transaction\":{\"name\":\"x\",\"context\":{\"service\":{\"name\":\"admin\"}}}}\n";
      HttpResponse<String> service = c.post("/intake/v2/rum/events", otherService, null);
      assertThat(service.statusCode()).isEqualTo(403);
      assertThat(service.body()).contains("for service \\\"admin\\\"");
      String v3 = "{\"m\":{\"se\":{\"n\":\"shop\",\"a\":{\"n\":\"rum-js\",\"ve\":\"5.0\"}}}}\n{\"x\":{\"n\":\"GET /\"}}\n";
      HttpResponse<String> rumV3 = c.post("/intake/v3/rum/events", v3, null);
      assertThat(rumV3.statusCode()).isIn(202, 429);
      HttpResponse<String> sourcemap = c.post("/assets/v1/sourcemaps", "x", null);
      assertThat(sourcemap.statusCode()).isEqualTo(403);
      assertThat(sourcemap.body()).contains("anonymous access not permitted for sourcemap uploads");

      // 5 events a second, burst 15: each request takes one for itself and one per event
      int status = 0;
      for (int i = 0; i < 10 && status != 429; i++) {
        status = c.post("/intake/v2/rum/events", Client.events("shop", "rum-js", 2), null).statusCode();
      }
      assertThat(status).isEqualTo(429);
      HttpResponse<String> limited = c.post("/intake/v2/rum/events", Client.events("shop", "rum-js", 1), null);
      assertThat(limited.statusCode()).isEqualTo(429);
      assertThat(limited.headers().firstValue("Retry-After")).isPresent();
      assertThat(c.post("/intake/v2/events", Client.events("s", "go", 1), token).statusCode()).as("credentials are not rate limited").isEqualTo(202);

      // agent configuration and the root
      assertThat(c.get("/config/v1/agents?service.name=shop", token).body()).isEqualTo("{}");
      assertThat(c.get("/config/v1/agents", token).statusCode()).isEqualTo(400);
      assertThat(c.get("/", null).body()).isEmpty();
      assertThat(c.get("/", token).body()).contains("\"publish_ready\":true");
    }
  }

  @Test
  void plainHttpRefusesCredentialsAndABadConfigurationFailsAtStartNamingTheSetting() throws Exception {
    Path config = dir.resolve("plain.yml");
    Files.writeString(config, "apm-server.host: 127.0.0.1:0\napm-server.auth.secret_token: s3cret\n");
    try (IntakeServer server = started(Map.of(), "--config", config.toString())) {
      Client c = new Client(server.baseUrl(), null);
      HttpResponse<String> r = c.post("/intake/v2/events", Client.events("s", "go", 1), "Bearer s3cret");
      assertThat(r.statusCode()).isEqualTo(403);
      assertThat(r.body()).contains("only accepted over TLS");
    }

    Path bad = dir.resolve("bad.yml");
    Files.writeString(bad, "apm-server:\n  auth:\n    api_key:\n      limt: 5\n");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    IntakeServer server = new IntakeServer(Map.of(), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    picocli.CommandLine cl = IntakeServer.commandLine(server);
    cl.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
    assertThat(cl.execute("--config", bad.toString())).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(
        "Error: unknown setting \"apm-server.auth.api_key.limt\" (did you mean \"apm-server.auth.api_key.limit\"?)\n");

    Files.writeString(bad, "apm-server.host: 127.0.0.1:0\napm-server.ssl.certificate: missing.pem\napm-server.ssl.key: missing.pem\n");
    err.reset();
    assertThat(cl.execute("--config", bad.toString())).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("Error: apm-server.ssl.certificate: cannot read PEM certificates from");
  }
}
