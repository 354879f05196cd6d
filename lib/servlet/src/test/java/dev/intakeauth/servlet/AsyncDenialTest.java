package dev.intakeauth.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.Authenticator;
import dev.intakeauth.CheckResult;
import dev.intakeauth.Privilege;
import dev.intakeauth.PrivilegeChecker;
import dev.intakeauth.testing.FakePrivilegeChecker;
import jakarta.servlet.DispatcherType;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.junit.jupiter.api.Test;

/**
 * Denials that wait for a lookup are written on a container thread, never on the thread that
 * completed the lookup (an Elasticsearch client's I/O thread, a JVM-wide scheduler): a client that
 * stops reading must not be able to stall the backend for everyone.
 */
class AsyncDenialTest {

  private static final ApiKeyCredential CONFIG = ApiKeyCredential.of("config-id", "config-secret");

  @Test
  void aClientThatNeverReadsItsDenialsDoesNotDelayOtherRequestsLookups() throws Exception {
    FakePrivilegeChecker keys = new FakePrivilegeChecker().grant(CONFIG, Privilege.AGENT_CONFIG_READ);
    AtomicInteger stalledLookups = new AtomicInteger();
    // Like an HTTP client library's single I/O thread: every answer completes on it.
    ExecutorService io = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "backend-io");
      t.setDaemon(true);
      return t;
    });
    PrivilegeChecker onOneThread = (credential, scope) -> {
      if (credential.id().startsWith("stalled-")) {
        stalledLookups.incrementAndGet();
      }
      return CompletableFuture.supplyAsync(() -> keys.check(credential, scope), io);
    };
    // A long realm makes each 401 about 6 KB, so a few unread ones fill the small socket buffers.
    IntakeAuthFilter filter = IntakeAuthFilter.builder(Authenticator.builder().apiKeys(Backends.cached(onOneThread)).build())
        .realm("r".repeat(3000)).allowCredentialsOverPlainHttp(true).serverTls(false).build();
    Server server = new Server(new QueuedThreadPool(16, 4));
    ServerConnector connector = new ServerConnector(server, 1, 1);
    connector.setHost("127.0.0.1");
    connector.setAcceptedSendBufferSize(4096);
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    FilterHolder f = new FilterHolder(filter);
    f.setAsyncSupported(true);
    context.addFilter(f, "/*", EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));
    ServletHolder s = new ServletHolder(new EchoServlet());
    s.setAsyncSupported(true);
    context.addServlet(s, "/*");
    server.setHandler(context);
    server.start();
    int pipelined = 300;
    try (Socket stalled = new Socket()) {
      stalled.setReceiveBufferSize(1024);
      stalled.connect(new InetSocketAddress("127.0.0.1", connector.getLocalPort()));
      Thread writer = new Thread(() -> {
        try {
          OutputStream out = stalled.getOutputStream();
          for (int i = 0; i < pipelined; i++) {
            out.write(("GET /config/v1/agents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: "
                + ApiKeyCredential.of("stalled-" + i, "x").authorizationValue() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
          }
          out.flush();
        } catch (Exception e) {
          // the server stops reading once it is stuck writing; that is the point
        }
      }, "stalled-writer");
      writer.setDaemon(true);
      writer.start();
      // The stalled connection's lookups begin; its denials are never read.
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (stalledLookups.get() < 1 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(stalledLookups.get()).isPositive();

      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      URI uri = URI.create("http://127.0.0.1:" + connector.getLocalPort() + "/config/v1/agents");
      for (int i = 0; i < 10; i++) {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri).GET().timeout(Duration.ofSeconds(3))
            .header("Authorization", CONFIG.authorizationValue()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("request %d is answered promptly", i).isEqualTo(202);
        HttpResponse<String> denied = client.send(HttpRequest.newBuilder(uri).GET().timeout(Duration.ofSeconds(3))
            .header("Authorization", ApiKeyCredential.of("other-" + i, "x").authorizationValue()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(denied.statusCode()).as("denial %d is answered promptly", i).isEqualTo(401);
      }
      assertThat(stalledLookups.get()).as("the unread connection really is stuck").isLessThan(pipelined);
    } finally {
      server.stop();
      io.shutdownNow();
    }
  }
}
