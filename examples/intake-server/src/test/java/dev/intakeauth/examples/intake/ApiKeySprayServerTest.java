package dev.intakeauth.examples.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.intakeauth.GeneratedKey;
import dev.intakeauth.Privilege;
import dev.intakeauth.testing.ManualClock;
import dev.intakeauth.testing.TestCredentials;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lock-out attack on the real server, over real TLS sockets: one client sprays unknown
 * {@code ApiKey} values at 1/s for three cache lifetimes. An agent's key in use keeps getting 202,
 * even from the sprayer's own address, and another client's keys, never seen before, get in. The
 * clients differ by source address (all of 127/8 is loopback); the server's cache runs on a manual
 * clock, so the three minutes take a few seconds of TLS handshakes.
 */
class ApiKeySprayServerTest {

  private static final String SPRAYER = "127.0.0.1";
  private static final String OTHER_CLIENT = "127.0.0.2";
  private static final List<Privilege> WRITE = List.of(Privilege.EVENT_WRITE);

  @TempDir Path dir;

  @Test
  void unknownKeySprayFromOneClientLocksOutNeitherKeysInUseNorAnotherClientsNewKeys() throws Exception {
    Path[] pair = Pem.selfSigned(dir);
    List<GeneratedKey> keys = writeKeys("agent", "newcomer-0", "newcomer-1", "newcomer-2");
    GeneratedKey agent = keys.get(0);
    List<GeneratedKey> newcomers = keys.subList(1, keys.size());
    ManualClock clock = new ManualClock();
    IntakeServer server = start(clock, "");
    try (server) {
      Tls tls = new Tls(server.baseUrl(), pair[0]);
      String agentKey = "ApiKey " + agent.credential().encoded();
      assertThat(tls.post(SPRAYER, agentKey).status).isEqualTo(202);

      int sprayRefused = 0;
      int newcomer = 0;
      for (int second = 1; second <= 3 * 60; second++) {
        clock.advance(Duration.ofSeconds(1));
        Response spray = tls.post(SPRAYER, TestCredentials.randomApiKey().authorizationValue());
        assertThat(spray.status).isIn(401, 503);
        if (spray.status == 503) {
          sprayRefused++;
          assertThat(spray.head).containsIgnoringCase("\r\nRetry-After: ");
        }
        if (second % 5 == 0) {
          assertThat(tls.post(SPRAYER, agentKey).status).as("the agent's key at %d s, from the sprayer's address", second).isEqualTo(202);
        }
        if (second % 60 == 30) {
          String key = "ApiKey " + newcomers.get(newcomer++).credential().encoded();
          assertThat(tls.post(OTHER_CLIENT, key).status).as("another client's new key at %d s", second).isEqualTo(202);
        }
      }
      assertThat(newcomer).isEqualTo(3);
      assertThat(sprayRefused).as("the sprayer was held to its share of 1 new key a minute").isEqualTo(180 - 3);
      assertThat(server.acceptedEvents()).isEqualTo(1 + 36 + 3);
    }
  }

  @Test
  void rotatingAddressesWithinOneIpv6NetworkDoesNotMultiplyTheApiKeyShare() throws Exception {
    Path[] pair = Pem.selfSigned(dir);
    List<GeneratedKey> keys = writeKeys("agent-0", "agent-1", "agent-2", "agent-3");
    ManualClock clock = new ManualClock();
    // The clients are behind a trusted proxy (this test's own connections) that names them in X-Forwarded-For.
    IntakeServer server = start(clock, """
          trusted_proxies: ["127.0.0.1"]
          api_key.limit_per_client: 1
        """);
    try (server) {
      Tls tls = new Tls(server.baseUrl(), pair[0]);
      String first = "X-Forwarded-For: 2001:db8:1:2::1\r\n";
      assertThat(tls.post(SPRAYER, "ApiKey " + keys.get(0).credential().encoded(), first).status).isEqualTo(202);
      // Other addresses of the same /64 are the same client: its one new key a minute is spent.
      for (int i = 1; i <= 2; i++) {
        String sameNetwork = "X-Forwarded-For: 2001:db8:1:2:" + Integer.toHexString(0x1000 * i) + "::" + i + "\r\n";
        Response refused = tls.post(SPRAYER, "ApiKey " + keys.get(i).credential().encoded(), sameNetwork);
        assertThat(refused.status).as("a new key from %s", sameNetwork.strip()).isEqualTo(503);
        assertThat(refused.head).containsIgnoringCase("\r\nRetry-After: ");
      }
      // Another network is another client with a share of its own.
      String otherNetwork = "X-Forwarded-For: 2001:db8:9:9::1\r\n";
      assertThat(tls.post(SPRAYER, "ApiKey " + keys.get(3).credential().encoded(), otherNetwork).status).isEqualTo(202);
      // A minute later the first network's share has refilled.
      clock.advance(Duration.ofSeconds(61));
      assertThat(tls.post(SPRAYER, "ApiKey " + keys.get(1).credential().encoded(), "X-Forwarded-For: 2001:db8:1:2::ffff\r\n").status)
          .isEqualTo(202);
    }
  }

