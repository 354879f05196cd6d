package dev.intakeauth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Compatibility with {@code apm-server apikey}: the default key name, the id winning over the name,
 * the text layout of {@code info}, JSON errors with {@code --json}, and exit code 2 for every usage error.
 */
class ApiKeyCommandCompatibilityTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PASSWORD = "Hunter2-s3cr3t!pw";
  /** base64 of {@code key-id:agent-secret-value}. */
  private static final String CREDENTIALS = Base64.getEncoder().encodeToString("key-id:agent-secret-value".getBytes(StandardCharsets.UTF_8));

  private StandInElasticsearch es;
  /** Method, path and decoded query of each request, such as {@code GET /_security/api_key?id=a}. */
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final List<JsonNode> bodies = new CopyOnWriteArrayList<>();
  private volatile String keysAnswer = "{\"api_keys\":[]}";
  private volatile int status = 200;
  private volatile String errorAnswer = "";

  /** A stand-in for Elasticsearch: it keeps each request and answers as the security API does. */
  @BeforeEach
  void elasticsearch() {
    es = StandInElasticsearch.start(request -> {
      requests.add(request.method() + " " + request.path()
          + (request.query() == null ? "" : "?" + URLDecoder.decode(request.query(), StandardCharsets.UTF_8)));
      if (request.body().length > 0) {
        bodies.add(readJson(new String(request.body(), StandardCharsets.UTF_8)));
      }
      return new StandInElasticsearch.Answer(status, status != 200 ? errorAnswer : answer(request));
    });
  }

  private String answer(StandInElasticsearch.Request request) {
    if (request.path().endsWith("_has_privileges")) {
      return "{\"username\":\"u\",\"has_all_requested\":true,\"cluster\":{\"manage_own_api_key\":true},\"application\":{\"apm\":{"
          + "\"*\":{\"event:write\":true,\"config_agent:read\":true,\"sourcemap:write\":true},"
          + "\"-\":{\"event:write\":true,\"config_agent:read\":true,\"sourcemap:write\":true}}}}";
    }
    return switch (request.method()) {
      case "POST" -> "{\"id\":\"new-id\",\"name\":\"apm-key\",\"api_key\":\"new-secret\",\"encoded\":\"bmV3LWlkOm5ldy1zZWNyZXQ=\"}";
      case "DELETE" -> "{\"invalidated_api_keys\":[\"a\"],\"previously_invalidated_api_keys\":[],\"error_count\":0}";
      default -> keysAnswer;
    };
  }

  @AfterEach
  void stop() {
    es.close();
  }

  private String url() {
    return es.url();
  }

  private Cli.Run asAdmin(String... args) {
    return Cli.run(Cli.args(List.of("--url", url(), "-u", "elastic", "-p", PASSWORD), args));
  }

  private List<String> keyCreations() {
    return requests.stream().filter(r -> r.equals("POST /_security/api_key")).toList();
  }

  // --- create: the name defaults to apm-key ---

  @Test
  void createWithoutANameNamesTheKeyApmKey() {
    Cli.Run r = asAdmin("create", "--ingest");
    assertThat(r.succeeds()).startsWith("Name ........... apm-key\n");
    assertThat(keyCreations()).hasSize(1);
    assertThat(bodies).anySatisfy(b -> assertThat(b.path("name").asText()).isEqualTo("apm-key"));
    assertThat(Cli.run("create", "--help").succeeds()).contains("default apm-key");
  }

  @Test
  void aBlankNameIsAUsageErrorAndNothingIsSent() {
    assertThat(asAdmin("create", "--name", " ").failsWithOneLine(2)).isEqualTo("Error: --name must not be blank (see 'apikey create --help')");
    assertThat(asAdmin("create-manager-role", "--role-name", "").failsWithOneLine(2)).contains("--role-name must not be blank");
    assertThat(requests).isEmpty();
  }

  // --- info and invalidate: the id wins over the name ---

  @Test
  void theIdWinsOverTheNameForInfo() {
    asAdmin("info", "--id", "the-id", "--name", "the-name").succeeds();
    assertThat(requests).hasSize(1);
    assertThat(requests.get(0)).startsWith("GET /_security/api_key?").contains("id=the-id").doesNotContain("the-name");
    // A blank id counts as not given, as in apm-server.
    asAdmin("info", "--id", "", "--name", "the-name").succeeds();
    assertThat(requests.get(1)).contains("name=the-name").doesNotContain("id=");
  }

  @Test
  void theIdWinsOverTheNameForInvalidate() {
    asAdmin("invalidate", "--name", "the-name", "--id", "the-id").succeeds();
    assertThat(bodies).hasSize(1);
    assertThat(bodies.get(0).toString()).contains("the-id").doesNotContain("the-name");
  }

  // --- info: apm-server's layout ---

  @Test
  void infoPrintsApmServersFieldsInItsOrderAndLayout() {
    Instant created = Instant.parse("2026-01-02T03:04:05Z");
    long future = Instant.now().plus(Duration.ofDays(2)).toEpochMilli();
    keysAnswer = "{\"api_keys\":["
        + "{\"metadata\":{\"application\":\"apm\"},\"id\":\"id-1\",\"name\":\"java-001\",\"username\":\"elastic\",\"creation\":" + created.toEpochMilli() + ",\"invalidated\":false},"
        + "{\"metadata\":{\"application\":\"apm\"},\"id\":\"id-2\",\"name\":\"java-001\",\"username\":\"elastic\",\"creation\":" + created.toEpochMilli()
        + ",\"expiration\":" + future + ",\"invalidated\":false},"
        + "{\"metadata\":{\"application\":\"apm\"},\"id\":\"id-3\",\"name\":\"java-001\",\"username\":\"elastic\",\"creation\":" + created.toEpochMilli()
        + ",\"expiration\":" + created.plusSeconds(60).toEpochMilli() + ",\"invalidated\":false},"
        + "{\"metadata\":{\"application\":\"apm\"},\"id\":\"id-4\",\"name\":\"java-001\",\"username\":\"elastic\",\"creation\":" + created.toEpochMilli() + ",\"invalidated\":true}"
        + "]}";
    String out = asAdmin("info", "--name", "java-001").succeeds();
    assertThat(out.lines().toList()).containsExactly(
        "Username ....... elastic",
        "Api Key Name ... java-001",
        "Id ............. id-1",
        "Creation ....... 2026-01-02T03:04:05Z",
        "Invalidated .... false",
        "Expiration ..... never",
        "",
        "Username ....... elastic",
        "Api Key Name ... java-001",
        "Id ............. id-2",
        "Creation ....... 2026-01-02T03:04:05Z",
        "Invalidated .... false",
        "Expiration ..... " + Instant.ofEpochMilli(future),
        "",
        "Username ....... elastic",
        "Api Key Name ... java-001",
        "Id ............. id-3",
        "Creation ....... 2026-01-02T03:04:05Z",
        "Invalidated .... false",
        "Expiration ..... expired (2026-01-02T03:05:05Z)",
        "",
        // as apm-server: no expiration for an invalidated key
        "Username ....... elastic",
        "Api Key Name ... java-001",
        "Id ............. id-4",
        "Creation ....... 2026-01-02T03:04:05Z",
        "Invalidated .... true",
        "",
        "4 API Keys found");
    assertThat(asAdmin("list").succeeds()).endsWith("\n4 API Keys found\n");
  }

  @Test
  void noKeysIsACountOfZero() {
    assertThat(asAdmin("info", "--id", "nothing").succeeds()).isEqualTo("0 API Keys found\n");
  }

  // --- exit code 2 for every usage error, in text and in JSON ---

  /** Command lines that are wrong before anything is sent, whichever layer finds it. */
  static Stream<List<String>> usageErrors() {
    return Stream.of(
        List.of("create", "--bogus"),                                    // picocli: unknown option
        List.of("create", "--name"),                                     // picocli: option without its value
        List.of("create-server-key"),                                    // picocli: missing required option
        List.of("list", "--verification-mode", "sometimes"),             // picocli: value it cannot convert
        List.of("info"),                                                 // ours: neither --id nor --name
        List.of("invalidate", "--id", ""),                               // ours: blank id, no name
        List.of("create", "--expiration", "tomorrow"),                   // ours: bad expiration
        List.of("create", "--privilege", "event:read"),                  // ours: unknown privilege
        List.of("create", "--privilege", "a b"),                         // ours: not a privilege name
        List.of("create-server-key", "--name", "x", "--revocation-feed=all"),
        List.of("verify", "--credentials", "not base64!"),               // ours: credentials of the wrong form
        List.of("list", "-p", PASSWORD, "--password-stdin"),             // ours: conflicting options
        List.of("list", "--ca-fingerprint", "ab".repeat(32)),            // connection settings: plain HTTP with a CA pin
        List.of("list", "--ca-fingerprint", "not-hex"),                  // connection settings: a bad fingerprint
        List.of("list", "--url", "ftp://example.com"));                  // connection settings: not an http URL
  }

  @ParameterizedTest
  @MethodSource("usageErrors")
  void everyUsageErrorExits2AsTextAndAsJson(List<String> args) {
    List<String> withAdmin = List.of("--url", url(), "-u", "elastic", "-p", PASSWORD);
    Cli.Run text = Cli.run(Cli.args(withAdmin, args.toArray(String[]::new)));
    assertThat(text.failsWithOneLine(2)).doesNotContain(PASSWORD);
    List<String> json = new ArrayList<>(args);
    json.add("--json");
    Cli.Run asJson = Cli.run(Cli.args(withAdmin, json.toArray(String[]::new)));
    String message = asJson.failsWithJson(2);
    // The same message, without the pointer to --help that only a person reads.
    assertThat(text.err()).startsWith("Error: " + message);
    assertThat(asJson.err()).doesNotContain(PASSWORD);
    assertThat(requests).isEmpty();
  }

  @Test
  void anUnknownSubcommandIsAUsageErrorInJsonToo() {
    assertThat(Cli.run("frobnicate", "--json").failsWithJson(2)).startsWith("unknown command 'frobnicate'");
  }

  @Test
  void missingConnectionSettingsAreUsageErrors() {
    // no administrator at all
    assertThat(Cli.run("list", "--url", url(), "--username", "", "--admin-api-key", "").failsWithOneLine(2))
        .startsWith("Error: no administrator credentials");
    assertThat(Cli.run("list", "--url", url(), "--username", "", "--admin-api-key", "", "--json").failsWithJson(2))
        .startsWith("no administrator credentials");
    // a user without a password, no terminal to ask on
    assertThat(Cli.run("list", "--url", url(), "-u", "elastic", "--json").failsWithJson(2)).contains("--username needs --password");
    // --password-stdin with nothing on standard input
    assertThat(Cli.run(Cli.Input.stdin(""), "list", "--url", url(), "-u", "elastic", "--password-stdin", "--json").failsWithJson(2))
        .isEqualTo("--password-stdin: no password on standard input");
    assertThat(requests).isEmpty();
  }

  @Test
  void failuresStillExit1AndWithJsonAreJsonOnStandardError() {
    assertThat(Cli.run("list", "--url", "http://127.0.0.1:1", "-u", "elastic", "-p", PASSWORD, "--json").failsWithJson(1))
        .startsWith("Elasticsearch is unreachable");
    status = 401;
    assertThat(asAdmin("list", "--json").failsWithJson(1)).isEqualTo("Elasticsearch refused the administrator's credentials (401)");
    assertThat(Cli.run("verify", "--url", url(), "--credentials", CREDENTIALS, "--json").failsWithJson(1)).contains("the credentials are not valid");
  }

  @Test
  void theNoVerificationWarningIsJsonToo() {
    Cli.Run r = asAdmin("list", "--verification-mode", "none", "--json");
    assertThat(r.exit()).isZero();
    JsonNode out = readJson(r.out());
    assertThat(out.path("api_keys").isArray()).isTrue();
    List<String> err = r.err().lines().toList();
    assertThat(err).hasSize(1);
    assertThat(readJson(err.get(0)).path("warning").asText()).contains("verification mode none");
  }

  // --- the attacker's side ---

  /** Mistyped command lines that put a secret where the parser does not expect it. */
  static Stream<List<String>> secretsOutOfPlace() {
    return Stream.of(
        List.of("list", "-u", "elastic", "--pasword", PASSWORD),
        List.of("list", "-u", "elastic", "--pasword=" + PASSWORD),
        List.of("list", "-u", "elastic", "-P", PASSWORD),
        List.of("-u", "elastic", PASSWORD, "list"),
        List.of("list", "--verification-mode", PASSWORD),
        List.of("verify", "--credentials", CREDENTIALS, CREDENTIALS),
        List.of("verify", "--credental", CREDENTIALS),
        List.of("verify", "--credentials", "x" + PASSWORD),
        List.of("create", "--expiration", PASSWORD, "-u", "elastic", "-p", PASSWORD),
        List.of("create", "--privilege", PASSWORD, "-u", "elastic", "-p", PASSWORD),
        List.of("create", "--name", "x", "--ingest=" + PASSWORD),
        List.of("create", "-u", "elastic", "-p", PASSWORD, "--name"),
        List.of("info", "--id", PASSWORD, "extra-" + PASSWORD),
        List.of("list", "--admin-api-key", PASSWORD, "--url", "http://" + PASSWORD + "@127.0.0.1:1"));
  }

  @ParameterizedTest
  @MethodSource("secretsOutOfPlace")
  void aJsonErrorNeverHoldsASecretFromTheCommandLine(List<String> args) {
    List<String> json = new ArrayList<>(args);
    json.add("--json");
    Cli.Run r = Cli.run(json.toArray(String[]::new));
    assertThat(r.exit()).as("err: %s", r.err()).isIn(1, 2);
    String message = r.failsWithJson(r.exit());
    assertThat(r.err()).doesNotContain(PASSWORD).doesNotContain(CREDENTIALS).doesNotContain("agent-secret-value");
    assertThat(message).doesNotContain(PASSWORD);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "quote \" and backslash \\ and slash /",
      "line one\nline two\r\nline three",
      "control \u0000 \u0001 \u0007 \u001b[31m red \u007f",
      "separators \u2028 \u2029 and a BOM \ufeff",
      "lone surrogate \ud800 and an astral one \ud83d\ude00",
      "}\"},{\"error\":\"forged",
      "</script><script>alert(1)</script>"})
  void hostileTextIsOneLineOfValidAsciiJson(String hostile) throws IOException {
    String line = Errors.jsonLine("error", hostile);
    assertThat(line).doesNotContain("\n").doesNotContain("\r").matches("[\\x20-\\x7e]*");
    JsonNode node = JSON.readTree(line);
    assertThat(node.size()).isEqualTo(1);
    assertThat(node.path("error").asText()).isEqualTo(hostile);
  }

  @Test
  void hostileTextFromElasticsearchIsValidJsonOnOneLine() {
    status = 500;
    errorAnswer = "{\"error\":{\"type\":\"x\",\"reason\":\"bad \\\" quote\\n second line \\u0000 \\u001b[2J \\\\ \\u2028 end\"},\"status\":500}";
    String message = asAdmin("list", "--json").failsWithJson(1);
    assertThat(message).startsWith("Elasticsearch answered 500").contains("quote").contains("end");
    // In text the same message stays one line too.
    status = 500;
    assertThat(asAdmin("list").failsWithOneLine(1)).startsWith("Error: Elasticsearch answered 500");
  }

  private static JsonNode readJson(String text) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + text, e);
    }
  }
}
