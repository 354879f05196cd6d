package dev.intakeauth.examples.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The edges of the non-blocking body reader on real sockets: a client that half-closes mid-body,
 * {@code Expect: 100-continue}, chunked trailers, and a body ending exactly at the cap.
 */
class RequestBodyEdgesTest {

  private static final String RUM = "/intake/v2/rum/events";
  private static final String METADATA = String.format(Client.METADATA, "shop", "rum-js");
  private static final int CAP = 4096;

  @TempDir Path dir;

  private static Socket open(IntakeServer server) throws Exception {
    URI uri = URI.create(server.baseUrl());
    Socket socket = new Socket(uri.getHost(), uri.getPort());
    socket.setSoTimeout(5_000);
    return socket;
  }

  private static String head(String path, String... headers) {
    return "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-ndjson\r\n" + String.join("", headers);
  }

  /** Reads an interim answer's status line and its blank line. */
  private static String interim(InputStream in) throws Exception {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      assertThat(b).as("an interim answer before the end of the stream").isNotNegative();
      head.write(b);
    }
    return head.toString(StandardCharsets.ISO_8859_1).lines().findFirst().orElseThrow();
  }

  @Test
  void aClientThatHalfClosesMidBodyIsAnswered400AtOnceNotAtTheReadTimeout() throws Exception {
    try (IntakeServer server = IntakeServerTest.startedAnonymous(dir, ""); Socket s = open(server)) {
      OutputStream out = s.getOutputStream();
      out.write((head(RUM, "Content-Length: 1000\r\n") + "\r\n" + METADATA).getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      s.shutdownOutput();
      Client.Raw r = Client.readResponse(s.getInputStream());
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.body()).isEqualTo("{\"error\":\"data read error: the request body could not be read\"}");
      assertThat(r.headers().get("Connection")).isEqualTo("close");
    }
  }

  @Test
  void expectContinueIsAnsweredOnlyForABodyWithinTheCap() throws Exception {
    try (IntakeServer server = IntakeServerTest.startedAnonymous(dir, "intake-auth.max_decompressed_size: " + CAP + "\n")) {
      byte[] body = (METADATA + Client.TRANSACTION).getBytes(StandardCharsets.UTF_8);
      try (Socket s = open(server)) {
        OutputStream out = s.getOutputStream();
        out.write((head(RUM + "?verbose", "Expect: 100-continue\r\n", "Content-Length: " + body.length + "\r\n") + "\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        assertThat(interim(s.getInputStream())).isEqualTo("HTTP/1.1 100 Continue");
        out.write(body);
        out.flush();
        assertThat(Client.readResponse(s.getInputStream()).body()).isEqualTo("{\"accepted\":1}");
      }
      try (Socket s = open(server)) {
        // Past the cap: the final answer comes instead of 100 Continue, and the body is never asked for.
        s.getOutputStream().write((head(RUM, "Expect: 100-continue\r\n", "Content-Length: " + (CAP + 1) + "\r\n") + "\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
        Client.Raw r = Client.readResponse(s.getInputStream());
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.headers().get("Connection")).isEqualTo("close");
      }
    }
  }

  @Test
  void chunkedTrailersAreIgnoredAndABodyExactlyAtTheCapIsRead() throws Exception {
    try (IntakeServer server = IntakeServerTest.startedAnonymous(dir, "intake-auth.max_decompressed_size: " + CAP + "\n")) {
      byte[] events = (METADATA + Client.TRANSACTION).getBytes(StandardCharsets.UTF_8);
      ByteArrayOutputStream chunked = new ByteArrayOutputStream();
      chunked.writeBytes((Integer.toHexString(events.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      chunked.writeBytes(events);
      chunked.writeBytes("\r\n0\r\nX-Trailer: yes\r\nAuthorization: Bearer s3cret\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      Client.Raw trailers = Client.raw(server.baseUrl(), head(RUM + "?verbose", "Transfer-Encoding: chunked\r\n"), chunked.toByteArray());
      assertThat(trailers.status()).as(trailers.body()).isEqualTo(202);
      assertThat(trailers.body()).isEqualTo("{\"accepted\":1}");

      StringBuilder padded = new StringBuilder(METADATA + Client.TRANSACTION);
      padded.append(" ".repeat(CAP - 1 - padded.length())).append('\n');
      byte[] exact = padded.toString().getBytes(StandardCharsets.UTF_8);
      assertThat(exact).hasSize(CAP);
      Client.Raw atCap = Client.raw(server.baseUrl(), head(RUM + "?verbose", "Content-Length: " + CAP + "\r\n"), exact);
      assertThat(atCap.body()).isEqualTo("{\"accepted\":1}");
      // One byte more, undeclared (chunked): a 413 once it arrives.
      byte[] over = (padded + " ").getBytes(StandardCharsets.UTF_8);
      ByteArrayOutputStream oneMore = new ByteArrayOutputStream();
      oneMore.writeBytes((Integer.toHexString(over.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      oneMore.writeBytes(over);
      oneMore.writeBytes("\r\n0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      Client.Raw pastCap = Client.raw(server.baseUrl(), head(RUM, "Transfer-Encoding: chunked\r\n"), oneMore.toByteArray());
      assertThat(pastCap.status()).isEqualTo(413);
      assertThat(pastCap.body()).isEqualTo("{\"error\":\"request body too large: more than 4096 bytes\"}");
    }
  }
}
