package dev.intakeauth.examples.intake;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** An agent in tests: sends NDJSON to the server over HTTPS, trusting one certificate. */
final class Client {

  static final String METADATA = "{\"metadata\":{\"service\":{\"name\":\"%s\",\"agent\":{\"name\":\"%s\",\"version\":\"1.0\"}}}}\n";
  static final String TRANSACTION = "{\"transaction\":{\"id\":\"945254c567a5417e\",\"trace_id\":\"0123456789abcdef0123456789abcdef\","
      + "\"name\":\"GET /\",\"type\":\"request\",\"duration\":1.5,\"span_count\":{\"started\":0}}}\n";

  private final HttpClient http;
  private final String base;

  Client(String base, Path certificate) throws Exception {
    this.base = base;
    HttpClient.Builder b = HttpClient.newBuilder();
    if (certificate != null) {
      b.sslContext(trusting(certificate));
    }
    http = b.build();
  }

  /** A TLS context that trusts this one certificate (the server's self-signed one) and nothing else. */
  static SSLContext trusting(Path certificate) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(certificate)) {
      trust.setCertificateEntry("server", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }

  static String events(String service, String agent, int transactions) {
    return String.format(METADATA, service, agent) + TRANSACTION.repeat(transactions);
  }

  HttpResponse<String> post(String path, String body, String authorization) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/x-ndjson")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (authorization != null) {
      r.header("Authorization", authorization);
    }
    return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> postGzip(String path, String body, String authorization) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
      gz.write(body.getBytes(StandardCharsets.UTF_8));
    }
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/x-ndjson")
        .header("Content-Encoding", "gzip").POST(HttpRequest.BodyPublishers.ofByteArray(bytes.toByteArray()));
    if (authorization != null) {
      r.header("Authorization", authorization);
    }
    return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** An answer read off a plain socket. */
  record Raw(int status, Map<String, String> headers, String body) {}

  /**
   * One HTTP/1.1 exchange on a plain socket, as an attacker sends it: the request is written from
   * another thread, so an answer sent before the end of the body is read all the same.
   *
   * @param base such as {@code http://127.0.0.1:8200}
   * @param head the request line and headers, each ending in CRLF, without the blank line
   */
  static Raw raw(String base, String head, byte[] body) throws Exception {
    URI uri = URI.create(base);
    try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
      socket.setSoTimeout(20_000);
      OutputStream out = socket.getOutputStream();
      Thread writer = new Thread(() -> {
        try {
          out.write((head + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
          for (int i = 0; i < body.length; i += 65536) {
            out.write(body, i, Math.min(65536, body.length - i));
          }
          out.flush();
        } catch (IOException e) {
          // the server answered early and closed: the answer is what the test reads
        }
      });
      writer.setDaemon(true);
      writer.start();
      return readResponse(socket.getInputStream());
    }
  }

  /** Reads one response: status line, headers, and a body of Content-Length bytes (or to the end). */
  static Raw readResponse(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int state = 0;
    while (state < 4) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed before a response: " + head);
      }
      head.write(b);
      state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(lines[i].substring(0, colon).strip(), lines[i].substring(colon + 1).strip());
      }
    }
    byte[] body = headers.containsKey("Content-Length")
        ? in.readNBytes(Integer.parseInt(headers.get("Content-Length")))
        : in.readAllBytes();
    return new Raw(status, headers, new String(body, StandardCharsets.UTF_8));
  }

  HttpResponse<String> get(String path, String authorization) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(base + path)).GET();
    if (authorization != null) {
      r.header("Authorization", authorization);
    }
    return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }
}
