package dev.intakeauth.examples.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.intakeauth.elasticsearch.VerificationMode;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's Elasticsearch settings: {@code ssl.verification_mode} reaches the connection, and a
 * host URL carrying a password is refused before anything is logged, without repeating it.
 */
class ElasticsearchSettingsTest {

  private static final String KEY = Base64.getEncoder().encodeToString("key-id:agent-secret-42".getBytes(StandardCharsets.UTF_8));
  private static final String GRANTED = "{\"username\":\"agent\",\"application\":{\"apm\":{\"-\":"
      + "{\"event:write\":true,\"config_agent:read\":true,\"sourcemap:write\":true}}}}";

  @TempDir Path dir;

  private HttpsServer es;
  private final List<String> received = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    if (es != null) {
      es.stop(0);
    }
  }

  private static ServerConfig parse(String yaml, Map<String, String> env) {
    return ServerConfig.parse(yaml, Path.of("/etc/intake/apm-server.yml"), env);
  }

  @Test
  void verificationModeDefaultsToFullAndTakesElasticsNames() {
    String base = "apm-server.auth.api_key.enabled: true\napm-server.auth.api_key.elasticsearch.hosts: [\"https://es:9200\"]\n";
    assertThat(parse(base, Map.of()).elasticsearchVerificationMode()).isEqualTo(VerificationMode.FULL);
    assertThat(parse(base + "apm-server.auth.api_key.elasticsearch.ssl.verification_mode: certificate\n", Map.of())
        .elasticsearchVerificationMode()).isEqualTo(VerificationMode.CERTIFICATE);
    assertThat(parse(base, Map.of("APM_SERVER_AUTH_API_KEY_ELASTICSEARCH_SSL_VERIFICATION_MODE", "none")).elasticsearchVerificationMode())
        .isEqualTo(VerificationMode.NONE);
    assertThatThrownBy(() -> parse(base + "apm-server.auth.api_key.elasticsearch.ssl.verification_mode: strict\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("apm-server.auth.api_key.elasticsearch.ssl.verification_mode: expected full, certificate or none");
  }

  @Test
  void aHostUrlWithAPasswordIsRefusedWhileReadingWithoutRepeatingIt() {
    String yaml = "apm-server.auth.api_key.enabled: true\napm-server.auth.api_key.elasticsearch.hosts: [\"%s\"]\n";
    for (String host : List.of("https://admin:hunter2@es:9200", "admin:hunter2@es:9200", "https://admin:hun/ter2@es:9200")) {
      assertThatThrownBy(() -> parse(String.format(yaml, host), Map.of())).isInstanceOf(ConfigException.class)
          .hasMessage("apm-server.auth.api_key.elasticsearch.hosts: a host must not carry a user name or password"
              + " (API keys are checked with each agent's own key)");
    }
    assertThatThrownBy(() -> parse("apm-server.auth.api_key.enabled: true\n",
        Map.of("APM_SERVER_AUTH_API_KEY_ELASTICSEARCH_HOSTS", "https://admin:hunter2@es:9200")))
        .isInstanceOf(ConfigException.class).message().doesNotContain("hunter2");
  }

  @Test
  void aHostUrlWithAPasswordIsNeverLoggedAtStart() throws Exception {
    Path config = dir.resolve("apm-server.yml");
    Files.writeString(config, """
        apm-server.host: 127.0.0.1:0
        apm-server.auth.api_key.enabled: true
        apm-server.auth.api_key.elasticsearch.hosts: ["https://admin:hunter2@127.0.0.1:9200"]
        """);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream systemErr = System.err;
    System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
    int code;
    try (IntakeServer server = new IntakeServer(Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8))) {
      picocli.CommandLine cl = IntakeServer.commandLine(server);
      cl.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
      code = cl.execute("--config", config.toString());
    } finally {
      System.setErr(systemErr);
    }
    for (ByteArrayOutputStream written : List.of(log, out, err)) {
      assertThat(written.toString(StandardCharsets.UTF_8)).doesNotContain("hunter2");
    }
    assertThat(code).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("Error: apm-server.auth.api_key.elasticsearch.hosts: a host must not carry");
  }

  @Test
  void tlsTrustSettingsWithAPlainHttpHostStopTheStartInsteadOfSendingKeysInClear() throws Exception {
    String pin = "apm-server.auth.api_key.elasticsearch.ssl.ca_trusted_fingerprint: \"" + "ab".repeat(32) + "\"\n";
    Path ca = dir.resolve("ca.pem");
    Files.writeString(ca, "not read before the hosts are checked\n");
    for (String hosts : List.of("[\"es.example:9200\"]", "[\"http://es.example:9200\"]", "[\"https://es1:9200\", \"HTTP://es2:9200\"]")) {
      for (String trust : List.of(pin, "apm-server.auth.api_key.elasticsearch.ssl.certificate_authorities: [\"" + ca + "\"]\n")) {
        Path config = dir.resolve("apm-server.yml");
        Files.writeString(config, "apm-server.host: 127.0.0.1:0\napm-server.auth.api_key.enabled: true\n"
            + "apm-server.auth.api_key.elasticsearch.hosts: " + hosts + "\n" + trust);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (IntakeServer server = new IntakeServer(Map.of(), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))) {
          picocli.CommandLine cl = IntakeServer.commandLine(server);
          cl.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
          code = cl.execute("--config", config.toString());
        }
        assertThat(code).as(hosts + " with " + trust).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("Error: apm-server.auth.api_key.elasticsearch.hosts: ")
            .contains("is plain HTTP while").contains("use https:// hosts or apm-server.auth.api_key.elasticsearch.protocol: https");
      }
    }
  }

  // --- verification_mode on a real TLS connection from the running server ---

  /** An HTTPS stand-in for Elasticsearch whose self-signed certificate names only other.example; returns its fingerprint. */
  private String elasticsearchForAnotherHost() throws Exception {
    Path store = dir.resolve("es.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
        "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit", "-alias", "es",
        "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=other.example", "-ext", "SAN=dns:other.example", "-validity", "2")
        .redirectErrorStream(true).start();
    keytool.getInputStream().readAllBytes();
    assertThat(keytool.waitFor()).isZero();
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      keys.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, "changeit".toCharArray());
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(kmf.getKeyManagers(), null, null);
    es = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    es.setHttpsConfigurator(new HttpsConfigurator(ssl));
    es.createContext("/", exchange -> {
      received.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
      try (InputStream in = exchange.getRequestBody()) {
        in.readAllBytes();
      }
      byte[] body = GRANTED.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    es.start();
    return HexFormat.ofDelimiter(":").formatHex(MessageDigest.getInstance("SHA-256").digest(keys.getCertificate("es").getEncoded()));
  }

  private int send(String trust) throws Exception {
    Path config = dir.resolve("apm-server-" + received.size() + "-" + System.nanoTime() + ".yml");
    Files.writeString(config, """
        apm-server.host: 127.0.0.1:0
        apm-server.auth.api_key.enabled: true
        apm-server.auth.api_key.elasticsearch.hosts: ["https://127.0.0.1:%d"]
        intake-auth.allow_plain_http_credentials: true
        %s
        """.formatted(es.getAddress().getPort(), trust));
    try (IntakeServer server = IntakeServerTest.started(Map.of(), "--config", config.toString())) {
      return new Client(server.baseUrl(), null).post("/intake/v2/events", Client.events("shop", "java", 1), "ApiKey " + KEY).statusCode();
    }
  }

  @Test
  void verificationModeReachesTheServersElasticsearchConnection() throws Exception {
    String fingerprint = elasticsearchForAnotherHost();
    String pin = "apm-server.auth.api_key.elasticsearch.ssl.ca_trusted_fingerprint: \"" + fingerprint + "\"\n";
    String mode = "apm-server.auth.api_key.elasticsearch.ssl.verification_mode: ";

    assertThat(send(pin)).as("full (the default): the certificate does not name 127.0.0.1").isEqualTo(503);
    assertThat(send(pin + mode + "full")).isEqualTo(503);
    assertThat(received).as("no request reached the server whose name did not match").isEmpty();

    assertThat(send(pin + mode + "certificate")).isEqualTo(202);
    assertThat(send(mode + "certificate")).as("certificate still checks the chain").isEqualTo(503);
    assertThat(send(mode + "none")).isEqualTo(202);
    assertThat(received).containsOnly("ApiKey " + KEY).hasSize(2);
  }
}
