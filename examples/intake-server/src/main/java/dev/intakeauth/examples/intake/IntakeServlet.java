package dev.intakeauth.examples.intake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.intakeauth.AuthResult;
import dev.intakeauth.servlet.DenialResponse;
import dev.intakeauth.servlet.RequestAuthorization;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;
import org.jspecify.annotations.Nullable;

/**
 * The intake endpoints behind the filter: reads NDJSON far enough to apply the anonymous per-event
 * checks and the rate limit, answers like APM Server (202 on accepted events), and counts the data.
 */
final class IntakeServlet extends HttpServlet {

  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> V2_EVENTS = Set.of("transaction", "span", "error", "metricset", "log");
  private static final Set<String> V3_EVENTS = Set.of("x", "y", "e", "me");
  /** Events taken from the rate-limit budget at a time, as APM Server does. */
  private static final int BATCH = 10;

  private final int maxEventSize;
  final AtomicLong acceptedEvents = new AtomicLong();
  final AtomicLong sourcemaps = new AtomicLong();

  IntakeServlet(int maxEventSize) {
    this.maxEventSize = maxEventSize;
  }

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
    RequestAuthorization auth = (RequestAuthorization) request.getAttribute(RequestAuthorization.ATTRIBUTE);
    String path = Objects.requireNonNullElse(request.getServletPath(), "") + Objects.requireNonNullElse(request.getPathInfo(), "");
    String method = request.getMethod();
    switch (path.isEmpty() ? "/" : path) {
      case "/" -> root(response, auth);
      case "/intake/v2/events", "/intake/v2/rum/events" -> intake(request, response, auth, false);
      case "/intake/v3/rum/events" -> intake(request, response, auth, true);
      case "/config/v1/agents", "/config/v1/rum/agents" -> agentConfig(request, response);
      case "/assets/v1/sourcemaps" -> {
        if (!"POST".equals(method)) {
          error(response, 405, "method not supported");
          return;
        }
        request.getInputStream().transferTo(OutputSink.INSTANCE);
        sourcemaps.incrementAndGet();
        response.setStatus(202);
      }
      default -> error(response, 404, "404 page not found");
    }
  }

  private void root(HttpServletResponse response, @Nullable RequestAuthorization auth) throws IOException {
    response.setStatus(200);
    if (auth != null && auth.authenticated()) {
      ObjectNode body = JSON.createObjectNode().put("version", "0.1.0").put("publish_ready", true).put("accepted_events", acceptedEvents.get());
      json(response, 200, body);
    }
  }

  private void agentConfig(HttpServletRequest request, HttpServletResponse response) throws IOException {
    String service = request.getParameter("service.name");
    if ("POST".equals(request.getMethod()) && service == null) {
      JsonNode body = readSmallJson(request);
      service = body == null ? null : body.path("service").path("name").asText(null);
    }
    if (service == null || service.isBlank()) {
      error(response, 400, "service.name is required");
      return;
    }
    // No central configuration here: every agent gets the empty configuration.
    json(response, 200, JSON.createObjectNode());
  }

  private void intake(HttpServletRequest request, HttpServletResponse response, @Nullable RequestAuthorization auth, boolean v3) throws IOException {
    if (!"POST".equals(request.getMethod())) {
      error(response, 405, "only POST requests are supported");
      return;
    }
    String type = Objects.requireNonNullElse(request.getContentType(), "");
    if (!type.toLowerCase(Locale.ROOT).startsWith("application/x-ndjson")) {
      error(response, 400, "invalid content type: '" + type + "'");
      return;
    }
    InputStream in;
    String encoding = Objects.requireNonNullElse(request.getHeader("Content-Encoding"), "").toLowerCase(Locale.ROOT);
    switch (encoding) {
      case "" -> in = request.getInputStream();
      case "gzip" -> in = new GZIPInputStream(request.getInputStream());
      case "deflate" -> in = new InflaterInputStream(request.getInputStream());
      default -> {
        error(response, 400, "unsupported content encoding: '" + encoding + "'");
        return;
      }
    }
    long accepted = 0;
    int pending = 0;
    String service = null;
    String agent = null;
    boolean first = true;
    try (LineReader lines = new LineReader(in, maxEventSize)) {
      byte[] line;
      while ((line = lines.next()) != null) {
        if (isBlank(line)) {
          continue;
        }
        JsonNode node;
        try {
          node = JSON.readTree(line);
        } catch (IOException e) {
          rejected(response, accepted, "data read error: invalid JSON");
          return;
        }
        if (node == null || !node.isObject() || node.size() != 1) {
          rejected(response, accepted, "did not recognize object type");
          return;
        }
        String kind = node.fieldNames().next();
        JsonNode body = node.get(kind);
        if (first) {
          first = false;
          if (!(v3 ? "m" : "metadata").equals(kind)) {
            rejected(response, accepted, "did not recognize object type");
            return;
          }
          JsonNode svc = body.path(v3 ? "se" : "service");
          service = svc.path(v3 ? "n" : "name").asText(null);
          agent = svc.path(v3 ? "a" : "agent").path(v3 ? "n" : "name").asText(null);
          if (auth != null && auth.authorizeEvent(service, agent) instanceof AuthResult.Denied denied) {
            DenialResponse.send(request, response, denied);
            return;
          }
          continue;
        }
        if (!(v3 ? V3_EVENTS : V2_EVENTS).contains(kind)) {
          rejected(response, accepted, "did not recognize object type");
          return;
        }
        // An event may name its own service; anonymous callers are checked again for it.
        JsonNode own = body.path(v3 ? "c" : "context").path(v3 ? "se" : "service");
        if (auth != null && !own.isMissingNode()) {
          String ownService = own.path(v3 ? "n" : "name").asText(service);
          String ownAgent = own.path(v3 ? "a" : "agent").path(v3 ? "n" : "name").asText(agent);
          if (auth.authorizeEvent(ownService, ownAgent) instanceof AuthResult.Denied denied) {
            DenialResponse.send(request, response, denied);
            return;
          }
        }
        pending++;
        if (pending == BATCH) {
          if (limited(request, response, auth, pending)) {
            return;
          }
          accepted += pending;
          acceptedEvents.addAndGet(pending);
          pending = 0;
        }
      }
    } catch (LineReader.TooLong e) {
      rejected(response, accepted, "event exceeded the permitted size");
      return;
    }
    if (first) {
      rejected(response, 0, "missing metadata");
      return;
    }
    if (pending > 0) {
      if (limited(request, response, auth, pending)) {
        return;
      }
      accepted += pending;
      acceptedEvents.addAndGet(pending);
    }
    if (request.getParameter("verbose") != null) {
      json(response, 202, JSON.createObjectNode().put("accepted", accepted));
    } else {
      response.setStatus(202);
    }
  }

  private static boolean limited(HttpServletRequest request, HttpServletResponse response, @Nullable RequestAuthorization auth, int events) throws IOException {
    AuthResult.RateLimited limited = auth == null ? null : auth.acquireEvents(events);
    if (limited != null) {
      DenialResponse.send(request, response, limited);
      return true;
    }
    return false;
  }

  private static void rejected(HttpServletResponse response, long accepted, String message) throws IOException {
    ObjectNode body = JSON.createObjectNode().put("accepted", accepted);
    body.putArray("errors").addObject().put("message", message);
    json(response, 400, body);
  }

  private static void error(HttpServletResponse response, int status, String message) throws IOException {
    json(response, status, JSON.createObjectNode().put("error", message));
  }

  private static void json(HttpServletResponse response, int status, JsonNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    response.setStatus(status);
    response.setContentType("application/json");
    response.setContentLength(bytes.length);
    response.getOutputStream().write(bytes);
  }

  private static @Nullable JsonNode readSmallJson(HttpServletRequest request) throws IOException {
    byte[] bytes = request.getInputStream().readNBytes(64 * 1024);
    try {
      return bytes.length == 0 ? null : JSON.readTree(bytes);
    } catch (IOException e) {
      return null;
    }
  }

  private static boolean isBlank(byte[] line) {
    for (byte b : line) {
      if (b != ' ' && b != '\t' && b != '\r') {
        return false;
      }
    }
    return true;
  }

  /** Reads lines of at most a given size from a stream. */
  static final class LineReader implements AutoCloseable {
    static final class TooLong extends IOException {
      private static final long serialVersionUID = 1L;
    }

    private final InputStream in;
    private final int max;
    private final byte[] buffer = new byte[8192];
    private int pos;
    private int limit;

    LineReader(InputStream in, int max) {
      this.in = in;
      this.max = max;
    }

    byte @Nullable [] next() throws IOException {
      ByteArrayOutputStream line = null;
      while (true) {
        if (pos == limit) {
          limit = in.read(buffer);
          pos = 0;
          if (limit <= 0) {
            limit = 0;
            return line == null ? null : line.toByteArray();
          }
        }
        int start = pos;
        while (pos < limit && buffer[pos] != '\n') {
          pos++;
        }
        if (line == null) {
          line = new ByteArrayOutputStream();
        }
        line.write(buffer, start, pos - start);
        if (line.size() > max) {
          throw new TooLong();
        }
        if (pos < limit) {
          pos++;
          return line.toByteArray();
        }
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  /** Discards what is written. */
  static final class OutputSink extends java.io.OutputStream {
    static final OutputSink INSTANCE = new OutputSink();

    @Override
    public void write(int b) {}

    @Override
    public void write(byte[] b, int off, int len) {}
  }

}
