package dev.intakeauth.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.ApplicationPrivileges;
import dev.intakeauth.CheckResult;
import dev.intakeauth.Privilege;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fault injection against a real local HTTP server on a real socket. */
class ElasticsearchPrivilegeCheckerTest {

  private static final ApplicationPrivileges APM = ApplicationPrivileges.APM;
  private static final ApiKeyCredential KEY = ApiKeyCredential.of("key-id-1", "super-secret-value-42");
  private static final String GRANTED_BODY =
      "{\"username\":\"elastic\",\"has_all_requested\":false,\"cluster\":{},\"index\":{},"
          + "\"application\":{\"apm\":{\"-\":{\"event:write\":true,\"config_agent:read\":false,\"sourcemap:write\":true}}}}";

  @TempDir Path dir;

  private final List<HttpServer> servers = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();
  private final List<Map<String, String>> requests = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
    servers.forEach(s -> s.stop(0));
  }

  /** A server that records each request (method, path, headers, body) and answers with {@code handler}. */
  private HttpServer server(HttpServer server, Consumer<HttpExchange> handler) throws IOException {
    server.createContext("/", exchange -> {
      Map<String, String> seen = new ConcurrentHashMap<>();
      seen.put("method", exchange.getRequestMethod());
      seen.put("path", exchange.getRequestURI().getPath());
      exchange.getRequestHeaders().forEach((k, v) -> seen.put("h:" + k.toLowerCase(), String.join(",", v)));
      try (InputStream in = exchange.getRequestBody()) {
        seen.put("body", new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
      requests.add(seen);
      handler.accept(exchange);
    });
    server.start();
    servers.add(server);
    return server;
  }

  private HttpServer http(Consumer<HttpExchange> handler) throws IOException {
    return server(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0), handler);
  }

  private static Consumer<HttpExchange> answer(int status, String body, String... headers) {
    return exchange -> {
      try {
        for (int i = 0; i < headers.length; i += 2) {
          exchange.getResponseHeaders().add(headers[i], headers[i + 1]);
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
          exchange.getResponseBody().write(bytes);
        }
        exchange.close();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    };
  }

  private static String url(HttpServer s) {
    return (s instanceof HttpsServer ? "https" : "http") + "://127.0.0.1:" + s.getAddress().getPort();
  }

  private ElasticsearchPrivilegeChecker checker(ElasticsearchConnection.Builder b) {
    ElasticsearchPrivilegeChecker c = ElasticsearchPrivilegeChecker.create(b.build());
    closeables.add(c);
    return c;
  }

  private CheckResult check(HttpServer s) {
    return checker(ElasticsearchConnection.builder().hosts(url(s))).check(KEY, APM);
  }

  @Test
  void sendsTheAgentsOwnCredentialAndAsksForEveryPrivilegeAtOnce() throws IOException {
    HttpServer s = http(answer(200, GRANTED_BODY));
    CheckResult r = checker(ElasticsearchConnection.builder().hosts(url(s)).pathPrefix("/es").header("X-Opaque-Id", "intake")).check(KEY, APM);
    assertThat(r).isEqualTo(new CheckResult.Granted(Set.of(Privilege.EVENT_WRITE, Privilege.SOURCEMAP_WRITE), "elastic"));
    Map<String, String> req = requests.get(0);
    assertThat(req.get("method")).isEqualTo("POST");
    assertThat(req.get("path")).isEqualTo("/es/_security/user/_has_privileges");
    assertThat(req.get("h:authorization")).isEqualTo(KEY.authorizationValue());
    assertThat(req.get("h:x-opaque-id")).isEqualTo("intake");
    assertThat(req.get("h:content-type")).startsWith("application/json");
    assertThat(req.get("body")).isEqualTo(
        "{\"application\":[{\"application\":\"apm\",\"privileges\":[\"config_agent:read\",\"event:write\",\"sourcemap:write\"],\"resources\":[\"-\"]}]}");
  }

  @Test
  void otherApplicationsAndResourcesAreAskedAsConfigured() throws IOException {
    HttpServer s = http(answer(200, "{\"username\":\"u\",\"application\":{\"otel\":{\"*\":{\"traces:write\":true}}}}"));
    ApplicationPrivileges otel = ApplicationPrivileges.of("otel", "*", "traces:write");
    CheckResult r = checker(ElasticsearchConnection.builder().hosts(url(s))).check(KEY, otel);
    assertThat(r).isEqualTo(new CheckResult.Granted(Set.of(Privilege.of("traces:write")), "u"));
    assertThat(requests.get(0).get("body")).contains("\"application\":\"otel\"").contains("\"resources\":[\"*\"]");
  }

  @Test
  void status401IsAnUnknownKey() throws IOException {
    assertThat(check(http(answer(401, "{\"error\":{\"reason\":\"unable to authenticate\"}}", "WWW-Authenticate", "ApiKey"))))
        .isEqualTo(CheckResult.UNKNOWN_KEY);
  }

  @Test
  void everyOtherStatusIsUnavailableAndRetryAfterIsHonoured() throws IOException {
    for (int status : new int[] {403, 429, 500, 503, 302, 404, 201}) {
      requests.clear();
      CheckResult r = check(http(answer(status, "{}", "Retry-After", "7", "Location", "http://elsewhere/")));
      assertThat(r).as("status %d", status).isInstanceOf(CheckResult.Unavailable.class);
      if (status == 429 || status == 503) {
        assertThat(((CheckResult.Unavailable) r).retryAfter()).isEqualTo(Duration.ofSeconds(7));
      }
    }
  }

  @Test
  void bodiesThatCannotBeReadAreUnavailable() throws IOException {
    for (String body : List.of("not json", "{}", "{\"application\":{\"apm\":{}}}", "{\"application\":{\"apm\":{\"-\":{\"event:write\":\"yes\"}}}}", "[1,2]", "null")) {
      assertThat(check(http(answer(200, body)))).as(body).isInstanceOf(CheckResult.Unavailable.class);
    }
  }

  @Test
  void aRefusedConnectionIsUnavailable() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    CheckResult r = checker(ElasticsearchConnection.builder().hosts("http://127.0.0.1:" + port)).check(KEY, APM);
    assertThat(r).isInstanceOf(CheckResult.Unavailable.class);
    assertThat(((CheckResult.Unavailable) r).detail()).contains("unreachable");
  }

  @Test
  void aServerThatNeverAnswersIsUnavailableAfterTheSocketTimeout() throws IOException {
    HttpServer s = http(exchange -> {
      try {
        Thread.sleep(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    long t = System.nanoTime();
    CheckResult r = checker(ElasticsearchConnection.builder().hosts(url(s)).socketTimeout(Duration.ofMillis(300))).check(KEY, APM);
    assertThat(r).isInstanceOf(CheckResult.Unavailable.class);
    assertThat(System.nanoTime() - t).isLessThan(TimeUnit.SECONDS.toNanos(3));
  }

  @Test
  void retriesAreBoundedAcrossHosts() throws IOException {
    AtomicInteger hits = new AtomicInteger();
    Consumer<HttpExchange> failing = e -> {
      hits.incrementAndGet();
      answer(503, "{}").accept(e);
    };
    HttpServer a = http(failing);
    HttpServer b = http(failing);
    HttpServer c = http(failing);
    CheckResult r = checker(ElasticsearchConnection.builder().hosts(url(a), url(b), url(c)).maxAttempts(2)).check(KEY, APM);
    assertThat(r).isInstanceOf(CheckResult.Unavailable.class);
    assertThat(hits.get()).isEqualTo(2);
  }

  @Test
  void aFailingHostIsSkippedForTheNextOne() throws IOException {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      deadPort = s.getLocalPort();
    }
    HttpServer ok = http(answer(200, GRANTED_BODY));
    ElasticsearchPrivilegeChecker c = checker(ElasticsearchConnection.builder().hosts("http://127.0.0.1:" + deadPort, url(ok)));
    for (int i = 0; i < 4; i++) {
      assertThat(c.check(KEY, APM)).isInstanceOf(CheckResult.Granted.class);
    }
  }

  @Test
  void cancellingTheAnswerCancelsTheRequest() throws Exception {
    HttpServer s = http(exchange -> {
      try {
        Thread.sleep(3000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    var future = checker(ElasticsearchConnection.builder().hosts(url(s)).socketTimeout(Duration.ofSeconds(10))).checkAsync(KEY, APM);
    Thread.sleep(200);
    assertThat(future.cancel(true)).isTrue();
    assertThat(future.isCancelled()).isTrue();
  }

  @Test
  void noSecretInAnyReasonOrToString() throws IOException {
    String secret = "super-secret-value-42";
    List<HttpServer> faulty = List.of(
        http(answer(500, "{\"error\":\"" + KEY.authorizationValue() + "\"}")),
        http(answer(200, "garbage " + KEY.encoded())),
        http(answer(403, KEY.encoded())));
    for (HttpServer s : faulty) {
      ElasticsearchPrivilegeChecker c = checker(ElasticsearchConnection.builder().hosts(url(s)));
      CheckResult r = c.check(KEY, APM);
      assertThat(r.toString()).doesNotContain(secret).doesNotContain(KEY.encoded());
      assertThat(c.toString()).doesNotContain(secret);
    }
  }

  @Test
  void configurationMistakesAreClearAndNeverEchoCredentials() {
    assertThatThrownBy(() -> ElasticsearchConnection.builder().header("Authorization", "Basic x"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot be configured");
    assertThatThrownBy(() -> ElasticsearchPrivilegeChecker.create(ElasticsearchConnection.builder().basicAuth("admin", "pw").build()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("agent's own");
    assertThatThrownBy(() -> ElasticsearchConnection.builder().hosts("ftp://es:9200")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ElasticsearchConnection.builder().hosts("http://admin:hunter2@es:9200"))
        .isInstanceOf(IllegalArgumentException.class).message().doesNotContain("hunter2");
    assertThatThrownBy(() -> ElasticsearchConnection.builder().trustedFingerprint("abc")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ElasticsearchConnection.builder().maxAttempts(0)).isInstanceOf(IllegalArgumentException.class);
  }

  // --- TLS ---

  private record Tls(SSLContext server, Path caPem, String fingerprint) {}

  private Tls selfSigned() throws Exception {
    Path ks = dir.resolve("server.p12");
    String javaHome = System.getProperty("java.home");
    Process p = new ProcessBuilder(Path.of(javaHome, "bin", "keytool").toString(), "-genkeypair", "-keystore", ks.toString(),
        "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit", "-alias", "es", "-keyalg", "RSA", "-keysize", "2048",
        "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2")
        .redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    assertThat(p.waitFor()).isZero();
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(ks)) {
      store.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, "changeit".toCharArray());
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(kmf.getKeyManagers(), null, null);
    Certificate cert = store.getCertificate("es");
    Path pem = dir.resolve("ca.pem");
    Files.writeString(pem, "-----BEGIN CERTIFICATE-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(cert.getEncoded())
        + "\n-----END CERTIFICATE-----\n");
    String fingerprint = HexFormat.ofDelimiter(":").formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
    return new Tls(ssl, pem, fingerprint);
  }

  private HttpServer https(SSLContext ssl) throws IOException {
    HttpsServer s = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    s.setHttpsConfigurator(new HttpsConfigurator(ssl));
    return server(s, answer(200, GRANTED_BODY));
  }

  @Test
  void tlsWithACaCertificateFile() throws Exception {
    Tls tls = selfSigned();
    HttpServer s = https(tls.server());
    assertThat(checker(ElasticsearchConnection.builder().hosts(url(s)).caCertificate(tls.caPem())).check(KEY, APM))
        .isInstanceOf(CheckResult.Granted.class);
    assertThat(checker(ElasticsearchConnection.builder().hosts(url(s))).check(KEY, APM))
        .as("the JVM's own trust store does not know this certificate").isInstanceOf(CheckResult.Unavailable.class);
  }

  @Test
  void tlsWithATrustedFingerprint() throws Exception {
    Tls tls = selfSigned();
    HttpServer s = https(tls.server());
    assertThat(checker(ElasticsearchConnection.builder().hosts(url(s)).trustedFingerprint(tls.fingerprint())).check(KEY, APM))
        .isInstanceOf(CheckResult.Granted.class);
    String other = "00".repeat(32);
    assertThat(checker(ElasticsearchConnection.builder().hosts(url(s)).trustedFingerprint(other)).check(KEY, APM))
        .isInstanceOf(CheckResult.Unavailable.class);
  }

  @Test
  void anUnreadableCaFileIsAClearConfigurationError() throws IOException {
    Path bad = dir.resolve("bad.pem");
    Files.writeString(bad, "not a certificate");
    assertThatThrownBy(() -> ElasticsearchPrivilegeChecker.create(ElasticsearchConnection.builder().hosts("https://localhost:9200").caCertificate(bad).build()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("CA certificate");
  }

  @Test
  void buildCachedCoalescesConcurrentFirstRequestsIntoOneCall() throws Exception {
    AtomicInteger hits = new AtomicInteger();
    HttpServer s = http(e -> {
      hits.incrementAndGet();
      try {
        Thread.sleep(200);
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
      }
      answer(200, GRANTED_BODY).accept(e);
    });
    var cached = ElasticsearchPrivilegeChecker.create(ElasticsearchConnection.builder().hosts(url(s)).build()).cached();
    closeables.add(cached);
    var futures = new java.util.ArrayList<java.util.concurrent.CompletableFuture<CheckResult>>();
    for (int i = 0; i < 50; i++) {
      futures.add(cached.checkAsync(KEY, APM));
    }
    for (var f : futures) {
      assertThat(f.get(5, TimeUnit.SECONDS)).isInstanceOf(CheckResult.Granted.class);
    }
    assertThat(hits.get()).isEqualTo(1);
  }
}
