package dev.intakeauth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** What the tool does before it talks to Elasticsearch: usage, help, argument errors, no cluster. */
class ApiKeyCommandTest {

  /** Nothing listens on port 1 of the loopback. */
  private static final List<String> NOWHERE = List.of("--url", "http://127.0.0.1:1", "-u", "elastic", "-p", "pw");

  @ParameterizedTest
  @ValueSource(strings = {"create", "info", "list", "invalidate", "verify", "create-server-key", "create-manager-role"})
  void everySubcommandHasHelp(String sub) {
    String out = Cli.run(sub, "--help").succeeds();
    assertThat(out).startsWith("Usage: apikey " + sub).contains("--url").contains("--json").contains("--help");
  }

  @Test
  void theToolListsItsSubcommands() {
    String out = Cli.run("--help").succeeds();
    assertThat(out).contains("create", "info", "list", "invalidate", "verify", "create-server-key", "create-manager-role");
  }

  @Test
  void noSubcommandPrintsUsageAndExits2() {
    Cli.Run r = Cli.run();
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("Usage: apikey");
  }

  @Test
  void usageErrorsAreOneLineWithExit2() {
    assertThat(Cli.run("create", "--name").failsWithOneLine(2)).contains("--name").contains("apikey create --help");
    assertThat(Cli.run("create", "--name", "x", "--bogus").failsWithOneLine(2)).contains("--bogus");
    assertThat(Cli.run("verify").failsWithOneLine(2)).contains("--credentials");
    assertThat(Cli.run("frobnicate").failsWithOneLine(2)).contains("frobnicate");
  }

  @Test
  void badExpirationIsRefusedBeforeAnyRequest() {
    String line = Cli.run(Cli.args(NOWHERE, "create", "--name", "x", "--expiration", "tomorrow")).failsWithOneLine(2);
    assertThat(line).isEqualTo("Error: bad expiration: expected a number and a unit, such as 1d, 12h, 30m, 45s (see 'apikey create --help')");
    assertThat(Cli.run(Cli.args(NOWHERE, "create-server-key", "--name", "x", "--expiration", "0d")).failsWithOneLine(2)).contains("bad expiration");
  }

  @Test
  void unknownPrivilegeListsTheKnownOnes() {
    String line = Cli.run(Cli.args(NOWHERE, "create", "--name", "x", "--privilege", "event:read")).failsWithOneLine(2);
    assertThat(line).startsWith("Error: unknown privilege; known: config_agent:read, event:write, sourcemap:write");
    assertThat(Cli.run(Cli.args(NOWHERE, "verify", "--credentials", "aWQ6c2VjcmV0", "--privilege", "nope")).failsWithOneLine(2))
        .contains("unknown privilege");
  }

  @Test
  void infoAndInvalidateNeedAnIdOrAName() {
    assertThat(Cli.run(Cli.args(NOWHERE, "info")).failsWithOneLine(2)).isEqualTo("Error: give --id or --name (see 'apikey info --help')");
    assertThat(Cli.run(Cli.args(NOWHERE, "info", "--id", " ", "--name", "")).failsWithOneLine(2)).contains("give --id or --name");
    assertThat(Cli.run(Cli.args(NOWHERE, "invalidate")).failsWithOneLine(2)).contains("give --id or --name");
  }

  @Test
  void administratorCommandsNeedCredentials() {
    assertThat(Cli.run("create", "--url", "http://127.0.0.1:1", "--name", "x", "--username", "", "--admin-api-key", "").failsWithOneLine(2))
        .contains("no administrator credentials");
  }

  @Test
  void credentialsToVerifyMustBeBase64OfIdColonKey() {
    assertThat(Cli.run(Cli.args(NOWHERE, "verify", "--credentials", "not base64!")).failsWithOneLine(2))
        .isEqualTo("Error: the credentials are not base64(id:api_key) (see 'apikey verify --help')");
    // base64 of "no-colon"
    assertThat(Cli.run(Cli.args(NOWHERE, "verify", "--credentials", "bm8tY29sb24=")).failsWithOneLine(2)).contains("base64(id:api_key)");
  }

  @Test
  void unreachableElasticsearchIsOneLine() {
    assertThat(Cli.run(Cli.args(NOWHERE, "list")).failsWithOneLine(1)).startsWith("Error: Elasticsearch is unreachable");
    assertThat(Cli.run(Cli.args(NOWHERE, "verify", "--credentials", "aWQ6c2VjcmV0")).failsWithOneLine(1)).startsWith("Error: Elasticsearch is unreachable");
  }

  @Test
  void aMissingCaFileIsOneLine() {
    String line = Cli.run("list", "--url", "https://127.0.0.1:1", "-u", "elastic", "-p", "pw", "--ca-cert", "does-not-exist.pem").failsWithOneLine(1);
    assertThat(line).contains("does-not-exist.pem");
  }

  @Test
  void secretsGivenOnTheCommandLineAreNotEchoedInErrors() {
    Cli.Run r = Cli.run("list", "--url", "http://127.0.0.1:1", "-u", "elastic", "-p", "s3cr3t-pass-word");
    assertThat(r.err()).doesNotContain("s3cr3t-pass-word");
    Cli.Run v = Cli.run(Cli.args(NOWHERE, "verify", "--credentials", "aWQ6c3VwZXItc2VjcmV0LXZhbHVl"));
    assertThat(v.err()).doesNotContain("aWQ6c3VwZXItc2VjcmV0LXZhbHVl").doesNotContain("super-secret-value");
  }
}
