package dev.intakeauth.examples.intake;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
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
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      try (InputStream in = Files.newInputStream(certificate)) {
        trust.setCertificateEntry("server", CertificateFactory.getInstance("X.509").generateCertificate(in));
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      b.sslContext(ctx);
    }
    http = b.build();
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

  HttpResponse<String> get(String path, String authorization) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(base + path)).GET();
    if (authorization != null) {
      r.header("Authorization", authorization);
    }
    return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }
}
