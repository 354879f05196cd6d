package dev.intakeauth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Secrets and the command line: no error repeats a value given on it, and the password and the
 * credentials to verify can come from standard input or a prompt instead of the process list.
 */
class ApiKeyCommandSecretsTest {

  private static final String PASSWORD = "Hunter2-s3cr3t!pw";
  /** base64 of {@code key-id:agent-secret-value}. */
  private static final String CREDENTIALS = Base64.getEncoder().encodeToString("key-id:agent-secret-value".getBytes(StandardCharsets.UTF_8));

  private StandInElasticsearch es;
  private final List<String> authorizations = new CopyOnWriteArrayList<>();

  /** A stand-in for Elasticsearch on a real socket that keeps each request's Authorization header. */
  @BeforeEach
  void elasticsearch() {
    es = StandInElasticsearch.start(request -> {
      authorizations.add(String.valueOf(request.authorization()));
      return StandInElasticsearch.Answer.ok(request.path().endsWith("_has_privileges")
          ? "{\"username\":\"u\",\"application\":{\"apm\":{\"-\":{\"event:write\":true,\"config_agent:read\":false,\"sourcemap:write\":false}}}}"
          : "{\"api_keys\":[]}");
    });
  }

  @AfterEach
  void stop() {
    es.close();
  }

  private String url() {
    return es.url();
  }

  private static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  // --- (b) usage errors never repeat a value ---

  static Stream<List<String>> mistypedCommandLines() {
    return Stream.of(
        List.of("list", "-u", "elastic", "--pasword", PASSWORD),
        List.of("list", "-u", "elastic", "--pasword=" + PASSWORD),
        List.of("list", "-u", "elastic", "--password" + PASSWORD),
        List.of("list", "-u", "elastic", "-P" + PASSWORD),
        List.of("list", "-u", "elastic", "-P", PASSWORD),
        List.of("--pasword", PASSWORD, "list"),
        List.of("-u", "elastic", PASSWORD, "list"),
        List.of("list", "-u", "elastic", "-p", PASSWORD, "--pasword", PASSWORD),
        List.of("list", "--verification-mode", PASSWORD),
        List.of("list", "--verification-mode=" + PASSWORD),
        List.of("verify", "--credentials", CREDENTIALS, PASSWORD),
        List.of("verify", "--credental", CREDENTIALS),
        List.of("create", "--name", "x", "--expiration", PASSWORD, "-u", "elastic", "-p", PASSWORD, "--url", "http://127.0.0.1:1"),
        List.of("create", "--name", "x", "--privilege", PASSWORD, "-u", "elastic", "-p", PASSWORD, "--url", "http://127.0.0.1:1"),
        List.of("create", "--name", "x", "--privilege", "a b " + PASSWORD, "-u", "elastic", "-p", PASSWORD, "--url", "http://127.0.0.1:1"),
        List.of("create", "-u", "elastic", "-p", PASSWORD, "--name"),
        List.of("create", "-p", PASSWORD, "-p", PASSWORD, "--name", "x"),
        List.of("info", "--id", PASSWORD, "extra-" + PASSWORD));
  }

  @ParameterizedTest
  @MethodSource("mistypedCommandLines")
  void aMistypedCommandLineNeverEchoesAValue(List<String> args) {
    Cli.Run r = Cli.run(args.toArray(String[]::new));
    assertThat(r.exit()).as("err: %s", r.err()).isIn(1, 2);
    assertThat(r.err().lines().toList()).hasSize(1);
    assertThat(r.err()).startsWith("Error: ").doesNotContain(PASSWORD).doesNotContain("s3cr3t").doesNotContain(CREDENTIALS)
        .doesNotContain("Exception");
    assertThat(r.out()).doesNotContain(PASSWORD);
  }

  @Test
  void aMistypedOptionIsNamedWithoutItsValueAndTheRightOneSuggested() {
    String line = Cli.run("list", "-u", "elastic", "--pasword", PASSWORD).failsWithOneLine(2);
    assertThat(line).isEqualTo("Error: unknown option '--pasword' and 1 more argument (not shown); did you mean --password or --password-stdin? (see 'apikey list --help')");
    assertThat(Cli.run("list", "--pasword=" + PASSWORD).failsWithOneLine(2)).startsWith("Error: unknown option '--pasword';");
    assertThat(Cli.run("list", "--verification-mode", PASSWORD).failsWithOneLine(2))
        .isEqualTo("Error: invalid value for option '--verification-mode' (or ELASTICSEARCH_SSL_VERIFICATION_MODE): expected full, certificate or none"
            + " (see 'apikey list --help')");
    assertThat(Cli.run("create", "-u", "elastic", "--name").failsWithOneLine(2)).startsWith("Error: option '--name' needs a value");
  }

