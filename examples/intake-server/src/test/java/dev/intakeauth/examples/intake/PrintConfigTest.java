package dev.intakeauth.examples.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --print-config}: the settings in effect and where each came from, secrets masked, nothing started. */
class PrintConfigTest {

  @TempDir Path dir;

  /** What one run of the command line printed, and its exit code. */
  record Printed(int code, String out, String err, IntakeServer server) {}

  private static Printed run(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    IntakeServer server = new IntakeServer(env, new PrintStream(out, true, StandardCharsets.UTF_8));
    var cl = IntakeServer.commandLine(server);
    cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    int code = cl.execute(args);
    server.close();
    return new Printed(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), server);
  }

  @Test
  void everySettingWithItsOriginAndSecretsFromTheEnvironmentMasked() throws Exception {
    Path config = dir.resolve("apm-server.yml");
    Files.writeString(config, """
        apm-server:
          host: 127.0.0.1:0
          idle_timeout: 1500ms
          rum:
            enabled: true
            allow_origins: ["https://shop.example", "https://*.shop.example"]
        """);
    Printed p = run(Map.of("APM_SERVER_AUTH_SECRET_TOKEN", "env-token-b81f", "INTAKE_AUTH_AUTH_SECRET_TOKENS", "old-1,old-2"),
        "--print-config", "--config", config.toString());
    assertThat(p.code()).as(p.err()).isZero();
    assertThat(p.out()).doesNotContain("env-token-b81f", "old-1", "old-2")
        .startsWith("# Settings in effect (defaults, " + config + ", environment); secrets are shown as ***.\n")
        .containsPattern("(?m)^apm-server\\.host: +127\\.0\\.0\\.1:0  # file$")
        .containsPattern("(?m)^apm-server\\.idle_timeout: +1500ms  # file$")
        .containsPattern("(?m)^apm-server\\.read_timeout: +3600s  # default$")
        .containsPattern("(?m)^apm-server\\.rum\\.allow_origins: +\\[https://shop\\.example, https://\\*\\.shop\\.example\\]  # file$")
        .containsPattern("(?m)^apm-server\\.auth\\.secret_token: +\\*\\*\\*  # environment APM_SERVER_AUTH_SECRET_TOKEN$")
        .containsPattern("(?m)^intake-auth\\.auth\\.secret_tokens: +\\*\\*\\*  # environment INTAKE_AUTH_AUTH_SECRET_TOKENS$")
        .containsPattern("(?m)^intake-auth\\.keys_file: +~  # unset$");
    // one line per setting after the header
    assertThat(p.out().lines().count()).isEqualTo(1 + ServerConfig.knownSettings().size());
    assertThat(p.server().baseUrl()).as("nothing started").isEmpty();
  }

  @Test
  void withoutAConfigItPrintsTheDefaultsAndSaysTheDemoDiffers() {
    Printed p = run(Map.of(), "--print-config");
    assertThat(p.code()).as(p.err()).isZero();
    assertThat(p.out()).startsWith("# No --config: the demo starts with its own settings")
        .containsPattern("(?m)^apm-server\\.host: +127\\.0\\.0\\.1:8200  # default$");
    assertThat(p.server().baseUrl()).isEmpty();
  }

  @Test
  void aValueTheStartWouldRefuseIsRefusedWithTheSameLine() throws Exception {
    Path config = dir.resolve("apm-server.yml");
    Files.writeString(config, """
        apm-server:
          host: 127.0.0.1:0
          auth.secret_token: t
          rum:
            enabled: true
            allow_origins: ["https://a.example https://b.example"]
        """);
    Printed printed = run(Map.of(), "--print-config", "--config", config.toString());
    Printed started = run(Map.of(), "--config", config.toString());
    assertThat(printed.code()).isEqualTo(1);
    assertThat(printed.out()).isEmpty();
    assertThat(printed.err()).startsWith("Error: apm-server.rum.allow_origins: ").doesNotContain("Exception").isEqualTo(started.err());
    assertThat(started.code()).isEqualTo(1);
  }

  @Test
  void aSecretReusedThroughAYamlAliasIsNeitherPrintedNorQuotedInAnError() throws Exception {
    String yaml = """
        apm-server:
          host: 127.0.0.1:0
          auth.secret_token: &token alias-secret-5c1e
          rum:
            enabled: true
            allow_origins: [*token]
        """;
    for (String config : List.of(yaml, yaml + "  idle_timeout: *token\n")) {
      Path file = dir.resolve("apm-server.yml");
      Files.writeString(file, config);
      Printed p = run(Map.of(), "--print-config", "--config", file.toString());
      assertThat(p.out() + p.err()).doesNotContain("alias-secret-5c1e");
    }
    assertThat(run(Map.of(), "--print-config", "--config", dir.resolve("apm-server.yml").toString()).err())
        .startsWith("Error: apm-server.idle_timeout");
  }
}
