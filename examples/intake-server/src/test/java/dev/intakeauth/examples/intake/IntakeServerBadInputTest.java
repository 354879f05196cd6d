package dev.intakeauth.examples.intake;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.CRC32;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile bodies on the example server's own routes, on real Jetty and plain sockets: decompression
 * bombs, corrupt and truncated compressed bodies, unknown encodings. Each answer has a defined status
 * and a JSON body naming no exception.
 */
class IntakeServerBadInputTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long GIB = 1L << 30;
  /** Anonymous RUM over plain HTTP: the attacker needs no credential. */
  private static final String RUM = "/intake/v2/rum/events";
  private static final String METADATA = String.format(Client.METADATA, "shop", "rum-js");

  @TempDir Path dir;

  private IntakeServer start(String extra) throws IOException {
    return IntakeServerTest.startedAnonymous(dir, extra);
  }

  private static Client.Raw post(IntakeServer server, String path, String encoding, byte[] body) throws Exception {
    String head = "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-ndjson\r\n"
        + (encoding == null ? "" : "Content-Encoding: " + encoding + "\r\n")
        + "Content-Length: " + body.length + "\r\n";
    return Client.raw(server.baseUrl(), head, body);
  }

  /** A defined client-error status, a JSON body, and nothing naming Java or an exception. */
  private static JsonNode clientError(Client.Raw r, int status) throws IOException {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().get("Content-Type")).startsWith("application/json");
    assertThat(r.body()).doesNotContainIgnoringCase("exception").doesNotContain("java.").doesNotContain("<html").doesNotContain("\tat ");
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.has("error") || body.has("errors")).as(r.body()).isTrue();
    return body;
  }

  /**
   * {@code mebibytes} MiB of one byte value as one gzip member at the best compression, built from
   * one compressed MiB repeated: after a full flush the compressor starts afresh, so the same input
   * gives the same bytes (compressing the whole GiB would take the test half a minute).
   */
  static byte[] gzipBomb(byte value, int mebibytes) {
    byte[] chunk = new byte[1 << 20];
    Arrays.fill(chunk, value);
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
    deflater.setInput(chunk);
    ByteArrayOutputStream block = new ByteArrayOutputStream();
    byte[] out = new byte[1 << 16];
    int n;
    do {
      n = deflater.deflate(out, 0, out.length, Deflater.FULL_FLUSH);
      block.write(out, 0, n);
    } while (n == out.length || !deflater.needsInput());
    deflater.finish();
    ByteArrayOutputStream end = new ByteArrayOutputStream();
    while (!deflater.finished()) {
      end.write(out, 0, deflater.deflate(out));
    }
    deflater.end();
    CRC32 crc = new CRC32();
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    gz.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 2, (byte) 0xff});
    byte[] repeated = block.toByteArray();
    for (int i = 0; i < mebibytes; i++) {
      gz.writeBytes(repeated);
      crc.update(chunk);
    }
    gz.writeBytes(end.toByteArray());
    long size = (long) mebibytes << 20;
    for (long v : new long[] {crc.getValue(), size}) {
      for (int i = 0; i < 4; i++) {
        gz.write((int) (v >>> (8 * i)) & 0xff);
      }
    }
    return gz.toByteArray();
  }

  private static long inflatedSize(byte[] gzip) throws IOException {
    try (GZIPInputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(gzip))) {
      return in.transferTo(java.io.OutputStream.nullOutputStream());
    }
  }

  private static byte[] gzip(String text) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
      gz.write(text.getBytes(StandardCharsets.UTF_8));
    }
    return bytes.toByteArray();
  }

  private static byte[] deflate(String text) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DeflaterOutputStream z = new DeflaterOutputStream(bytes)) {
      z.write(text.getBytes(StandardCharsets.UTF_8));
    }
    return bytes.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      bytes.writeBytes(p);
    }
    return bytes.toByteArray();
  }

  @Test
  void gzipOfAGibibyteOfNewlinesIsRefusedAfterReadingAFractionOfIt() throws Exception {
    byte[] bomb = gzipBomb((byte) '\n', 1024);
    assertThat(bomb.length).isLessThan(1_100_000);
    // built the same way, 4 MiB is a valid gzip of 4 MiB; the attack repeats the same block 1024 times
    assertThat(inflatedSize(gzipBomb((byte) '\n', 4))).isEqualTo(4 << 20);
    try (IntakeServer server = start("")) {
      JsonNode body = clientError(post(server, RUM, "gzip", bomb), 413);
      assertThat(body.path("error").asText()).isEqualTo("request body too large: more than 100000 lines");
      // Blank lines count toward the line cap: the server stopped after about 100,000 bytes of the 1 GiB.
      assertThat(server.decodedBytes()).isLessThan(1 << 20);
    }
  }

  @Test
  void blankLinesPaddedToTheEventSizeSpendTheAnonymousRateLimitLikeEvents() throws Exception {
    // Spaces up to max_event_size on each line: a 20 KB gzip the server inflates to 20 MB and scans,
    // which once cost the limiter one token (the request's) and the server about 90 ms of CPU.
    int padded = 307_199;
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 4; i++) {
      text.append(" ".repeat(padded)).append('\n'); // before the metadata: free then, whatever followed
    }
    text.append(METADATA);
    for (int i = 0; i < 60; i++) {
      text.append(" ".repeat(padded)).append('\n');
    }
    byte[] gz = gzip(text.toString());
    assertThat(gz.length).isLessThan(40_000);
    try (IntakeServer server = IntakeServerTest.startedAnonymous(dir, 1, "")) {
      Client.Raw r = post(server, RUM, "gzip", gz);
      clientError(r, 429);
      assertThat(r.headers()).containsKey("Retry-After");
      // A burst of 3, one for the request: two lines paid for, and at most about one event's worth more
      // read before the refusal (lines are charged in batches of ten, or of one event's size).
      assertThat(server.decodedBytes()).isLessThan(5L * (padded + 1) + METADATA.length());
      assertThat(server.acceptedEvents()).isZero();
    }
  }

  @Test
  void gzipBombOfZerosIsRefusedAfterOneEventsWorth() throws Exception {
    byte[] bomb = gzipBomb((byte) 0, 1024);
    try (IntakeServer server = start("")) {
      JsonNode body = clientError(post(server, RUM, "gzip", bomb), 400);
      assertThat(body.path("errors").get(0).path("message").asText()).isEqualTo("event exceeded the permitted size");
      assertThat(server.decodedBytes()).isLessThan(1 << 20);
    }
  }

  @Test
  void bodyPastTheDecompressedSizeCapIs413AndIsNotInflatedFurther() throws Exception {
    int cap = 256 * 1024;
    // Valid events, many times the cap once inflated, few bytes on the wire.
    String events = METADATA + Client.TRANSACTION.repeat(20_000);
    byte[] gz = gzip(events);
    assertThat(gz.length).isLessThan(cap);
    assertThat(events.length()).isGreaterThan(8 * cap);
    try (IntakeServer server = start("intake-auth.max_decompressed_size: " + cap + "\n")) {
      JsonNode body = clientError(post(server, RUM, "gzip", gz), 413);
      assertThat(body.path("error").asText()).isEqualTo("request body too large: more than 262144 bytes decompressed");
      assertThat(server.decodedBytes()).isLessThanOrEqualTo(cap + 8192);

      // the same events uncompressed: the cap holds on the wire, before a byte is read when declared
      Client.Raw declared = post(server, RUM, null, events.getBytes(StandardCharsets.UTF_8));
      assertThat(clientError(declared, 413).path("error").asText()).isEqualTo("request body too large: more than 262144 bytes");
      assertThat(declared.headers().get("Connection")).isEqualTo("close");

      String chunkedHead = "POST " + RUM + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-ndjson\r\nContent-Encoding: gzip\r\n"
          + "Transfer-Encoding: chunked\r\n";
      // a chunked body of empty gzip members: no decoded byte, endless wire bytes
      byte[] empty = gzip("");
      byte[] members = new byte[0];
      while (members.length <= cap) {
        members = concat(members, empty);
      }
      Client.Raw chunked = Client.raw(server.baseUrl(), chunkedHead, chunked(members));
      assertThat(clientError(chunked, 413).path("error").asText()).isEqualTo("request body too large: more than 262144 bytes");

      // below the cap, the server still takes gzip, several members, and deflate
      Client.Raw ok = post(server, RUM + "?verbose", "gzip", concat(gzip(METADATA), gzip(Client.TRANSACTION.repeat(2)), gzip("")));
      assertThat(ok.status()).as(ok.body()).isEqualTo(202);
      assertThat(ok.body()).isEqualTo("{\"accepted\":2}");
      Client.Raw okDeflate = post(server, RUM + "?verbose", "deflate", deflate(METADATA + Client.TRANSACTION));
      assertThat(okDeflate.body()).isEqualTo("{\"accepted\":1}");
    }
  }

  private static byte[] chunked(byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < body.length; i += 4096) {
      int n = Math.min(4096, body.length - i);
      out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.write(body, i, n);
      out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }
    out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    return out.toByteArray();
  }

  @Test
  void corruptTruncatedOrMislabelledCompressedBodiesAre400WithJsonNeverAnException() throws Exception {
    byte[] good = gzip(METADATA + Client.TRANSACTION);
    byte[] garbage = new byte[200];
    new java.util.Random(7).nextBytes(garbage);
    byte[] badBlocks = good.clone();
    Arrays.fill(badBlocks, 10, 30, (byte) 0xff);
    Map<String, Object[]> cases = new java.util.LinkedHashMap<>();
    cases.put("truncated gzip", new Object[] {"gzip", Arrays.copyOf(good, good.length - 12), "invalid gzip data: the stream is truncated"});
    cases.put("gzip header only", new Object[] {"gzip", Arrays.copyOf(good, 10), "invalid gzip data: the stream is truncated"});
    cases.put("not gzip at all", new Object[] {"gzip", garbage, "invalid gzip data"});
    cases.put("gzip with corrupt blocks", new Object[] {"gzip", badBlocks, "invalid gzip data"});
    cases.put("gzip with a wrong size trailer", new Object[] {"gzip", sizeTrailerOff(good), "invalid gzip data"});
    cases.put("gzip then garbage", new Object[] {"gzip", concat(good, garbage), "invalid gzip data"});
    cases.put("deflate of garbage", new Object[] {"deflate", garbage, "invalid deflate data"});
    cases.put("truncated deflate", new Object[] {"deflate", Arrays.copyOf(deflate(METADATA), 20), "invalid deflate data: the stream is truncated"});
    cases.put("deflate then garbage", new Object[] {"deflate", concat(deflate(METADATA), garbage),
        "invalid deflate data: bytes after the end of the stream"});
    cases.put("gzip sent as deflate", new Object[] {"deflate", good, "invalid deflate data"});
    cases.put("unknown encoding", new Object[] {"br", good, "unsupported content encoding: 'br'"});
    cases.put("stacked encodings", new Object[] {"gzip, gzip", gzip(new String(good, StandardCharsets.ISO_8859_1)),
        "unsupported content encoding: 'gzip, gzip'"});
    try (IntakeServer server = start("")) {
      for (Map.Entry<String, Object[]> c : cases.entrySet()) {
        Client.Raw r = post(server, RUM, (String) c.getValue()[0], (byte[]) c.getValue()[1]);
        JsonNode body = clientError(r, 400);
        assertThat(body.path("error").asText()).as(c.getKey()).isEqualTo(c.getValue()[2]);
      }
      // gzip inside gzip is decoded once: what is left is not NDJSON
      JsonNode nested = clientError(post(server, RUM, "gzip", gzip(new String(good, StandardCharsets.ISO_8859_1))), 400);
      assertThat(nested.path("errors").get(0).path("message").asText()).isEqualTo("data read error: invalid JSON");
      // compressed bytes labelled as plain
      clientError(post(server, RUM, "identity", good), 400);

      // Jetty's own answers to malformed HTTP are JSON too
      String head = "POST " + RUM + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-ndjson\r\n";
      JsonNode badChunk = clientError(Client.raw(server.baseUrl(), head + "Transfer-Encoding: chunked\r\n", "ZZ\r\nabc\r\n0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)), 400);
      assertThat(badChunk.path("error").asText()).isEqualTo("data read error: the request body could not be read");
      JsonNode badLength = clientError(Client.raw(server.baseUrl(), head + "Content-Length: abc\r\n", new byte[0]), 400);
      assertThat(badLength.path("error").asText()).isEqualTo("bad request");
      Client.Raw badUri = Client.raw(server.baseUrl(), "GET /%%% HTTP/1.1\r\nHost: localhost\r\n", new byte[0]);
      clientError(badUri, 400);
      clientError(Client.raw(server.baseUrl(), "GET /intake/%2e%2e/v2 HTTP/1.1\r\nHost: localhost\r\n", new byte[0]), 400);
      clientError(Client.raw(server.baseUrl(), "GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + "a".repeat(20_000) + "\r\n", new byte[0]), 431);

    }
    // agent configuration bodies go through the same reader (no credentials configured: all let in)
    Path open = dir.resolve("open.yml");
    Files.writeString(open, "apm-server.host: 127.0.0.1:0\n");
    try (IntakeServer server = IntakeServerTest.started(Map.of(), "--config", open.toString())) {
      String config = "POST /config/v1/agents HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n";
      JsonNode corrupt = clientError(Client.raw(server.baseUrl(), config + "Content-Length: 200\r\n", garbage), 400);
      assertThat(corrupt.path("error").asText()).isEqualTo("invalid gzip data");
      byte[] json = gzip("{\"service\":{\"name\":\"shop\"}}");
      Client.Raw configOk = Client.raw(server.baseUrl(), config + "Content-Length: " + json.length + "\r\n", json);
      assertThat(configOk.status()).as(configOk.body()).isEqualTo(200);
      JsonNode tooLarge = clientError(Client.raw(server.baseUrl(), config + "Content-Length: 70000\r\n", new byte[70000]), 413);
      assertThat(tooLarge.path("error").asText()).isEqualTo("request body too large: more than 65536 bytes");
    }
  }

  @Test
  void anExceptionThrownByAServletIsAnsweredAsJsonNamingOnlyTheStatus() throws Exception {
    // The handler the server installs, in front of a servlet that fails the way a decoder did before.
    org.eclipse.jetty.server.Server jetty = new org.eclipse.jetty.server.Server(0);
    org.eclipse.jetty.ee10.servlet.ServletContextHandler context = new org.eclipse.jetty.ee10.servlet.ServletContextHandler();
    context.addServlet(new org.eclipse.jetty.ee10.servlet.ServletHolder(new jakarta.servlet.http.HttpServlet() {
      private static final long serialVersionUID = 1L;

      @Override
      protected void service(jakarta.servlet.http.HttpServletRequest req, jakarta.servlet.http.HttpServletResponse resp) throws IOException {
        throw new java.util.zip.ZipException("invalid code lengths set near s3cret");
      }
    }), "/*");
    context.setErrorHandler(new JsonErrorHandler());
    jetty.setErrorHandler(new JsonErrorHandler());
    jetty.setHandler(context);
    jetty.start();
    try {
      String base = "http://127.0.0.1:" + ((org.eclipse.jetty.server.ServerConnector) jetty.getConnectors()[0]).getLocalPort();
      for (String accept : new String[] {"", "Accept: text/html\r\n", "Accept: application/json\r\n", "Accept: text/plain\r\n"}) {
        Client.Raw r = Client.raw(base, "POST /intake/v2/events HTTP/1.1\r\nHost: localhost\r\n" + accept + "Content-Length: 0\r\n", new byte[0]);
        JsonNode body = JSON.readTree(r.body());
        assertThat(r.status()).isEqualTo(500);
        assertThat(body.path("error").asText()).isEqualTo("server error");
        assertThat(r.body()).doesNotContain("Zip").doesNotContain("s3cret").doesNotContain("java");
      }
    } finally {
      jetty.stop();
    }
  }

  /** A valid gzip member whose trailer claims another length. */
  private static byte[] sizeTrailerOff(byte[] gzip) {
    byte[] copy = gzip.clone();
    copy[copy.length - 4] ^= 0x01;
    return copy;
  }
}