  // --- (c) secrets from standard input and from a prompt ---

  @Test
  void passwordStdinSendsTheFirstLineAsThePassword() {
    String out = Cli.run(Cli.Input.stdin(PASSWORD + "\nsecond line\n"), "list", "--url", url(), "-u", "elastic", "--password-stdin").succeeds();
    assertThat(out).contains("0 API Keys found");
    assertThat(authorizations).containsExactly(basic("elastic", PASSWORD));
    // A Windows line end is a line end too.
    Cli.run(Cli.Input.stdin(PASSWORD + "\r\n"), "list", "--url", url(), "-u", "elastic", "--password-stdin").succeeds();
    assertThat(authorizations).last().isEqualTo(basic("elastic", PASSWORD));
  }

  @Test
  void credentialsStdinVerifiesTheKeyReadFromStandardInput() {
    String out = Cli.run(Cli.Input.stdin(CREDENTIALS + "\n"), "verify", "--url", url(), "--credentials-stdin").succeeds();
    assertThat(out).contains("\"event:write\"").contains("Yes").doesNotContain(CREDENTIALS);
    assertThat(authorizations).containsExactly("ApiKey " + CREDENTIALS);
  }

  @Test
  void aTerminalIsAskedWhenThePasswordOrTheCredentialsAreMissing() {
    Cli.Input terminal = Cli.Input.terminal(PASSWORD);
    String out = Cli.run(terminal, "list", "--url", url(), "-u", "elastic").succeeds();
    assertThat(out).doesNotContain(PASSWORD);
    assertThat(terminal.questions()).containsExactly("Password for elastic: ");
    assertThat(authorizations).containsExactly(basic("elastic", PASSWORD));

    Cli.Input typedKey = Cli.Input.terminal(CREDENTIALS);
    Cli.run(typedKey, "verify", "--url", url()).succeeds();
    assertThat(typedKey.questions()).containsExactly("API key credentials, base64(id:api_key): ");
    assertThat(authorizations).last().isEqualTo("ApiKey " + CREDENTIALS);
  }

  @Test
  void withoutATerminalAMissingSecretIsAUsageErrorAndNothingIsSent() {
    assertThat(Cli.run("list", "--url", url(), "-u", "elastic").failsWithOneLine(2))
        .contains("--username needs --password, --password-stdin or ELASTICSEARCH_PASSWORD");
    assertThat(Cli.run("verify", "--url", url()).failsWithOneLine(2)).contains("--credentials").contains("--credentials-stdin");
    assertThat(Cli.run(Cli.Input.stdin(""), "list", "--url", url(), "-u", "elastic", "--password-stdin").failsWithOneLine(2))
        .isEqualTo("Error: --password-stdin: no password on standard input (see 'apikey list --help')");
    assertThat(Cli.run(Cli.Input.stdin("\n"), "verify", "--url", url(), "--credentials-stdin").failsWithOneLine(2))
        .isEqualTo("Error: --credentials-stdin: no credentials on standard input (see 'apikey verify --help')");
    assertThat(authorizations).isEmpty();
  }

  @Test
  void aSecretIsTakenFromOnePlaceOnly() {
    Cli.Input stdin = Cli.Input.stdin(PASSWORD + "\n");
    assertThat(Cli.run(stdin, "list", "--url", url(), "-u", "elastic", "-p", PASSWORD, "--password-stdin").failsWithOneLine(2))
        .contains("give --password or --password-stdin, not both").doesNotContain(PASSWORD);
    assertThat(Cli.run(stdin, "verify", "--url", url(), "--credentials", CREDENTIALS, "--credentials-stdin").failsWithOneLine(2))
        .contains("give --credentials or --credentials-stdin, not both").doesNotContain(CREDENTIALS);
    assertThat(Cli.run(stdin, "verify", "--url", url(), "-u", "elastic", "--password-stdin", "--credentials-stdin").failsWithOneLine(2))
        .contains("cannot both read standard input");
    assertThat(authorizations).isEmpty();
  }

