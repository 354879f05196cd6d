package dev.intakeauth.examples.intake;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow uploads against the real server: clients that send their headers, then a byte now and then.
 * These tests trickle on the wall clock, since that is what the attack is; the settings keep it short.
 */
class IntakeServerSlowClientTest {

  private static final String HEAD = "POST /intake/v2/rum/events HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-ndjson\r\n"
      + "Content-Length: 100000\r\n\r\n";

  @TempDir Path dir;
  private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
  private final List<Socket> sockets = new ArrayList<>();

  @AfterEach
  void closeAll() throws IOException {
    ticker.shutdownNow();
    for (Socket s : sockets) {
      s.close();
    }
  }

  private IntakeServer start(String extra) throws IOException {
    return IntakeServerTest.startedAnonymous(dir, extra);
  }

  /** Opens {@code count} anonymous uploads that send their headers and one byte, then a byte a second. */
  private List<Socket> trickle(IntakeServer server, int count) throws IOException {
    URI uri = URI.create(server.baseUrl());
    List<Socket> opened = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Socket s = new Socket(uri.getHost(), uri.getPort());
      s.setSoTimeout(15_000);
      s.getOutputStream().write((HEAD + " ").getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      opened.add(s);
    }
    sockets.addAll(opened);
    ticker.scheduleAtFixedRate(() -> {
      for (Socket s : opened) {
        try {
          s.getOutputStream().write(' ');
          s.getOutputStream().flush();
        } catch (IOException e) {
          // cut by the server
        }
      }
    }, 1, 1, TimeUnit.SECONDS);
    return opened;
  }

  private static long rootLatencyMillis(IntakeServer server) throws Exception {
    long start = System.nanoTime();
    Client.Raw r = Client.raw(server.baseUrl(), "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n", new byte[0]);
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertThat(r.status()).isEqualTo(200);
    return millis;
  }

  @Test
  void threeHundredTricklingUploadsDoNotDelayARequestToTheRoot() throws Exception {
    // A rate of 1 byte/s lets these tricklers stay: what is tested is that they hold no thread.
    try (IntakeServer server = start("intake-auth.min_request_data_rate: 1\n")) {
      rootLatencyMillis(server); // a first request warms the server up: its latency is not the tricklers' doing
      List<Socket> tricklers = trickle(server, 300);
      long worst = 0;
      for (int i = 0; i < 4; i++) {
        Thread.sleep(700);
        worst = Math.max(worst, rootLatencyMillis(server));
      }
      assertThat(worst).as("GET / while 300 uploads trickle").isLessThan(1000);
      // and the uploads were still open and unanswered all along
      for (Socket s : tricklers) {
        assertThat(s.isClosed()).isFalse();
        assertThat(s.getInputStream().available()).isZero();
      }
    }
  }

  @Test
  void tricklingUploadsAreCutByTheMinimumDataRate() throws Exception {
    try (IntakeServer server = start("")) {
      long start = System.nanoTime();
      for (Socket s : trickle(server, 20)) {
        Client.Raw r = Client.readResponse(s.getInputStream());
        assertThat(r.status()).isEqualTo(408);
        assertThat(new ObjectMapper().readTree(r.body()).path("error").asText()).isEqualTo("request timeout: the body arrived slower than 10 bytes per second");
        assertThat(r.headers().get("Connection")).isEqualTo("close");
      }
      // cut at their second byte, a second in: not after the idle or read timeout
      assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(10_000);
      assertThat(rootLatencyMillis(server)).isLessThan(1000);
    }
  }

  @Test
  void anUploadFastEnoughForTheRateIsCutAtTheReadTimeout() throws Exception {
    try (IntakeServer server = start("intake-auth.min_request_data_rate: 1\napm-server.read_timeout: 2s\n")) {
      Socket s = trickle(server, 1).get(0);
      Client.Raw r = Client.readResponse(s.getInputStream());
      assertThat(r.status()).isEqualTo(408);
      assertThat(r.body()).isEqualTo("{\"error\":\"request timeout: the body was not read within the read timeout\"}");
    }
  }

  @Test
  void aClientThatSendsHeadersAndNoBodyMeetsTheIdleTimeout() throws Exception {
    try (IntakeServer server = start("apm-server.idle_timeout: 1s\n")) {
      URI uri = URI.create(server.baseUrl());
      Socket s = new Socket(uri.getHost(), uri.getPort());
      sockets.add(s);
      s.setSoTimeout(15_000);
      s.getOutputStream().write(HEAD.getBytes(StandardCharsets.ISO_8859_1));
      InputStream in = s.getInputStream();
      Client.Raw r = Client.readResponse(in);
      assertThat(r.status()).isEqualTo(408);
      assertThat(r.body()).isEqualTo("{\"error\":\"request timeout: the body arrived too slowly\"}");
      assertThat(in.read()).as("closed").isEqualTo(-1);
    }
  }
}
