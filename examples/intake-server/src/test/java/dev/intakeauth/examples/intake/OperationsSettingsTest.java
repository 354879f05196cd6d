package dev.intakeauth.examples.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.intakeauth.GeneratedKey;
import dev.intakeauth.Privilege;
import dev.intakeauth.testing.ManualClock;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operations settings on real sockets and real files: secret tokens rotated through a watched
 * token file, a watched keys file, the cache lifetime, the reload settings, and the metrics listener
 * on every component (HTTP, OTLP/gRPC, the shared anonymous rate limit, the watchers). Time is a
 * manual clock; a test advances it by the period and polls the watchers itself.
 */
class OperationsSettingsTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String EVENTS = Client.events("checkout", "java", 1);
  private static final Duration PERIOD = Duration.ofSeconds(5);

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();
  private final ManualClock clock = new ManualClock();
  private PrintStream originalErr;
  private final ByteArrayOutputStream log = new ByteArrayOutputStream();

  @BeforeEach
  void captureLog() {
    originalErr = System.err;
    System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restoreLog() {
    System.setErr(originalErr);
  }

  /** Plain HTTP with credentials allowed, on any free ports, with these settings added (dotted form). */
  private IntakeServer start(String settings) throws Exception {
    return IntakeServerTest.startedOnClock(dir, clock, "intake-auth.allow_plain_http_credentials: true\nhttp.host: 127.0.0.1\n" + settings);
  }

  /** Starts with these settings and expects the start to fail; returns what it printed. */
  private String failsToStart(String settings) throws Exception {
    return IntakeServerTest.failsToStart(dir, "http.host: 127.0.0.1\n" + settings);
  }

  /** Replaces a file as a writer should: a new file renamed over the old one. */
  private void replace(Path file, String text) throws Exception {
    Path next = file.resolveSibling(file.getFileName() + ".next");
    Files.writeString(next, text);
    Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** One period later by the server's clock, and every watched file read. */
  private void nextPeriod(IntakeServer server) {
    clock.advance(PERIOD);
    server.pollReloads();
  }

  private static int post(IntakeServer server, String authorization) throws Exception {
    return new Client(server.baseUrl(), null).post("/intake/v2/events", EVENTS, authorization).statusCode();
  }

  private String metrics(IntakeServer server) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(server.monitoringUrl() + "/metrics")).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  private JsonNode health(IntakeServer server) throws Exception {
    return JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(server.monitoringUrl() + "/health")).GET().build(),
        HttpResponse.BodyHandlers.ofString()).body());
  }

  /** The value of the one sample matching this pattern (a regular expression of the name and labels). */
  private static double sample(String scrape, String nameAndLabels) {
    Matcher m = Pattern.compile("(?m)^" + nameAndLabels + " ([0-9.E+-]+)$").matcher(scrape);
    assertThat(m.find()).as("%s in%n%s", nameAndLabels, scrape).isTrue();
    return Double.parseDouble(m.group(1));
  }

  private List<String> warnings() {
    return log.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains(" WARN ")).toList();
  }

  @Test
  void aTokenFileRotatesWithoutARestart() throws Exception {
    Path tokens = dir.resolve("tokens.txt");
    Files.writeString(tokens, "token-a-0123456789\n");
    try (IntakeServer server = start("intake-auth.auth.secret_token_file: tokens.txt\n")) {
      assertThat(post(server, "Bearer token-a-0123456789")).isEqualTo(202);
      assertThat(post(server, "Bearer token-b-9876543210")).isEqualTo(401);

      replace(tokens, "# rotating\ntoken-a-0123456789\ntoken-b-9876543210\n");
      nextPeriod(server);
      assertThat(post(server, "Bearer token-a-0123456789")).as("old token during the rotation").isEqualTo(202);
      assertThat(post(server, "Bearer token-b-9876543210")).as("new token during the rotation").isEqualTo(202);

      replace(tokens, "token-b-9876543210\n");
      nextPeriod(server);
      assertThat(post(server, "Bearer token-a-0123456789")).as("the old token, once removed").isEqualTo(401);
      assertThat(post(server, "Bearer token-b-9876543210")).isEqualTo(202);

      String scrape = metrics(server);
      assertThat(sample(scrape, "intake_auth_reloads_total\\{result=\"success\",source=\"secret tokens\"}")).isEqualTo(2.0);
      assertThat(sample(scrape, "intake_auth_reloads_total\\{result=\"failure\",source=\"secret tokens\"}")).isZero();
      JsonNode reload = health(server).get("reloads").get(0);
      assertThat(reload.get("name").asText()).isEqualTo("secret tokens");
      assertThat(reload.get("file").asText()).isEqualTo(tokens.toString());
      assertThat(reload.get("last_success").asText()).isEqualTo(clock.instant().toString());
      assertThat(reload.get("failing").asBoolean()).isFalse();
      assertThat(scrape).doesNotContain("token-a").doesNotContain("token-b");
    }
    assertThat(log.toString(StandardCharsets.UTF_8)).contains("Reloaded the secret tokens").doesNotContain("token-a").doesNotContain("token-b");
  }

  @Test
  void aKeyRemovedFromTheKeysFileIsRefusedAtTheNextPollDespiteALongCacheLifetime() throws Exception {
    GeneratedKey kept = GeneratedKey.generate("kept", List.of(Privilege.EVENT_WRITE), null);
    GeneratedKey removed = GeneratedKey.generate("removed", List.of(Privilege.EVENT_WRITE), null);
    Path keys = dir.resolve("keys.txt");
    Files.writeString(keys, kept.keyFileLine() + "\n" + removed.keyFileLine() + "\n");
    try (IntakeServer server = start("""
        apm-server.auth.api_key.enabled: true
        intake-auth.keys_file: keys.txt
        intake-auth.api_key.cache_lifetime: 10m
        """)) {
      String keptAuth = kept.credential().authorizationValue();
      String removedAuth = removed.credential().authorizationValue();
      assertThat(post(server, keptAuth)).isEqualTo(202);
      assertThat(post(server, removedAuth)).isEqualTo(202);

      replace(keys, kept.keyFileLine() + "\n");
      clock.advance(PERIOD.minusMillis(1));
      server.pollReloads();
      assertThat(post(server, removedAuth)).as("cached, and the period has not passed").isEqualTo(202);
      clock.advance(Duration.ofMillis(1));
      server.pollReloads();
      assertThat(post(server, removedAuth)).as("removed: refused at once, not in 10 minutes").isEqualTo(401);
      assertThat(post(server, keptAuth)).isEqualTo(202);

      // A broken file keeps the last good keys and is logged once, without its content.
      String brokenLine = removed.credential().id() + " " + removed.credential().encoded() + " event:write";
      replace(keys, kept.keyFileLine() + "\n" + brokenLine + "\n");
      for (int i = 0; i < 3; i++) {
        nextPeriod(server);
      }
      assertThat(post(server, keptAuth)).isEqualTo(202);
      assertThat(post(server, removedAuth)).isEqualTo(401);
      List<String> warnings = warnings().stream().filter(l -> l.contains(keys.toString())).toList();
      assertThat(warnings).hasSize(1);
      assertThat(warnings.get(0)).contains("Keeping the last good keys file").contains(":2:")
          .doesNotContain(removed.credential().encoded()).doesNotContain(kept.keyFileLine());
      JsonNode reload = health(server).get("reloads").get(0);
      assertThat(reload.get("name").asText()).isEqualTo("keys file");
      assertThat(reload.get("failing").asBoolean()).isTrue();
      assertThat(reload.get("last_failure").asText()).isEqualTo(clock.instant().minus(PERIOD.multipliedBy(2)).toString());
      assertThat(reload.get("problem").asText()).contains(":2:").doesNotContain(removed.credential().encoded());
      assertThat(health(server).get("status").asText()).as("the last good keys are served").isEqualTo("ok");
      String scrape = metrics(server);
      assertThat(sample(scrape, "intake_auth_reloads_total\\{result=\"success\",source=\"keys file\"}")).isEqualTo(1.0);
      assertThat(sample(scrape, "intake_auth_reloads_total\\{result=\"failure\",source=\"keys file\"}")).isEqualTo(1.0);
    }
  }

  @Test
  void withReloadingOffTheFilesAreReadOnceAndNothingIsWatched() throws Exception {
    Path tokens = dir.resolve("tokens.txt");
    Files.writeString(tokens, "token-a-0123456789\n");
    try (IntakeServer server = start("intake-auth.auth.secret_token_file: tokens.txt\nintake-auth.reload.enabled: false\n")) {
      assertThat(server.reloads()).isEmpty();
      replace(tokens, "token-b-9876543210\n");
      nextPeriod(server);
      assertThat(post(server, "Bearer token-a-0123456789")).isEqualTo(202);
      assertThat(post(server, "Bearer token-b-9876543210")).isEqualTo(401);
      assertThat(health(server).get("reloads")).isEmpty();
    }
  }

  @Test
  void theWatchersStopWithTheServer() throws Exception {
    Files.writeString(dir.resolve("tokens.txt"), "token-a-0123456789\n");
    GeneratedKey key = GeneratedKey.generate("agent", List.of(Privilege.EVENT_WRITE), null);
    Files.writeString(dir.resolve("keys.txt"), key.keyFileLine() + "\n");
    List<Thread> before = reloadThreads();
    IntakeServer server = start("""
        intake-auth.auth.secret_token_file: tokens.txt
        apm-server.auth.api_key.enabled: true
        intake-auth.keys_file: keys.txt
        intake-auth.reload.period: 100ms
        """);
    List<Thread> watchers;
    try {
      assertThat(server.reloads()).hasSize(2);
      watchers = reloadThreads().stream().filter(t -> !before.contains(t)).toList();
      assertThat(watchers).extracting(Thread::getName)
          .containsExactlyInAnyOrder("intake-auth-reload-keys-file", "intake-auth-reload-secret-tokens");
    } finally {
      server.close();
    }
    for (Thread t : watchers) {
      t.join(10_000);
      assertThat(t.isAlive()).as("%s left behind", t.getName()).isFalse();
    }
  }

  private static List<Thread> reloadThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("intake-auth-reload-") && t.isAlive()).toList();
  }

  @Test
  void theStaticTokensAreOneSetWithApmServersSecretToken() throws Exception {
    try (IntakeServer server = start("""
        apm-server.auth.secret_token: old-token-0123
        intake-auth.auth.secret_tokens: [new-token-4567, old-token-0123]
        """)) {
      assertThat(post(server, "Bearer old-token-0123")).isEqualTo(202);
      assertThat(post(server, "Bearer new-token-4567")).isEqualTo(202);
      assertThat(post(server, "Bearer other-token")).isEqualTo(401);
      assertThat(server.reloads()).isEmpty();
    }
    ServerConfig both = ServerConfig.parse("apm-server.auth.secret_token: a1\nintake-auth.auth.secret_tokens: [b2, a1, c3]\n", null, Map.of());
    assertThat(both.staticSecretTokens()).containsExactly("a1", "b2", "c3");
    ServerConfig fromEnvironment = ServerConfig.parse("", null, Map.of("INTAKE_AUTH_AUTH_SECRET_TOKENS", "b2,c3"));
    assertThat(fromEnvironment.staticSecretTokens()).containsExactly("b2", "c3");
    assertThat(fromEnvironment.secretTokensConfigured()).isTrue();
    assertThat(log.toString(StandardCharsets.UTF_8)).contains("settings: ").doesNotContain("old-token").doesNotContain("new-token");
  }

  @Test
  void aTokenFileExcludesTheStaticTokensAndBadTokenSettingsNameTheSettingNotTheToken() throws Exception {
    Files.writeString(dir.resolve("tokens.txt"), "token-a-0123456789\n");
    String expected = "Error: intake-auth.auth.secret_token_file: give the tokens either in this file or in apm-server.auth.secret_token"
        + " / intake-auth.auth.secret_tokens, not both";
    assertThat(failsToStart("intake-auth.auth.secret_token_file: tokens.txt\napm-server.auth.secret_token: static-0123\n"))
        .startsWith(expected).doesNotContain("static-0123");
    assertThat(failsToStart("intake-auth.auth.secret_token_file: tokens.txt\nintake-auth.auth.secret_tokens: [static-0123]\n"))
        .startsWith(expected).doesNotContain("static-0123");
    assertThat(failsToStart("intake-auth.auth.secret_token_file: missing.txt\n"))
        .startsWith("Error: intake-auth.auth.secret_token_file: cannot read " + dir.resolve("missing.txt") + " (missing)");
    Files.writeString(dir.resolve("bad.txt"), "good-token\nbad token\n");
    assertThat(failsToStart("intake-auth.auth.secret_token_file: bad.txt\n"))
        .startsWith("Error: intake-auth.auth.secret_token_file: " + dir.resolve("bad.txt") + ":2: the token holds white space at column 4")
        .doesNotContain("bad token").doesNotContain("good-token");

    assertThat(catchThrowableOfType(ConfigException.class,
        () -> ServerConfig.parse("intake-auth.auth.secret_tokens: [good-token, \"with space\"]\n", null, Map.of())))
        .hasMessageStartingWith("intake-auth.auth.secret_tokens item 2: the token holds white space at column 5")
        .message().doesNotContain("with space").doesNotContain("good-token");
    assertThatThrownBy(() -> ServerConfig.parse("intake-auth.auth.secret_tokens: [\"#hash\"]\n", null, Map.of()))
        .hasMessage("intake-auth.auth.secret_tokens: item 1 is a comment (a token cannot start with #)");
    assertThatThrownBy(() -> ServerConfig.parse("intake-auth.auth.secret_tokens: []\n", null, Map.of()))
        .hasMessageStartingWith("intake-auth.auth.secret_tokens: must not be empty");
    assertThatThrownBy(() -> ServerConfig.parse("intake-auth.auth.secret_tokens:\n  nested: s3cret-value\n", null, Map.of()))
        .hasMessage("intake-auth.auth.secret_tokens: expected a single value");
  }

  @Test
  void theSettingsNeverShowATokenAndBadDurationsNameTheSetting() {
    ServerConfig settings = ServerConfig.parse("""
        apm-server.auth.secret_token: first-secret
        intake-auth.auth.secret_tokens: [second-secret, third-secret]
        intake-auth.reload.period: 2s
        intake-auth.api_key.cache_lifetime: 10m
        """, null, Map.of());
    assertThat(settings.toString()).contains("apm-server.auth.secret_token=***").contains("intake-auth.auth.secret_tokens=***")
        .contains("intake-auth.reload.period=PT2S").contains("intake-auth.api_key.cache_lifetime=PT10M")
        .doesNotContain("first-secret").doesNotContain("second-secret").doesNotContain("third-secret");
    assertThat(settings.reloadPeriod()).isEqualTo(Duration.ofSeconds(2));
    assertThat(settings.apiKeyCacheLifetime()).isEqualTo(Duration.ofMinutes(10));

    ServerConfig defaults = ServerConfig.parse("", null, Map.of());
    assertThat(defaults.reloadEnabled()).isTrue();
    assertThat(defaults.reloadPeriod()).isEqualTo(Duration.ofSeconds(5));
    assertThat(defaults.apiKeyCacheLifetime()).isEqualTo(Duration.ofSeconds(60));
    assertThat(defaults.staticSecretTokens()).isEmpty();
    assertThat(defaults.secretTokensConfigured()).isFalse();

    for (String bad : List.of("5", "fast", "-1s", "1.5s")) {
      assertThatThrownBy(() -> ServerConfig.parse("intake-auth.reload.period: \"" + bad + "\"\n", null, Map.of()))
          .hasMessage("intake-auth.reload.period: expected a duration such as 500ms, 5s, 1m, got \"" + bad + "\"");
    }
    assertThatThrownBy(() -> ServerConfig.parse("intake-auth.reload.period: 0s\n", null, Map.of()))
        .hasMessage("intake-auth.reload.period: must be longer than 0s");
    assertThatThrownBy(() -> ServerConfig.parse("intake-auth.api_key.cache_lifetime: 0ms\n", null, Map.of()))
        .hasMessage("intake-auth.api_key.cache_lifetime: must be longer than 0s");
    assertThatThrownBy(() -> ServerConfig.parse("intake-auth.reload.enabled: sometimes\n", null, Map.of()))
        .hasMessageStartingWith("intake-auth.reload.enabled: expected true or false");
    assertThatThrownBy(() -> ServerConfig.parse("intake-auth.reload.periode: 5s\n", null, Map.of()))
        .hasMessage("unknown setting \"intake-auth.reload.periode\" (did you mean \"intake-auth.reload.period\"?)");
  }

  @Test
  void anonymousAccessCountsATokenFileAsASecretToken() {
    ServerConfig rum = ServerConfig.parse("apm-server.rum.enabled: true\nintake-auth.auth.secret_token_file: tokens.txt\n", null, Map.of());
    assertThat(rum.anonymousEnabled()).as("APM Server's default: anonymous follows RUM when a token is set").isTrue();
    ServerConfig listed = ServerConfig.parse("apm-server.auth.anonymous.enabled: true\nintake-auth.auth.secret_tokens: [a1]\n", null, Map.of());
    assertThat(listed.anonymousEnabled()).isTrue();
  }

  @Test
  void refusalsOnHttpAndOtlpGrpcAndAnonymousRateLimitsReachTheMetrics() throws Exception {
    Path cert = Pem.selfSigned(dir)[0];
    try (IntakeServer server = start("""
        apm-server.auth.secret_token: s3cret-token
        apm-server.ssl.certificate: cert.pem
        apm-server.ssl.key: key.pem
        apm-server.auth.anonymous.enabled: true
        apm-server.auth.anonymous.rate_limit.event_limit: 1
        """);
        OtlpGrpcClients otlp = new OtlpGrpcClients(server.otlpGrpc().port(), cert)) {
      Client agent = new Client(server.baseUrl(), cert);
      assertThat(agent.post("/intake/v2/events", EVENTS, "Bearer wrong-token").statusCode()).isEqualTo(401);
      StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
          () -> otlp.rawTraces("Bearer wrong-token", OtlpGrpcClients.traces("checkout", "1")));
      assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(agent.post("/intake/v2/events", EVENTS, "Bearer s3cret-token").statusCode()).isEqualTo(202);

      // One event a second, a burst of three: anonymous RUM requests are refused before long.
      int limited = 0;
      for (int i = 0; i < 20 && limited < 2; i++) {
        if (agent.post("/intake/v2/rum/events", Client.events("shop", "rum-js", 2), null).statusCode() == 429) {
          limited++;
        }
      }
      assertThat(limited).isEqualTo(2);

      String scrape = metrics(server);
      assertThat(sample(scrape, "intake_auth_requests_total\\{method=\"secret_token\",outcome=\"invalid_credentials\",status=\"401\"}"))
          .as("one on HTTP, one on OTLP/gRPC").isEqualTo(2.0);
      assertThat(sample(scrape, "intake_auth_requests_total\\{method=\"secret_token\",outcome=\"authenticated\",status=\"200\"}")).isEqualTo(1.0);
      assertThat(sample(scrape, "intake_auth_anonymous_rate_limited_total")).isEqualTo(2.0);
      assertThat(scrape).doesNotContain("s3cret-token").doesNotContain("wrong-token");
    }
  }
}
