package dev.intakeauth.examples.intake;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.intakeauth.reload.ReloadingFile;
import dev.intakeauth.BackendHealth;
import dev.intakeauth.BreakerState;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.jspecify.annotations.Nullable;

/**
 * The monitoring endpoint, on a listener of its own that the intake port never serves:
 * {@code GET /metrics} in the Prometheus text format and {@code GET /health} as JSON (with the
 * watched files' reload states), 503 while the API-key backend's circuit breaker is open. Anything
 * else is 404, another method 405. Plain HTTP,
 * meant for a local address (by default {@code localhost}).
 */
final class MonitoringServer implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  /** What {@link PrometheusMeterRegistry#scrape()} writes: the Prometheus text format 0.0.4. */
  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private final Server jetty;
  private final ServerConnector connector;

  private MonitoringServer(Server jetty, ServerConnector connector) {
    this.jetty = jetty;
    this.connector = connector;
  }

  /**
   * Starts listening.
   *
   * @param host the address to bind, and only that one
   * @param port the port, 0 for any free one
   * @param registry what {@code /metrics} shows
   * @param health the API-key backend's health, or null when API keys are off
   * @param reloads the watched files' states
   * @return the running endpoint
   * @throws IOException if the address cannot be bound
   * @throws Exception if Jetty cannot start otherwise
   */
  static MonitoringServer start(String host, int port, PrometheusMeterRegistry registry, @Nullable Supplier<BackendHealth> health,
      Supplier<List<ReloadingFile.Status>> reloads) throws Exception {
    QueuedThreadPool threads = new QueuedThreadPool(8, 2);
    threads.setName("monitoring");
    Server jetty = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    ServerConnector connector = new ServerConnector(jetty, 1, 1, new HttpConnectionFactory(http));
    connector.setHost(host);
    connector.setPort(port);
    connector.setIdleTimeout(30_000);
    jetty.addConnector(connector);
    jetty.setHandler(new Endpoints(registry, health, reloads));
    jetty.setErrorHandler(new JsonErrorHandler());
    try {
      jetty.start();
    } catch (Exception e) {
      jetty.stop();
      throw e;
    }
    return new MonitoringServer(jetty, connector);
  }

  /** The port listened on. */
  int port() {
    return connector.getLocalPort();
  }

  /**
   * The answer's status for a health snapshot: 503 only while the breaker is open, when keys not in
   * the cache are refused; half-open has a probe under way and still answers cached keys.
   *
   * @param health the snapshot, or null when API keys are off
   * @return 200 or 503
   */
  static int status(@Nullable BackendHealth health) {
    return health != null && health.breaker() == BreakerState.OPEN ? HttpStatus.SERVICE_UNAVAILABLE_503 : HttpStatus.OK_200;
  }

  /**
   * The health document: {@code status}, and {@code api_keys} with the breaker's state, the last
   * successful and failed backend calls and the count of cached answers (null when API keys are off).
   */
  static String healthJson(@Nullable BackendHealth health) {
    return health(health).toString();
  }

  /**
   * The health document with {@code reloads}: for each watched file, what it holds, its path, when
   * its content was last applied, when a change was last refused and, while the file as it is now is
   * refused, the problem (as logged: the line and what is wrong, never the content). A refused file
   * leaves the status ok: the last good state is still served.
   */
  static String healthJson(@Nullable BackendHealth health, List<ReloadingFile.Status> reloads) {
    ObjectNode root = health(health);
    ArrayNode files = root.putArray("reloads");
    for (ReloadingFile.Status r : reloads) {
      ObjectNode file = files.addObject();
      file.put("name", r.name());
      file.put("file", r.file().toString());
      file.put("last_success", instant(r.lastSuccess()));
      file.put("last_failure", instant(r.lastFailure()));
      file.put("failing", r.failing());
      file.put("problem", r.problem());
    }
    return root.toString();
  }

  private static ObjectNode health(@Nullable BackendHealth health) {
    ObjectNode root = JSON.createObjectNode();
    root.put("status", status(health) == HttpStatus.OK_200 ? "ok" : "unavailable");
    if (health == null) {
      root.putNull("api_keys");
    } else {
      ObjectNode keys = root.putObject("api_keys");
      keys.put("breaker", health.breaker().name().toLowerCase(Locale.ROOT));
      keys.put("last_success", instant(health.lastSuccess()));
      keys.put("last_failure", instant(health.lastFailure()));
      keys.put("cached_answers", health.cachedAnswers());
    }
    return root;
  }

  private static @Nullable String instant(@Nullable Instant at) {
    return at == null ? null : at.toString();
  }

  @Override
  public void close() throws Exception {
    jetty.stop();
  }

  /** The two paths. */
  private static final class Endpoints extends Handler.Abstract {
    private final PrometheusMeterRegistry registry;
    private final @Nullable Supplier<BackendHealth> health;
    private final Supplier<List<ReloadingFile.Status>> reloads;

    Endpoints(PrometheusMeterRegistry registry, @Nullable Supplier<BackendHealth> health, Supplier<List<ReloadingFile.Status>> reloads) {
      this.registry = registry;
      this.health = health;
      this.reloads = reloads;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      String path = request.getHttpURI().getPath();
      if (!"/metrics".equals(path) && !"/health".equals(path)) {
        return answer(response, callback, HttpStatus.NOT_FOUND_404, "application/json", error(HttpStatus.NOT_FOUND_404));
      }
      if (!HttpMethod.GET.is(request.getMethod())) {
        response.getHeaders().put(HttpHeader.ALLOW, "GET");
        return answer(response, callback, HttpStatus.METHOD_NOT_ALLOWED_405, "application/json", error(HttpStatus.METHOD_NOT_ALLOWED_405));
      }
      if ("/metrics".equals(path)) {
        return answer(response, callback, HttpStatus.OK_200, PROMETHEUS_TEXT, registry.scrape());
      }
      BackendHealth snapshot = health == null ? null : health.get();
      return answer(response, callback, status(snapshot), "application/json", healthJson(snapshot, reloads.get()));
    }

    private static String error(int status) {
      return new String(JsonErrorHandler.body(status), StandardCharsets.UTF_8);
    }

    private static boolean answer(Response response, Callback callback, int status, String contentType, String body) {
      response.setStatus(status);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
      response.getHeaders().put("X-Content-Type-Options", "nosniff");
      Content.Sink.write(response, true, body, callback);
      return true;
    }
  }
}
