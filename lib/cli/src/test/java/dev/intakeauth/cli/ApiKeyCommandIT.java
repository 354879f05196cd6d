package dev.intakeauth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.intakeauth.AuthResult;
import dev.intakeauth.Authenticator;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.Privilege;
import dev.intakeauth.elasticsearch.ElasticsearchConnection;
import dev.intakeauth.elasticsearch.ElasticsearchPrivilegeChecker;
import dev.intakeauth.testelasticsearch.ElasticsearchNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Every subcommand of the tool against a real, secured Elasticsearch 8.15, in text and JSON, with
 * its error cases; keys it makes are checked through the library's Elasticsearch backend.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ApiKeyCommandIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  private ElasticsearchNode es;
  private List<String> admin;

  @BeforeAll
  void start() {
    es = ElasticsearchNode.start("8.15.0");
    admin = List.of("--url", es.url(), "-u", es.username(), "-p", es.password());
  }

  @AfterAll
  void stop() {
    es.close();
  }

  private Cli.Run asAdmin(String... args) {
    return Cli.run(Cli.args(admin, args));
  }

  private Cli.Run anonymous(String... args) {
    return Cli.run(Cli.args(List.of("--url", es.url()), args));
  }

  private static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + text, e);
    }
  }

  /** What the library's Elasticsearch backend answers for this credential, with a fresh cache. */
  private AuthResult throughTheBackend(String credentials) {
    try (CachingPrivilegeChecker checker = ElasticsearchPrivilegeChecker.create(ElasticsearchConnection.builder().hosts(es.url()).build()).cached()) {
      return Authenticator.builder().apiKeys(checker).build().authenticate("ApiKey " + credentials);
    }
  }

  @Test
  @Order(1)
  void createVerifyAuthenticateInvalidateInText() {
    Cli.Run created = asAdmin("create", "--ingest", "--name", "cli-java-001", "--expiration", "1d");
    String out = created.succeeds();
    assertThat(out).containsPattern("(?m)^Name \\.{11} cli-java-001$")
        .containsPattern("(?m)^Expiration \\.{5} \\d{4}-\\d\\d-\\d\\dT")
        .containsPattern("(?m)^Id \\.{13} \\S+$")
        .containsPattern("(?m)^API Key \\.{8} \\S+ \\(won't be shown again\\)$")
        .containsPattern("(?m)^Credentials \\.{4} \\S+ \\(won't be shown again\\)$");
    String id = created.value("Id");
    String apiKey = created.value("API Key");
    String credentials = created.value("Credentials");
    assertThat(credentials).isEqualTo(Base64.getEncoder().encodeToString((id + ":" + apiKey).getBytes(StandardCharsets.UTF_8)));
    assertThat(out).contains("Authorization: ApiKey " + credentials);
    Instant expiration = Instant.parse(created.value("Expiration"));
    assertThat(expiration).isBetween(Instant.now().plus(Duration.ofHours(23)), Instant.now().plus(Duration.ofHours(25)));

    String verified = anonymous("verify", "--credentials", credentials).succeeds();
    assertThat(verified.lines().toList()).containsExactly(
        "Authorized for privilege \"config_agent:read\"...:  No",
        "Authorized for privilege \"event:write\"...:        Yes",
        "Authorized for privilege \"sourcemap:write\"...:    No");
    String chosen = anonymous("verify", "--agent-config", "--ingest", "--credentials", credentials).succeeds();
    assertThat(chosen.lines().toList()).containsExactly(
        "Authorized for privilege \"event:write\"...:        Yes",
        "Authorized for privilege \"config_agent:read\"...:  No");

    AuthResult before = throughTheBackend(credentials);
    assertThat(before).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(((AuthResult.Authenticated) before).privileges()).containsExactly(Privilege.EVENT_WRITE);

    // apm-server's layout; the id wins over a name that matches nothing
    String info = asAdmin("info", "--id", id, "--name", "no-such-name").succeeds();
    List<String> lines = info.lines().toList();
    assertThat(lines).hasSize(8);
    assertThat(lines.get(0)).isEqualTo("Username ....... " + es.username());
    assertThat(lines.get(1)).isEqualTo("Api Key Name ... cli-java-001");
    assertThat(lines.get(2)).isEqualTo("Id ............. " + id);
    assertThat(lines.get(3)).matches("Creation \\.{7} \\d{4}-\\d\\d-\\d\\dT.*Z");
    assertThat(lines.get(4)).isEqualTo("Invalidated .... false");
    assertThat(lines.get(5)).isEqualTo("Expiration ..... " + expiration);
    assertThat(lines.subList(6, 8)).containsExactly("", "1 API Keys found");

    String invalidated = asAdmin("invalidate", "--name", "cli-java-001").succeeds();
    assertThat(invalidated.lines().toList()).containsExactly("Invalidated keys ... " + id, "Error count ........ 0");

    String no = anonymous("verify", "--credentials", credentials).failsWithOneLine(1);
    assertThat(no).isEqualTo("Error: the credentials are not valid: the key is unknown, invalidated or expired");
    assertThat(throughTheBackend(credentials)).isInstanceOf(AuthResult.Unauthorized.class);

    assertThat(asAdmin("info", "--id", id).succeeds()).containsPattern("(?m)^Invalidated \\.{4} true$").doesNotContain("Expiration");
    assertThat(asAdmin("info", "--id", id, "--valid-only").succeeds()).isEqualTo("0 API Keys found\n");
    assertThat(asAdmin("invalidate", "--id", id).succeeds().lines().toList()).containsExactly("Invalidated keys ... none", "Error count ........ 0");
  }

  @Test
  @Order(2)
  void createVerifyInfoListInvalidateInJson() {
    JsonNode created = json(asAdmin("create", "--name", "cli-json", "--json").succeeds());
    String id = created.path("id").asText();
    String credentials = created.path("credentials").asText();
    assertThat(created.path("name").asText()).isEqualTo("cli-json");
    assertThat(created.path("expiration").isNull()).isTrue();
    assertThat(credentials).isEqualTo(Base64.getEncoder().encodeToString((id + ":" + created.path("api_key").asText()).getBytes(StandardCharsets.UTF_8)));

    JsonNode verified = json(anonymous("verify", "--json", "--credentials", credentials).succeeds());
    assertThat(verified.toString()).isEqualTo("{\"config_agent:read\":true,\"event:write\":true,\"sourcemap:write\":true}");
    assertThat(json(anonymous("verify", "--json", "--privilege", "sourcemap:write", "--credentials", credentials).succeeds()).toString())
        .isEqualTo("{\"sourcemap:write\":true}");
    assertThat(((AuthResult.Authenticated) throughTheBackend(credentials)).privileges())
        .containsExactlyInAnyOrder(Privilege.EVENT_WRITE, Privilege.AGENT_CONFIG_READ, Privilege.SOURCEMAP_WRITE);

    JsonNode byName = json(asAdmin("info", "--name", "cli-json", "--json").succeeds());
    assertThat(byName.path("api_keys")).hasSize(1);
    JsonNode k = byName.path("api_keys").get(0);
    assertThat(k.path("id").asText()).isEqualTo(id);
    assertThat(k.path("username").asText()).isEqualTo(es.username());
    assertThat(k.path("valid").asBoolean()).isTrue();
    assertThat(k.path("invalidated").asBoolean()).isFalse();
    assertThat(k.path("expiration").isNull()).isTrue();
    Instant.parse(k.path("creation").asText());

    // list shows agent keys (metadata application=apm) and leaves other keys out
    String plain = es.request("POST", "/_security/api_key", "{\"name\":\"not-an-agent-key\"}").json().path("id").asText();
    JsonNode listed = json(asAdmin("list", "--json").succeeds());
    List<String> ids = new ArrayList<>();
    listed.path("api_keys").forEach(n -> ids.add(n.path("id").asText()));
    assertThat(ids).contains(id).doesNotContain(plain);
    assertThat(asAdmin("list").succeeds()).contains("Api Key Name ... cli-json");

    JsonNode invalidated = json(asAdmin("invalidate", "--id", id, "--json").succeeds());
    assertThat(invalidated.path("invalidated_api_keys").toString()).isEqualTo("[\"" + id + "\"]");
    assertThat(invalidated.path("error_count").asInt()).isZero();
    assertThat(json(asAdmin("list", "--json", "--valid-only").succeeds()).toString()).doesNotContain(id);
    assertThat(json(asAdmin("info", "--id", id, "--json").succeeds()).path("api_keys").get(0).path("valid").asBoolean()).isFalse();
    assertThat(throughTheBackend(credentials)).isInstanceOf(AuthResult.Unauthorized.class);
  }

  @Test
  @Order(3)
  void serverKeysPrintTheBeatsFormatAndCarryTheirRoles() {
    Cli.Run text = asAdmin("create-server-key", "--name", "apm_host001", "--expiration", "30d");
    String out = text.succeeds();
    String id = text.value("Id");
    assertThat(text.value("Beats format")).isEqualTo(id + ":" + text.value("API Key"));
    assertThat(out).contains("output.elasticsearch.api_key");

    JsonNode monitoring = json(asAdmin("create-server-key", "--name", "apm_monitor001", "--monitoring", "--json").succeeds());
    assertThat(monitoring.path("beats_api_key").asText()).isEqualTo(monitoring.path("id").asText() + ":" + monitoring.path("api_key").asText());

    String ask = "{\"index\":[{\"names\":[\"traces-apm-default\"],\"privileges\":[\"create_doc\"]},{\"names\":[\".monitoring-beats-8\"],\"privileges\":[\"create_doc\"]}]}";
    JsonNode w = es.request("ApiKey " + text.value("Credentials"), "POST", "/_security/user/_has_privileges", ask).json();
    assertThat(w.path("index").path("traces-apm-default").path("create_doc").asBoolean()).isTrue();
    assertThat(w.path("index").path(".monitoring-beats-8").path("create_doc").asBoolean()).isFalse();
    JsonNode m = es.request("ApiKey " + monitoring.path("credentials").asText(), "POST", "/_security/user/_has_privileges", ask).json();
    assertThat(m.path("index").path("traces-apm-default").path("create_doc").asBoolean()).isFalse();
    assertThat(m.path("index").path(".monitoring-beats-8").path("create_doc").asBoolean()).isTrue();
  }

  @Test
  @Order(4)
  void theManagerRoleLetsAUserCreateAgentKeysAndMissingPrivilegesAreNamed() {
    assertThat(asAdmin("create-manager-role").succeeds().lines().toList())
        .containsExactly("Role ........... apm_agent_key_role", "Status ......... created");
    assertThat(json(asAdmin("create-manager-role", "--json").succeeds()).toString()).isEqualTo("{\"role\":\"apm_agent_key_role\",\"created\":false}");
    assertThat(es.request("PUT", "/_security/user/key_maker", "{\"password\":\"key-maker-pw\",\"roles\":[\"apm_agent_key_role\"]}").status()).isEqualTo(200);
    Cli.Run made = Cli.run("--url", es.url(), "-u", "key_maker", "-p", "key-maker-pw", "create", "--name", "by-key-maker", "--sourcemap");
    made.succeeds();
    assertThat(anonymous("verify", "--sourcemap", "--credentials", made.value("Credentials")).succeeds()).isEqualTo("Authorized for privilege \"sourcemap:write\"...:  Yes\n");

    assertThat(es.request("PUT", "/_security/role/ingest_only_role",
        "{\"cluster\":[\"manage_own_api_key\"],\"applications\":[{\"application\":\"apm\",\"privileges\":[\"event:write\"],\"resources\":[\"*\"]}]}").status()).isEqualTo(200);
    assertThat(es.request("PUT", "/_security/user/ingest_only", "{\"password\":\"ingest-only-pw\",\"roles\":[\"ingest_only_role\"]}").status()).isEqualTo(200);
    assertThat(Cli.run("--url", es.url(), "-u", "ingest_only", "-p", "ingest-only-pw", "create", "--name", "x", "--ingest", "--sourcemap").failsWithOneLine(1))
        .isEqualTo("Error: the user creating the key lacks these privileges: apm:sourcemap:write");
    assertThat(es.request("PUT", "/_security/role/no_keys_role", "{\"cluster\":[\"monitor\"]}").status()).isEqualTo(200);
    assertThat(es.request("PUT", "/_security/user/no_keys", "{\"password\":\"no-keys-pw\",\"roles\":[\"no_keys_role\"]}").status()).isEqualTo(200);
    assertThat(Cli.run("--url", es.url(), "-u", "no_keys", "-p", "no-keys-pw", "create", "--name", "x").failsWithOneLine(1))
        .isEqualTo("Error: the user creating the key lacks these privileges: manage_own_api_key, apm:config_agent:read, apm:event:write, apm:sourcemap:write");
  }

  @Test
  @Order(5)
  void errorsAgainstARealClusterAreOneLine() {
    assertThat(Cli.run("--url", es.url(), "-u", es.username(), "-p", "wrong-password", "list").failsWithOneLine(1))
        .isEqualTo("Error: Elasticsearch refused the administrator's credentials (401)");
    assertThat(Cli.run("--url", es.url(), "--admin-api-key", "aWQ6bm90LWEta2V5", "info", "--name", "x").failsWithOneLine(1))
        .isEqualTo("Error: Elasticsearch refused the administrator's credentials (401)");
    String unknownKey = Base64.getEncoder().encodeToString("no-such-id:no-such-secret".getBytes(StandardCharsets.UTF_8));
    assertThat(anonymous("verify", "--credentials", unknownKey).failsWithOneLine(1)).contains("the credentials are not valid");
    assertThat(asAdmin("create", "--name", "x", "--expiration", "1 day").failsWithOneLine(2)).contains("bad expiration");
    assertThat(asAdmin("create", "--name", "x", "--privilege", "event:read").failsWithOneLine(2)).contains("unknown privilege; known:");
    assertThat(asAdmin("info").failsWithOneLine(2)).contains("give --id or --name");
    assertThat(asAdmin("info", "--name", "never-made").succeeds()).isEqualTo("0 API Keys found\n");
    // with --json, the same failures as JSON on stderr, exit codes unchanged
    assertThat(Cli.run("--url", es.url(), "-u", es.username(), "-p", "wrong-password", "list", "--json").failsWithJson(1))
        .isEqualTo("Elasticsearch refused the administrator's credentials (401)");
    assertThat(anonymous("verify", "--json", "--credentials", unknownKey).failsWithJson(1)).contains("the credentials are not valid");
    assertThat(asAdmin("info", "--json").failsWithJson(2)).isEqualTo("give --id or --name");
  }

  @Test
  @Order(6)
  void createWithoutANameMakesAnApmKeyAsApmServerDoes() {
    JsonNode created = json(asAdmin("create", "--ingest", "--json").succeeds());
    assertThat(created.path("name").asText()).isEqualTo("apm-key");
    JsonNode found = json(asAdmin("info", "--id", created.path("id").asText(), "--json").succeeds());
    assertThat(found.path("api_keys").get(0).path("name").asText()).isEqualTo("apm-key");
    // A second key of the same name: with both options only the id's key goes.
    String other = json(asAdmin("create", "--ingest", "--json").succeeds()).path("id").asText();
    assertThat(json(asAdmin("invalidate", "--id", created.path("id").asText(), "--name", "apm-key", "--json").succeeds())
        .path("invalidated_api_keys").toString()).isEqualTo("[\"" + created.path("id").asText() + "\"]");
    assertThat(json(asAdmin("info", "--id", other, "--json").succeeds()).path("api_keys").get(0).path("valid").asBoolean()).isTrue();
  }

  @Test
  @Order(7)
  void anAdministratorApiKeyManagesKeysInBothFormsButCannotCreateThem() {
    ElasticsearchNode.ApiKey adminKey = es.createApiKey("cli-admin", null, null);
    String made = json(asAdmin("create", "--name", "for-admin-key", "--json").succeeds()).path("id").asText();
    for (String form : List.of(adminKey.encoded(), adminKey.id() + ":" + adminKey.apiKey())) {
      List<String> withKey = List.of("--url", es.url(), "--admin-api-key", form);
      JsonNode info = json(Cli.run(Cli.args(withKey, "info", "--name", "for-admin-key", "--json")).succeeds());
      assertThat(info.path("api_keys").get(0).path("id").asText()).isEqualTo(made);
      assertThat(Cli.run(Cli.args(withKey, "create", "--name", "by-admin-key")).failsWithOneLine(1))
          .isEqualTo("Error: Elasticsearch does not let an API key create keys that carry privileges; create keys with a user's credentials");
    }
    assertThat(Cli.run("--url", es.url(), "--admin-api-key", adminKey.encoded(), "invalidate", "--id", made).succeeds())
        .startsWith("Invalidated keys ... " + made);
  }

  /** The shipped launcher script and jar, with the connection taken from the environment. */
  @Test
  @Order(8)
  void theLauncherRunsTheJarWithSettingsFromTheEnvironment() throws Exception {
    Path launcher = Path.of("apikey").toAbsolutePath();
    assertThat(Files.isExecutable(launcher)).as("%s is executable", launcher).isTrue();
    assertThat(Path.of("target", "apikey.jar")).exists();

    Proc created = launch(Map.of("ELASTICSEARCH_URL", es.url(), "ELASTICSEARCH_USERNAME", es.username(), "ELASTICSEARCH_PASSWORD", es.password()),
        "create", "--name", "from-env", "--ingest", "--json");
    assertThat(created.exit).as(created.err).isZero();
    String credentials = json(created.out).path("credentials").asText();
    Proc verified = launch(Map.of("ELASTICSEARCH_URL", es.url()), "verify", "--ingest", "--credentials", credentials);
    assertThat(verified.exit).as(verified.err).isZero();
    assertThat(verified.out).isEqualTo("Authorized for privilege \"event:write\"...:  Yes\n");

    Proc refused = launch(Map.of("ELASTICSEARCH_URL", es.url(), "ELASTICSEARCH_USERNAME", es.username(), "ELASTICSEARCH_PASSWORD", "wrong"), "list");
    assertThat(refused.exit).isEqualTo(1);
    assertThat(refused.out).isEmpty();
    assertThat(refused.err).isEqualTo("Error: Elasticsearch refused the administrator's credentials (401)\n");
    Proc usage = launch(Map.of(), "create");
    assertThat(usage.exit).isEqualTo(2);
    assertThat(usage.err.lines().toList()).hasSize(1);
  }

  private record Proc(int exit, String out, String err) {}

  private static Proc launch(Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("bash", Path.of("apikey").toAbsolutePath().toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().keySet().removeIf(k -> k.startsWith("ELASTICSEARCH_"));
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().putAll(env);
    Path out = Files.createTempFile("apikey", ".out");
    Path err = Files.createTempFile("apikey", ".err");
    try {
      Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("finished").isTrue();
      return new Proc(p.exitValue(), Files.readString(out), Files.readString(err));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }
}
