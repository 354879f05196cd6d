package dev.intakeauth.examples.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServerConfigTest {

  private static ServerConfig parse(String yaml, Map<String, String> env) {
    return ServerConfig.parse(yaml, Path.of("/etc/intake/apm-server.yml"), env);
  }

  private static ServerConfig parse(String yaml) {
    return parse(yaml, Map.of());
  }

  private static void fails(String yaml, String message) {
    assertThatThrownBy(() -> parse(yaml)).isInstanceOf(ConfigException.class).hasMessage(message);
  }

  @Test
  void defaultsAreApmServers() {
    ServerConfig c = ServerConfig.defaults(Map.of());
    assertThat(c.port()).isEqualTo(8200);
    assertThat(c.bindHost()).isEqualTo("127.0.0.1");
    assertThat(c.secretToken()).isNull();
    assertThat(c.apiKeysEnabled()).isFalse();
    assertThat(c.anonymousEnabled()).isFalse();
    assertThat(c.integer(ServerConfig.Setting.API_KEY_LIMIT)).isEqualTo(100);
    assertThat(c.integer(ServerConfig.Setting.EVENT_LIMIT)).isEqualTo(300);
    assertThat(c.integer(ServerConfig.Setting.IP_LIMIT)).isEqualTo(1000);
    assertThat(c.list(ServerConfig.Setting.ALLOW_AGENT)).containsExactly("rum-js", "js-base");
    assertThat(c.list(ServerConfig.Setting.ALLOW_SERVICE)).isEmpty();
    assertThat(c.tlsEnabled()).isFalse();
  }

  @Test
  void nestedAndDottedFormsMix() {
    ServerConfig c = parse("""
        apm-server.host: "0.0.0.0:8201"
        apm-server:
          auth:
            secret_token: abc
            api_key.enabled: true
            api_key:
              limit: 50
              elasticsearch.hosts: ["es1:9200", "es2:9200"]
          auth.anonymous.allow_service: [shop]
          rum.enabled: true
        """);
    assertThat(c.port()).isEqualTo(8201);
    assertThat(c.secretToken()).isEqualTo("abc");
    assertThat(c.integer(ServerConfig.Setting.API_KEY_LIMIT)).isEqualTo(50);
    assertThat(c.elasticsearchHosts()).containsExactly("es1:9200", "es2:9200");
    assertThat(c.list(ServerConfig.Setting.ALLOW_SERVICE)).containsExactly("shop");
    assertThat(c.anonymousEnabled()).as("RUM turns anonymous access on, as in APM Server").isTrue();
  }

  @Test
  void environmentOverridesAndExpands() {
    ServerConfig c = parse("""
        apm-server.auth.secret_token: ${TOKEN}
        apm-server.auth.anonymous.rate_limit.event_limit: ${LIMIT:25}
        """, Map.of("TOKEN", "from-env", "APM_SERVER_AUTH_ANONYMOUS_ALLOW_AGENT", "rum-js, custom"));
    assertThat(c.secretToken()).isEqualTo("from-env");
    assertThat(c.integer(ServerConfig.Setting.EVENT_LIMIT)).isEqualTo(25);
    assertThat(c.list(ServerConfig.Setting.ALLOW_AGENT)).containsExactly("rum-js", "custom");
    assertThat(parse("apm-server.auth.secret_token: a", Map.of("APM_SERVER_AUTH_SECRET_TOKEN", "b")).secretToken()).isEqualTo("b");
    assertThatThrownBy(() -> parse("apm-server.auth.anonymous.allow_agent: ${NOPE}"))
        .hasMessage("apm-server.auth.anonymous.allow_agent: environment variable NOPE is not set and has no default");
  }

  @Test
  void badSettingsAreNamed() {
    fails("apm-server.auth.secret-token: x", "unknown setting \"apm-server.auth.secret-token\" (did you mean \"apm-server.auth.secret_token\"?)");
    fails("apm-server.frobnicate: 1", "unknown setting \"apm-server.frobnicate\"");
    fails("apm-server.auth.api_key.enabled: yes please", "apm-server.auth.api_key.enabled: expected true or false, got \"yes please\"");
    fails("apm-server.auth.api_key.limit: -3", "apm-server.auth.api_key.limit: expected a positive whole number, got \"-3\"");
    fails("apm-server.host: localhost", "apm-server.host: expected host:port, such as 127.0.0.1:8200");
    fails("apm-server.auth.api_key.elasticsearch.hosts: [es:9200]", "apm-server.auth.api_key.enabled: API keys are configured but not enabled; set it to true");
    fails("apm-server.auth.api_key.enabled: true", "apm-server.auth.api_key.enabled: give apm-server.auth.api_key.elasticsearch.hosts or intake-auth.keys_file");
    fails("apm-server.auth.anonymous.enabled: true",
        "apm-server.auth.anonymous.enabled: anonymous access needs a secret token or API keys (without them every request is let in)");
    fails("apm-server.ssl.enabled: true", "apm-server.ssl.enabled: TLS needs apm-server.ssl.certificate and apm-server.ssl.key");
    fails("apm-server.auth.api_key.elasticsearch.timeout: soon\napm-server.auth.api_key.enabled: true\napm-server.auth.api_key.elasticsearch.hosts: [x]",
        "apm-server.auth.api_key.elasticsearch.timeout: expected a duration such as 500ms, 5s, 1m, got \"soon\"");
    fails("apm-server.host: [1, 2]", "apm-server.host: expected a single value");
    fails("apm-server: [1, 2]", "unknown setting \"apm-server\"");
    assertThatThrownBy(() -> parse("apm-server:\n  host: [unclosed")).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("the configuration is not valid YAML at line");
  }

  @Test
  void secretsNeverShow() {
    assertThatThrownBy(() -> parse("apm-server.auth.secret_token: [a, b]")).hasMessageNotContaining("a, b");
    ServerConfig c = parse("apm-server.auth.secret_token: hunter2-token");
    assertThat(c.toString()).contains("apm-server.auth.secret_token=***").doesNotContain("hunter2");
  }

  @Test
  void yamlSyntaxErrorOnTheSecretTokenLineNamesTheLineButNotTheSecret() {
    // an unclosed quote, a second colon, a tab: each parser message would quote the line
    assertThatThrownBy(() -> parse("apm-server:\n  host: 127.0.0.1:0\n  auth:\n    secret_token: \"hunter2-s3cret\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("the configuration is not valid YAML at line 5, column 1, in apm-server.auth.secret_token (the line is not shown: it may hold a secret)");
    assertThatThrownBy(() -> parse("apm-server:\n  auth:\n    secret_token: hunter2: s3cret\n"))
        .hasMessage("the configuration is not valid YAML at line 3, column 26, in apm-server.auth.secret_token (the line is not shown: it may hold a secret)");
    assertThatThrownBy(() -> parse("apm-server:\n  auth:\n\tsecret_token: hunter2-s3cret\n"))
        .hasMessageStartingWith("the configuration is not valid YAML at line 3")
        .hasMessageNotContaining("hunter2");
    assertThatThrownBy(() -> parse("apm-server.auth.api_key.elasticsearch.password: 'hunter2\\z' x 'y\n"))
        .hasMessageStartingWith("the configuration is not valid YAML at line 1")
        .hasMessageContaining("in apm-server.auth.api_key.elasticsearch.password")
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void configErrorsAboutSecretSettingsNeverEchoTheirValue() {
    // a mapping under a secret: its key may be the secret itself
    assertThatThrownBy(() -> parse("apm-server.auth.secret_token:\n  hunter2-s3cret: x\n"))
        .hasMessage("apm-server.auth.secret_token: expected a single value");
    assertThatThrownBy(() -> parse("apm-server.auth.api_key.elasticsearch.api_key: [hunter2-s3cret]"))
        .hasMessage("apm-server.auth.api_key.elasticsearch.api_key: expected a single value");
    // what looks like ${NAME} inside a secret may be part of it
    assertThatThrownBy(() -> parse("apm-server.auth.secret_token: hunter2${S3CRET}"))
        .hasMessage("apm-server.auth.secret_token: an environment variable it names is not set and has no default");
    // an override from the environment
    assertThatThrownBy(() -> parse("", Map.of("APM_SERVER_AUTH_SECRET_TOKEN", "hunter2${S3CRET}")))
        .hasMessageNotContaining("S3CRET").hasMessageNotContaining("hunter2");
    assertThatThrownBy(() -> parse("apm-server.auth.secret_token: x\napm-server.auth.anonymous.enabled: maybe", Map.of("APM_SERVER_AUTH_SECRET_TOKEN", "hunter2")))
        .hasMessage("apm-server.auth.anonymous.enabled: expected true or false, got \"maybe\"");
    ServerConfig c = parse("apm-server.auth.api_key.elasticsearch.password: hunter2-pw\n", Map.of("APM_SERVER_AUTH_SECRET_TOKEN", "hunter2-env"));
    assertThat(c.toString()).doesNotContain("hunter2");
  }

  @Test
  void transportLimitsHaveDefaultsAndRefuseZero() {
    ServerConfig c = ServerConfig.defaults(Map.of());
    assertThat(c.integer(ServerConfig.Setting.MAX_DECOMPRESSED_SIZE)).isEqualTo(20 * 1024 * 1024);
    assertThat(c.integer(ServerConfig.Setting.MAX_LINES)).isEqualTo(100_000);
    assertThat(c.integer(ServerConfig.Setting.MIN_REQUEST_DATA_RATE)).isEqualTo(10);
    assertThat(c.duration(ServerConfig.Setting.READ_TIMEOUT)).isEqualTo(Duration.ofHours(1));
    assertThat(c.duration(ServerConfig.Setting.IDLE_TIMEOUT)).isEqualTo(Duration.ofSeconds(45));
    fails("apm-server.idle_timeout: 0s", "apm-server.idle_timeout: must be longer than 0s");
    fails("intake-auth.max_decompressed_size: 0", "intake-auth.max_decompressed_size: expected a positive whole number, got \"0\"");
  }

  @Test
  void aDurationTooLargeForALongIsAConfigErrorNamingTheSettingNotACrash() {
    // Each once escaped as NumberFormatException or ArithmeticException: "the server could not start (...)".
    fails("apm-server.read_timeout: 99999999999999999999s",
        "apm-server.read_timeout: expected a duration such as 500ms, 5s, 1m, got \"99999999999999999999s\"");
    fails("apm-server.read_timeout: 9999999999999999h", "apm-server.read_timeout: too long, got \"9999999999999999h\"");
    fails("apm-server.idle_timeout: 9223372036854776s", "apm-server.idle_timeout: too long, got \"9223372036854776s\"");
    assertThat(parse("apm-server.idle_timeout: 9223372036854775ms").duration(ServerConfig.Setting.IDLE_TIMEOUT).toMillis())
        .isEqualTo(9223372036854775L);
  }

  @Test
  void pathsAreRelativeToTheFile() {
    ServerConfig c = parse("apm-server.ssl.certificate: cert.pem\napm-server.ssl.key: /abs/key.pem");
    assertThat(c.tlsEnabled()).isTrue();
    assertThat(c.tlsCertificate()).isEqualTo(Path.of("/etc/intake/cert.pem"));
    assertThat(c.tlsKey()).isEqualTo(Path.of("/abs/key.pem"));
    assertThat(parse("apm-server.auth.api_key.enabled: true\napm-server.auth.api_key.elasticsearch.hosts: [x]").elasticsearchTimeout())
        .isEqualTo(Duration.ofSeconds(5));
    assertThat(ServerConfig.knownSettings()).contains("apm-server.auth.api_key.limit", "intake-auth.trusted_proxies");
    assertThat(List.of(ServerConfig.Setting.values())).allSatisfy(s -> assertThat(s.environmentName()).matches("[A-Z][A-Z0-9_]*"));
  }

  @Test
  void theRevocationFeedNeedsElasticsearchAndTheServersOwnCredential() {
    fails("apm-server.auth.secret_token: t\nintake-auth.revocation.enabled: true\n",
        "intake-auth.revocation.enabled: the revocation feed asks Elasticsearch; it needs API keys from"
            + " apm-server.auth.api_key.elasticsearch.hosts (a keys file is reloaded instead: intake-auth.reload.enabled)");
    fails("apm-server.auth.api_key: {enabled: true}\nintake-auth.keys_file: keys.txt\nintake-auth.revocation.enabled: true\n",
        "intake-auth.revocation.enabled: the revocation feed asks Elasticsearch; it needs API keys from"
            + " apm-server.auth.api_key.elasticsearch.hosts (a keys file is reloaded instead: intake-auth.reload.enabled)");
    String es = "apm-server.auth.api_key: {enabled: true, elasticsearch: {hosts: [\"https://es:9200\"]%s}}\nintake-auth.revocation.enabled: true\n";
    String noCredential = "intake-auth.revocation.enabled: the revocation feed asks with the server's own credential: set"
        + " apm-server.auth.api_key.elasticsearch.api_key, or apm-server.auth.api_key.elasticsearch.username and"
        + " apm-server.auth.api_key.elasticsearch.password (cluster privilege read_security on 8.5+, manage_api_key on 7.x)";
    fails(es.formatted(""), noCredential);
    fails(es.formatted(", username: feed"), noCredential);
    assertThat(parse(es.formatted(", username: feed, password: pw")).revocationEnabled()).isTrue();
    assertThat(parse(es.formatted(", api_key: a2V5OnNlY3JldA==")).revocationEnabled()).isTrue();
    assertThat(parse(es.formatted(", api_key: a2V5OnNlY3JldA==")).duration(ServerConfig.Setting.REVOCATION_PERIOD)).isEqualTo(java.time.Duration.ofSeconds(5));
    fails(es.formatted(", api_key: k") + "intake-auth.revocation.period: 0s\n", "intake-auth.revocation.period: must be longer than 0s");
  }
}
