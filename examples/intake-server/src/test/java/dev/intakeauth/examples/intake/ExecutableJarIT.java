package dev.intakeauth.examples.intake;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar, {@code target/intake-server.jar}, run as {@code java -jar} in its own process
 * with nothing else on the class path: its options, and a server that answers over Jetty and gRPC.
 */
class ExecutableJarIT {

  private static final String TOKEN = "jar-test-secret-token-7f3a";
  private static final String OTHER_TOKEN = "jar-test-rotated-token-91c2";
  private static final String ES_API_KEY = "ZXMtaWQ6amFyLXRlc3QtZXMtYXBpLWtleQ==";
  private static final String ES_PASSWORD = "jar-test-es-password-5d1e";

  private static Path jar;

  @TempDir Path dir;

  @BeforeAll
  static void findJar() {
    String path = System.getProperty("intakeserver.jar");
    assertThat(path).as("the failsafe configuration names the jar").isNotNull();
    jar = Path.of(path);
    assertThat(jar).as("built by the package phase").isRegularFile();
  }

  /** What a finished process printed, and its exit code. */
  record Run(int code, String out, String err) {}

  private static ProcessBuilder java(Map<String, String> env, String... args) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    // Only the jar: no class path inherited from the build.
    pb.environment().remove("CLASSPATH");
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    pb.environment().remove("JDK_JAVA_OPTIONS");
    pb.environment().putAll(env);
    return pb;
  }

  private static Run run(Map<String, String> env, String... args) throws Exception {
    Process p = java(env, args).start();
    p.getOutputStream().close();
    var err = new java.util.concurrent.CompletableFuture<String>();
    Thread drain = new Thread(() -> err.complete(readAll(p.getErrorStream())));
    drain.start();
    String out = readAll(p.getInputStream());
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("exited").isTrue();
    return new Run(p.exitValue(), out, err.get(10, TimeUnit.SECONDS));
  }

  /** A thread that hands each line of a process's output to {@code each} until the process closes it. */
  private static Thread follow(InputStream in, java.util.function.Consumer<String> each) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          each.accept(line);
        }
      } catch (IOException e) {
        // the process ended
      }
    });
    t.start();
    return t;
  }

  private static String readAll(InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  @Test
  void helpAndVersionNeedNothingElse() throws Exception {
    Run help = run(Map.of(), "--help");
    assertThat(help.code()).as(help.err()).isZero();
    assertThat(help.out()).startsWith("Usage: intake-server").contains("--config", "--print-config", "--version");

    Run version = run(Map.of(), "--version");
    assertThat(version.code()).as(version.err()).isZero();
    assertThat(version.out().strip()).isEqualTo("intake-server " + System.getProperty("intakeserver.version"));

    Run usage = run(Map.of(), "--no-such-option");
    assertThat(usage.code()).isEqualTo(2);
    assertThat(usage.err()).contains("Unknown option: '--no-such-option'");
  }

  @Test
  void printConfigMasksEverySecret() throws Exception {
    Path config = dir.resolve("apm-server.yml");
    Files.writeString(config, """
        apm-server:
          host: "127.0.0.1:0"
          auth:
            secret_token: "%s"
            api_key:
              enabled: true
              elasticsearch:
                hosts: ["https://localhost:9200"]
                username: "elastic"
                password: "%s"
                api_key: "%s"
        intake-auth:
          auth:
            secret_tokens: ["%s"]
        """.formatted(TOKEN, ES_PASSWORD, ES_API_KEY, OTHER_TOKEN));
    Run printed = run(Map.of("APM_SERVER_AUTH_API_KEY_LIMIT", "42"), "--print-config", "--config", config.toString());
    assertThat(printed.code()).as(printed.err()).isZero();
    assertThat(printed.out() + printed.err()).doesNotContain(TOKEN, OTHER_TOKEN, ES_API_KEY, ES_PASSWORD, "amFyLXRlc3Q");
    assertThat(printed.out()).containsPattern("(?m)^apm-server\\.auth\\.secret_token: +\\*\\*\\*  # file$")
        .containsPattern("(?m)^intake-auth\\.auth\\.secret_tokens: +\\*\\*\\*  # file$")
        .containsPattern("(?m)^apm-server\\.auth\\.api_key\\.elasticsearch\\.api_key: +\\*\\*\\*  # file$")
        .containsPattern("(?m)^apm-server\\.auth\\.api_key\\.elasticsearch\\.password: +\\*\\*\\*  # file$")
        .containsPattern("(?m)^apm-server\\.auth\\.api_key\\.elasticsearch\\.username: +elastic  # file$")
        .containsPattern("(?m)^apm-server\\.auth\\.api_key\\.limit: +42  # environment APM_SERVER_AUTH_API_KEY_LIMIT$")
        .containsPattern("(?m)^apm-server\\.idle_timeout: +45s  # default$");
    assertThat(printed.out()).as("nothing started").doesNotContain("listening");

    Files.writeString(config, "apm-server:\n  auth:\n    secret_token: \"" + TOKEN + "\"\n  hots: \"127.0.0.1:0\"\n");
    Run bad = run(Map.of(), "--print-config", "--config", config.toString());
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.out()).isEmpty();
    assertThat(bad.err().strip()).isEqualTo("Error: unknown setting \"apm-server.hots\" (did you mean \"apm-server.host\"?)");
    Run badStart = run(Map.of(), "--config", config.toString());
    assertThat(badStart.code()).as("the same error as a start").isEqualTo(1);
    assertThat(badStart.err().strip()).isEqualTo(bad.err().strip());
  }

  @Test
  void servesHttpAndGrpcFromTheJar() throws Exception {
    Run pair = run(Map.of(), "--self-signed", dir.toString());
    assertThat(pair.code()).as(pair.err()).isZero();
    Path config = dir.resolve("apm-server.yml");
    Files.writeString(config, """
        apm-server:
          host: "127.0.0.1:0"
          auth:
            secret_token: "%s"
          ssl:
            certificate: cert.pem
            key: key.pem
        """.formatted(TOKEN));
    Process server = java(Map.of(), "--config", config.toString()).start();
    StringBuilder log = new StringBuilder();
    Thread drain = follow(server.getErrorStream(), line -> {
      synchronized (log) {
        log.append(line).append('\n');
      }
    });
    try {
      BlockingQueue<String> lines = new LinkedBlockingQueue<>();
      follow(server.getInputStream(), lines::add);
      String base = null;
      Integer grpcPort = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); // a deadline: a loaded build machine starts it slowly
      while ((base == null || grpcPort == null) && System.nanoTime() < deadline) {
        String line = lines.poll(200, TimeUnit.MILLISECONDS);
        if (line == null) {
          assertThat(server.isAlive()).as("the server exited: %s", log).isTrue();
          continue;
        }
        Matcher listening = Pattern.compile("^intake-server listening on (https://127\\.0\\.0\\.1:\\d+)$").matcher(line);
        Matcher grpc = Pattern.compile("^OTLP over gRPC on port (\\d+) ").matcher(line);
        if (listening.find()) {
          base = listening.group(1);
        } else if (grpc.find()) {
          grpcPort = Integer.parseInt(grpc.group(1));
        }
      }
      assertThat(base).as("listening line; log: %s", log).isNotNull();
      assertThat(grpcPort).as("gRPC line; log: %s", log).isNotNull();

      Client client = new Client(base, dir.resolve("cert.pem"));
      HttpResponse<String> accepted = client.post("/intake/v2/events", Client.events("checkout", "java", 1), "Bearer " + TOKEN);
      assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
      assertThat(client.post("/intake/v2/events", Client.events("checkout", "java", 1), "Bearer wrong").statusCode()).isEqualTo(401);

      try (OtlpGrpcClients grpc = new OtlpGrpcClients(grpcPort, dir.resolve("cert.pem"))) {
        ExportTraceServiceResponse exported = grpc.rawTraces("Bearer " + TOKEN, OtlpGrpcClients.traces("checkout", "2"));
        assertThat(exported.hasPartialSuccess() ? exported.getPartialSuccess().getRejectedSpans() : 0).isZero();
      }
    } finally {
      // SIGTERM: the shutdown hook stops Jetty and gRPC.
      server.destroy();
      boolean exited = server.waitFor(15, TimeUnit.SECONDS);
      if (!exited) {
        server.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
      assertThat(exited).as("stopped on SIGTERM").isTrue();
      drain.join(5000);
    }
    synchronized (log) {
      assertThat(log.toString()).as("the log").contains("listening on").doesNotContain(TOKEN);
    }
  }
}