  @Test
  void thePerClientShareIsASettingAndABadValueNamesIt() {
    ServerConfig unset = ServerConfig.parse("apm-server.auth.api_key.limit: 50\n", null, Map.of());
    assertThat(unset.optionalInteger(ServerConfig.Setting.API_KEY_LIMIT_PER_CLIENT)).isNull();
    ServerConfig set = ServerConfig.parse("intake-auth:\n  api_key:\n    limit_per_client: 5\n", null, Map.of());
    assertThat(set.optionalInteger(ServerConfig.Setting.API_KEY_LIMIT_PER_CLIENT)).isEqualTo(5);
    assertThat(ServerConfig.parse("", null, Map.of("INTAKE_AUTH_API_KEY_LIMIT_PER_CLIENT", "7"))
        .optionalInteger(ServerConfig.Setting.API_KEY_LIMIT_PER_CLIENT)).isEqualTo(7);
    assertThatThrownBy(() -> ServerConfig.parse("intake-auth.api_key.limit_per_client: 0\n", null, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("intake-auth.api_key.limit_per_client: expected a positive whole number, got \"0\"");
  }

  /** Writes the key file: one key a name, each with event:write only. */
  private List<GeneratedKey> writeKeys(String... names) throws IOException {
    List<GeneratedKey> keys = new ArrayList<>();
    StringBuilder lines = new StringBuilder();
    for (String name : names) {
      GeneratedKey k = GeneratedKey.generate(name, WRITE, null);
      keys.add(k);
      lines.append(k.keyFileLine()).append('\n');
    }
    Files.writeString(dir.resolve("keys.txt"), lines);
    return keys;
  }

  /**
   * Starts the server over TLS with the key file, a budget of 10 new keys a minute and this time
   * source for the key cache.
   *
   * @param intakeAuthSettings more settings under {@code intake-auth:}, each line indented by two spaces
   */
  private IntakeServer start(ManualClock clock, String intakeAuthSettings) throws IOException {
    Path config = dir.resolve("apm-server.yml");
    Files.writeString(config, """
        apm-server:
          host: 127.0.0.1:0
          auth:
            api_key:
              enabled: true
              limit: 10
          ssl:
            certificate: cert.pem
            key: key.pem
        intake-auth:
          keys_file: keys.txt
        """ + intakeAuthSettings);
    IntakeServer server = new IntakeServer(Map.of(), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    server.time = clock;
    assertThat(IntakeServer.commandLine(server).execute("--config", config.toString())).isZero();
    return server;
  }

  private record Response(int status, String head) {}

  /** Raw HTTP/1.1 over TLS from a chosen source address, which the JDK's HTTP client cannot pick. */
  private static final class Tls {
    private final SSLContext context;
    private final InetAddress host;
    private final int port;

    Tls(String baseUrl, Path certificate) throws Exception {
      context = Client.trusting(certificate);
      URI uri = URI.create(baseUrl);
      host = InetAddress.getByName(uri.getHost());
      port = uri.getPort();
    }

    Response post(String from, String authorization) throws Exception {
      return post(from, authorization, "");
    }

    Response post(String from, String authorization, String extraHeaders) throws Exception {
      byte[] body = Client.events("checkout", "java", 1).getBytes(StandardCharsets.UTF_8);
      try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(host, port, InetAddress.getByName(from), 0)) {
        socket.setSoTimeout(10_000);
        OutputStream out = socket.getOutputStream();
        out.write(("POST /intake/v2/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + authorization
            + "\r\n" + extraHeaders + "Content-Type: application/x-ndjson\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
        String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        int end = response.indexOf("\r\n\r\n");
        String head = end < 0 ? response : response.substring(0, end + 2);
        return new Response(Integer.parseInt(head.substring(9, 12)), head);
      }
    }
  }
}
