package dev.intakeauth.examples.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.Deflater;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Heap a hostile client can make the example server hold, on real sockets: lines begun and not ended
 * are held until they end, and a few hundred gzip bytes make a line of an event's size.
 */
class IntakeServerMemoryTest {

  private static final String RUM = "/intake/v2/rum/events";
  private static final int EVENT_SIZE = 307_200;

  @TempDir Path dir;

  private final List<Socket> sockets = new ArrayList<>();

  @AfterEach
  void closeAll() throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
  }

  /**
   * The start of a gzip body whose one line, not yet ended, is an event's size less one byte: about 330
   * bytes. An attacker keeps it open at the minimum data rate with empty stored deflate blocks (5 bytes,
   * nothing decoded), for the whole read timeout.
   */
  private static byte[] gzipOfAnUnendedEventSizedLine() {
    return gzipStart(EVENT_SIZE - 1, (byte) 'a');
  }

  /** The start of a gzip body of {@code size} bytes of {@code value}, not ended. */
  private static byte[] gzipStart(int size, byte value) {
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
    byte[] line = new byte[size];
    Arrays.fill(line, value);
    deflater.setInput(line);
    byte[] out = new byte[1 << 16];
    int n = deflater.deflate(out, 0, out.length, Deflater.SYNC_FLUSH);
    deflater.end();
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    gz.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff});
    gz.write(out, 0, n);
    return gz.toByteArray();
  }

  private Socket holdOneLine(IntakeServer server, byte[] start) throws IOException {
    return hold(server, "POST " + RUM + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-ndjson\r\n", start);
  }

  private Socket hold(IntakeServer server, String head, byte[] start) throws IOException {
    URI uri = URI.create(server.baseUrl());
    Socket s = new Socket(uri.getHost(), uri.getPort());
    sockets.add(s);
    s.setSoTimeout(200);
    OutputStream out = s.getOutputStream();
    out.write((head + "Content-Encoding: gzip\r\n"
        + "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(start.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    out.write(start);
    out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    return s;
  }

  /** The answer the server sent on this connection so far, or null when it has sent none within a moment. */
  private static Client.Raw answerIfAny(Socket s) throws IOException {
    try {
      return Client.readResponse(s.getInputStream());
    } catch (SocketTimeoutException e) {
      return null;
    }
  }

  @Test
  void unendedEventSizedGzipLinesOnManyConnectionsHoldNoMoreThanTheServersBudget() throws Exception {
    int budget = 4 * EVENT_SIZE;
    byte[] start = gzipOfAnUnendedEventSizedLine();
    assertThat(start.length).as("bytes the attacker sends per connection").isLessThan(1000);
    try (IntakeServer server = IntakeServerTest.startedAnonymous(dir, "intake-auth.max_buffered_line_bytes: " + budget + "\n")) {
      List<Socket> held = new ArrayList<>();
      int busy = 0;
      for (int i = 0; i < 30; i++) {
        Socket s = holdOneLine(server, start);
        Client.Raw answer = answerIfAny(s);
        if (answer == null) {
          held.add(s);
        } else {
          assertThat(answer.status()).as(answer.body()).isEqualTo(503);
          assertThat(answer.body()).isEqualTo("{\"error\":\"server busy: too many partly received events are held; retry later\"}");
          assertThat(answer.headers().get("Retry-After")).isEqualTo("1");
          busy++;
        }
        assertThat(server.bufferedLineBytes()).as("bytes held for unended lines").isLessThanOrEqualTo(budget);
      }
      assertThat(held).as("connections holding a line").hasSizeBetween(1, 4);
      assertThat(busy).isGreaterThanOrEqualTo(26);

      // The held lines are let go once their requests end, however they end.
      for (Socket s : held) {
        s.close();
      }
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (server.bufferedLineBytes() > 0 && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertThat(server.bufferedLineBytes()).isZero();
      byte[] events = (String.format(Client.METADATA, "shop", "rum-js") + Client.TRANSACTION).getBytes(StandardCharsets.UTF_8);
      Client.Raw ok = Client.raw(server.baseUrl(), "POST " + RUM + "?verbose HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-ndjson\r\n"
          + "Content-Length: " + events.length + "\r\n", events);
      assertThat(ok.status()).as(ok.body()).isEqualTo(202);
    }
  }

  @Test
  void unendedAgentConfigBodiesOnManyConnectionsHoldNoMoreThanTheServersBudget() throws Exception {
    int budget = 4 * 60_000;
    // 60,000 spaces, valid JSON so far, from about a hundred gzip bytes; the agent configuration cap is 64 KiB
    byte[] start = gzipStart(60_000, (byte) ' ');
    assertThat(start.length).isLessThan(1000);
    String head = "POST /config/v1/rum/agents HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n";
    try (IntakeServer server = IntakeServerTest.startedAnonymous(dir, "intake-auth.max_buffered_line_bytes: " + budget + "\n")) {
      int held = 0;
      int busy = 0;
      for (int i = 0; i < 30; i++) {
        Client.Raw answer = answerIfAny(hold(server, head, start));
        if (answer == null) {
          held++;
        } else {
          assertThat(answer.status()).as(answer.body()).isEqualTo(503);
          busy++;
        }
        assertThat(server.bufferedLineBytes()).isLessThanOrEqualTo(budget);
      }
      assertThat(held).isBetween(1, 4);
      assertThat(busy).isGreaterThanOrEqualTo(26);
    }
  }
}
