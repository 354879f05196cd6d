package dev.intakeauth.benchmarks;

import dev.intakeauth.Authenticator;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.GeneratedKey;
import dev.intakeauth.InMemoryKeyStore;
import dev.intakeauth.Privilege;
import dev.intakeauth.servlet.IntakeAuthFilter;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The servlet filter in a real embedded Jetty 12 on loopback: requests per second to a servlet that
 * reads a small body and answers 202, with no filter ({@code off}), with the filter and a secret
 * token, and with the filter and a cached API key. Four client threads, each on its own keep-alive
 * connection. Plain HTTP with {@code allowCredentialsOverPlainHttp(true)}, so that TLS's cost does
 * not hide the filter's. The ratio of each mode's score to {@code off}'s is the figure that matters.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 10, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(2)
@Threads(4)
@State(Scope.Benchmark)
public class ServletFilterBenchmark {

  static {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
  }

  /** What sits in front of the servlet. */
  @Param({"off", "secret-token", "api-key"})
  public String mode;

  Server server;
  int port;
  String authorization;

  /** Answers 202 after reading the body, like an intake endpoint that accepted its events. */
  static final class AcceptingServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
      try (InputStream body = request.getInputStream()) {
        body.transferTo(java.io.OutputStream.nullOutputStream());
      }
      response.setStatus(202);
      response.setContentLength(0);
    }
  }

  /**
   * Starts Jetty with or without the filter.
   *
   * @throws Exception if Jetty cannot start
   */
  @Setup
  public void setUp() throws Exception {
    server = new Server(new QueuedThreadPool(32, 8));
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    context.addServlet(new ServletHolder(new AcceptingServlet()), "/*");
    Authenticator authenticator = null;
    switch (mode) {
      case "off" -> authorization = null;
      case "secret-token" -> {
        authorization = "Bearer a-secret-token-of-32-characters!";
        authenticator = Authenticator.builder().secretToken("a-secret-token-of-32-characters!").build();
      }
      case "api-key" -> {
        GeneratedKey key = GeneratedKey.generate(GeneratedKey.newId(), List.of(Privilege.EVENT_WRITE), null);
        authenticator = Authenticator.builder()
            .apiKeys(CachingPrivilegeChecker.builder(InMemoryKeyStore.builder().add(key).build()).build())
            .build();
        authorization = key.credential().authorizationValue();
      }
      default -> throw new IllegalArgumentException("mode: off, secret-token or api-key");
    }
    if (authenticator != null) {
      IntakeAuthFilter filter = IntakeAuthFilter.builder(authenticator).serverTls(false).allowCredentialsOverPlainHttp(true).build();
      FilterHolder holder = new FilterHolder(filter);
      holder.setAsyncSupported(true);
      context.addFilter(holder, "/*", EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));
    }
    server.setHandler(context);
    server.start();
    port = connector.getLocalPort();
  }

  /**
   * Stops Jetty.
   *
   * @throws Exception if it cannot stop
   */
  @TearDown
  public void tearDown() throws Exception {
    server.stop();
  }

  /** One client thread's keep-alive connection. */
  @State(Scope.Thread)
  public static class Client {
    HttpConnection connection;

    /**
     * Connects.
     *
     * @param bench the server
     * @throws IOException if it cannot connect
     */
    @Setup
    public void connect(ServletFilterBenchmark bench) throws IOException {
      byte[] body = "{\"metadata\":{\"service\":{\"name\":\"bench\",\"agent\":{\"name\":\"java\",\"version\":\"1.0\"}}}}\n"
          .getBytes(StandardCharsets.UTF_8);
      connection = new HttpConnection("127.0.0.1", bench.port,
          HttpConnection.request("POST", "/intake/v2/events", bench.authorization, "application/x-ndjson", body));
    }

    /**
     * Closes the connection.
     *
     * @throws IOException never in practice
     */
    @TearDown
    public void close() throws IOException {
      connection.close();
    }
  }

  /**
   * One request and its response.
   *
   * @param client this thread's connection
   * @return the status, 202 expected
   * @throws IOException if the exchange fails or the status is not 202
   */
  @Benchmark
  public int request(Client client) throws IOException {
    int status = client.connection.exchange();
    if (status != 202) {
      throw new IOException("expected 202, got " + status);
    }
    return status;
  }
}