  @Test
  void verificationModeIsAcceptedAsElasticNamesIt() {
    for (String mode : List.of("full", "certificate", "FULL")) {
      Cli.run("list", "--url", url(), "-u", "elastic", "-p", PASSWORD, "--verification-mode", mode).succeeds();
    }
    Cli.Run none = Cli.run("list", "--url", url(), "-u", "elastic", "-p", PASSWORD, "--verification-mode", "none");
    assertThat(none.exit()).isZero();
    assertThat(none.err()).startsWith("Warning: ").contains("verification mode none").doesNotContain(PASSWORD);
    assertThat(Cli.run("list", "--help").succeeds()).contains("--verification-mode").contains("ELASTICSEARCH_SSL_VERIFICATION_MODE")
        .contains("--password-stdin");
  }

  // --- standard input that is not one short line of text ---

  /** Standard input of {@code size} bytes of {@code 'a'} and no line end, counting what the tool reads. */
  private static final class NoLineEnd extends InputStream {
    private final long size;
    long read;

    NoLineEnd(long size) {
      this.size = size;
    }

    @Override
    public int read() {
      if (read == size) {
        return -1;
      }
      read++;
      return 'a';
    }
  }

  private static ApiKeyCommand.Input stdinOf(InputStream in) {
    return new ApiKeyCommand.Input() {
      @Override
      public InputStream stdin() {
        return in;
      }

      @Override
      public char[] prompt(String question) {
        return null;
      }
    };
  }

  @Test
  void endlessStandardInputWithoutALineEndIsRefusedAfterABoundedRead() {
    NoLineEnd password = new NoLineEnd(32L * 1024 * 1024);
    assertThat(Cli.run(stdinOf(password), "list", "--url", url(), "-u", "elastic", "--password-stdin").failsWithOneLine(2))
        .isEqualTo("Error: --password-stdin: the first line of standard input is longer than 65536 bytes (see 'apikey list --help')");
    assertThat(password.read).as("bytes read from standard input").isLessThanOrEqualTo(ApiKeyCommand.MAX_SECRET_BYTES + 1);
    NoLineEnd credentials = new NoLineEnd(32L * 1024 * 1024);
    assertThat(Cli.run(stdinOf(credentials), "verify", "--url", url(), "--credentials-stdin").failsWithOneLine(2))
        .startsWith("Error: --credentials-stdin: the first line of standard input is longer than");
    assertThat(credentials.read).isLessThanOrEqualTo(ApiKeyCommand.MAX_SECRET_BYTES + 1);
    assertThat(authorizations).isEmpty();
    // A secret just under the bound, ended by the stream, is still taken.
    String longPassword = "p".repeat(ApiKeyCommand.MAX_SECRET_BYTES - 1);
    Cli.run(Cli.Input.stdin(longPassword), "list", "--url", url(), "-u", "elastic", "--password-stdin");
    assertThat(authorizations).containsExactly(basic("elastic", longPassword));
  }

  @Test
  void binaryOnStandardInputIsRefusedRatherThanSentMangled() {
    byte[] notUtf8 = {'p', 'w', (byte) 0xff, (byte) 0xfe, (byte) 0xc3, '\n'};
    String line = Cli.run(stdinOf(new java.io.ByteArrayInputStream(notUtf8)), "list", "--url", url(), "-u", "elastic", "--password-stdin")
        .failsWithOneLine(2);
    assertThat(line).isEqualTo("Error: --password-stdin: the password on standard input is not UTF-8 text (see 'apikey list --help')");
    assertThat(authorizations).isEmpty();
    // Only the first line counts, whatever follows it; CRLF and a bare end of stream end it too.
    Cli.run(Cli.Input.stdin("pw\r\n\u0000\u00ff"), "list", "--url", url(), "-u", "elastic", "--password-stdin").succeeds();
    Cli.run(Cli.Input.stdin("pw"), "list", "--url", url(), "-u", "elastic", "--password-stdin").succeeds();
    assertThat(authorizations).containsExactly(basic("elastic", "pw"), basic("elastic", "pw"));
  }

  @Test
  void aCaFingerprintWithAPlainHttpUrlIsRefusedBeforeThePasswordIsSent() {
    String line = Cli.run("list", "--url", url(), "-u", "elastic", "-p", PASSWORD, "--ca-fingerprint", "ab".repeat(32)).failsWithOneLine(2);
    assertThat(line).contains("is plain HTTP, but a CA certificate or a trusted fingerprint is set").doesNotContain(PASSWORD);
    assertThat(authorizations).isEmpty();
  }
}
