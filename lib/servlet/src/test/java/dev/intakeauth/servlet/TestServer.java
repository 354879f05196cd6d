package dev.intakeauth.servlet;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/** A real Jetty 12 (ee10) on loopback, with an HTTP and an HTTPS connector, and a client for both. */
final class TestServer implements AutoCloseable {

  static final String STORE_PASSWORD = "changeit";
  private static Path keyStore;

  private final Server server;
  private final ServerConnector http;
  private final ServerConnector https;
  final HttpClient client;

  TestServer(Filter filter, HttpServlet servlet, int maxThreads) throws Exception {
    Path store = selfSignedKeyStore();
    server = new Server(new QueuedThreadPool(maxThreads, Math.min(4, maxThreads)));
    http = new ServerConnector(server, 1, 1);
    http.setHost("127.0.0.1");
    SslContextFactory.Server ssl = new SslContextFactory.Server();
    ssl.setKeyStorePath(store.toString());
    ssl.setKeyStorePassword(STORE_PASSWORD);
    ssl.setKeyStoreType("PKCS12");
    HttpConfiguration tls = new HttpConfiguration();
    tls.addCustomizer(new SecureRequestCustomizer());
    https = new ServerConnector(server, 1, 1, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(tls));
    https.setHost("127.0.0.1");
    server.addConnector(http);
    server.addConnector(https);
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    FilterHolder f = new FilterHolder(filter);
    f.setAsyncSupported(true);
    context.addFilter(f, "/*", EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));
    ServletHolder s = new ServletHolder(servlet);
    s.setAsyncSupported(true);
    context.addServlet(s, "/*");
    server.setHandler(context);
    server.start();
    client = HttpClient.newBuilder().sslContext(trusting(store)).connectTimeout(Duration.ofSeconds(5)).build();
  }

  URI http(String path) {
    return URI.create("http://127.0.0.1:" + http.getLocalPort() + path);
  }

  URI https(String path) {
    return URI.create("https://127.0.0.1:" + https.getLocalPort() + path);
  }

  HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() throws Exception {
    server.stop();
  }

  /** A PKCS12 key store with a self-signed EC certificate for 127.0.0.1 and localhost, made by keytool once. */
  static synchronized Path selfSignedKeyStore() throws IOException, InterruptedException {
    if (keyStore != null) {
      return keyStore;
    }
    Path dir = Files.createTempDirectory("intake-auth-tls");
    Path store = dir.resolve("server.p12");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
        "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-keystore", store.toString(), "-storetype", "PKCS12",
        "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("keytool failed: " + out);
    }
    keyStore = store;
    return store;
  }

  static SSLContext trusting(Path store) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, STORE_PASSWORD.toCharArray());
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }
}
