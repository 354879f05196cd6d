package dev.intakeauth.examples.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The anonymous rate limit in the real server behind a trusted proxy (the test client on 127.0.0.1
 * plays the proxy): the configured forwarding header, IPv6 grouping and the global ceiling.
 */
class ClientAddressServerTest {

  private static final String RUM = "/intake/v2/rum/events";

  @TempDir Path dir;

  private final HttpClient http = HttpClient.newHttpClient();

  private IntakeServer start(String settings) throws Exception {
    Path config = dir.resolve("apm-server.yml");
    Files.writeString(config, """
        apm-server.host: 127.0.0.1:0
        apm-server.auth.secret_token: s3cret
        apm-server.auth.anonymous.enabled: true
        intake-auth.trusted_proxies: [127.0.0.1]
        """ + settings);
    return IntakeServerTest.started(Map.of(), "--config", config.toString());
  }

  /** One anonymous RUM request with one event: two tokens, one for the request and one for the event. */
  private int send(IntakeServer server, String... headers) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(server.baseUrl() + RUM))
        .header("Content-Type", "application/x-ndjson")
        .POST(HttpRequest.BodyPublishers.ofString(Client.events("shop", "rum-js", 1)));
    for (int i = 0; i < headers.length; i += 2) {
      r.header(headers[i], headers[i + 1]);
    }
    return http.send(r.build(), HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  @Test
  void addressesRotatedWithinOneSlash64AndSpoofedForwardedHeadersShareOneBudget() throws Exception {
    // 1 event a second, burst 3: one request of one event, then one more every 2 s of refill.
    try (IntakeServer server = start("apm-server.auth.anonymous.rate_limit.event_limit: 1\n")) {
      long started = System.nanoTime();
      int accepted = 0;
      for (int i = 1; i <= 20; i++) {
        // The client writes Forwarded and X-Real-IP itself; the proxy appends what it saw to X-Forwarded-For.
        if (send(server, "Forwarded", "for=\"[2001:db8:9::" + i + "]\"", "X-Real-IP", "192.0.2." + i,
            "X-Forwarded-For", "[2001:db8:1:2::" + Integer.toHexString(i) + "]:4711") == 202) {
          accepted++;
        }
      }
      // One client's burst and what refilled meanwhile, not twenty clients' bursts.
      assertThat(accepted).isBetween(1, 1 + refilled(started, 0.5));
      assertThat(send(server, "X-Forwarded-For", "[2001:db8:1:3::1]:4711")).as("another /64 is another client").isEqualTo(202);
    }
  }

  @Test
  void theConfiguredForwardedHeaderAndIpv6PrefixAreHonoured() throws Exception {
    try (IntakeServer server = start("""
        apm-server.auth.anonymous.rate_limit.event_limit: 1
        intake-auth.forwarded_header: forwarded
        intake-auth.anonymous.ipv6_prefix: 128
        """)) {
      for (int i = 1; i <= 20; i++) {
        // With /128 each address is a client with a burst of its own; X-Forwarded-For is not the configured header.
        assertThat(send(server, "X-Forwarded-For", "198.51.100.1", "Forwarded", "for=\"[2001:db8:1:2::" + Integer.toHexString(i) + "]\""))
            .isEqualTo(202);
      }
      assertThat(send(server, "X-Forwarded-For", "198.51.100.2", "Forwarded", "for=\"[2001:db8:1:2::1]\"")).isEqualTo(429);
    }
  }

  @Test
  void theGlobalCeilingHoldsAgainstManyClients() throws Exception {
    // 2 anonymous events a second in all: one request of one event, then one a second.
    try (IntakeServer server = start("intake-auth.anonymous.global_event_limit: 2\n")) {
      long started = System.nanoTime();
      int accepted = 0;
      for (int i = 1; i <= 20; i++) {
        if (send(server, "X-Forwarded-For", "198.51.100." + i) == 202) {
          accepted++;
        }
      }
      assertThat(accepted).isBetween(1, 1 + refilled(started, 1));
    }
  }

  /** Requests that refilled since {@code started} at this many a second, rounded up, plus one for a partial one. */
  private static int refilled(long started, double perSecond) {
    return (int) Math.ceil((System.nanoTime() - started) / 1e9 * perSecond) + 1;
  }

  @Test
  void theDefaultsAreXForwardedForSlash64AndNoCeiling() {
    ServerConfig defaults = ServerConfig.defaults(Map.of());
    assertThat(defaults.string(ServerConfig.Setting.FORWARDED_HEADER)).isEqualTo("x-forwarded-for");
    assertThat(defaults.integer(ServerConfig.Setting.IPV6_PREFIX)).isEqualTo(64);
    assertThat(defaults.string(ServerConfig.Setting.GLOBAL_EVENT_LIMIT)).isEqualTo("0");
  }

  @Test
  void badSettingsFailAtStartNamingTheSetting() throws Exception {
    assertThat(startError("intake-auth.forwarded_header: x-forwarded-host\n"))
        .isEqualTo("Error: intake-auth.forwarded_header: expected x-forwarded-for, forwarded or x-real-ip\n");
    assertThat(startError("intake-auth.anonymous.ipv6_prefix: 129\n"))
        .isEqualTo("Error: intake-auth.anonymous.ipv6_prefix: the IPv6 prefix length must be from 1 to 128, got 129\n");
    assertThat(startError("intake-auth.anonymous.global_event_limit: -5\n"))
        .isEqualTo("Error: intake-auth.anonymous.global_event_limit: expected a whole number of events a second, or 0 for no ceiling\n");
    assertThat(startError("intake-auth.anonymous.global_event_limit: lots\n")).contains("intake-auth.anonymous.global_event_limit");
  }

  private String startError(String settings) throws Exception {
    Path config = dir.resolve("bad.yml");
    Files.writeString(config, "apm-server.host: 127.0.0.1:0\napm-server.auth.secret_token: s3cret\n" + settings);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    IntakeServer server = new IntakeServer(Map.of(), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    picocli.CommandLine cl = IntakeServer.commandLine(server);
    cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    assertThat(cl.execute("--config", config.toString())).isEqualTo(1);
    return err.toString(StandardCharsets.UTF_8);
  }
}
