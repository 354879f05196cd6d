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
    assertThatThrownBy(() -> parse("apm-server.auth.secret_token: ${NOPE}"))
        .hasMessage("apm-server.auth.secret_token: environment variable NOPE is not set and has no default");
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
}
