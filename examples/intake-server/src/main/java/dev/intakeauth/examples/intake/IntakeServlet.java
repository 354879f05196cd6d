package dev.intakeauth.examples.intake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.intakeauth.AuthResult;
import dev.intakeauth.access.RequestAuthorization;
import dev.intakeauth.servlet.DenialResponse;
import dev.intakeauth.servlet.IntakeAuthFilter;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.util.MultiMap;
import org.eclipse.jetty.util.UrlEncoded;
import org.jspecify.annotations.Nullable;

/**
 * The intake endpoints behind the filter: reads NDJSON far enough to apply the anonymous per-event
 * checks and the rate limit, answers like APM Server (202 on accepted events), and counts the data;
 * OTLP over HTTP goes to {@link OtlpIntake}.
 * Bodies are read without blocking and decoded as they arrive ({@link RequestBody}), within a cap on
 * their bytes and on their lines, blank lines included.
 */
final class IntakeServlet extends HttpServlet {

  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> V2_EVENTS = Set.of("transaction", "span", "error", "metricset", "log");
  private static final Set<String> V3_EVENTS = Set.of("x", "y", "e", "me");
  /**
   * Lines charged to the rate limit at a time, as APM Server charges events; a batch also ends once
   * its lines reach the event size, so that a refused request has read at most about one event's
   * worth past what it paid for.
   */
  private static final int BATCH = 10;
  /** Agent configuration requests are small JSON documents. */
  private static final long SMALL_JSON = 64 * 1024;

  private final int maxEventSize;
  private final int maxLines;
  private final RequestBody.Limits limits;
  final AtomicLong acceptedEvents = new AtomicLong();
  final OtlpIntake otlp;
  final AtomicLong sourcemaps = new AtomicLong();
  /** Every decoded body byte this servlet has looked at: what a decompression bomb costs it. */
  final AtomicLong decodedBytes = new AtomicLong();
  /**
   * Bytes held, across requests, for lines that have begun and not yet ended. Each request may hold up to
   * an event's size; without a bound on the sum, a few hundred compressed bytes per connection, kept alive
   * at the minimum data rate, would hold that much heap for the whole read timeout.
   */
  final AtomicLong bufferedLineBytes = new AtomicLong();
  private final long maxBufferedLineBytes;

  IntakeServlet(int maxEventSize, int maxLines, long maxBufferedLineBytes, RequestBody.Limits limits) {
    this.maxEventSize = maxEventSize;
    this.maxLines = maxLines;
    this.maxBufferedLineBytes = maxBufferedLineBytes;
    this.limits = limits;
    this.otlp = new OtlpIntake(this, limits, decodedBytes);
  }

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
    RequestAuthorization auth = (RequestAuthorization) request.getAttribute(IntakeAuthFilter.ATTRIBUTE);
    String path = Objects.requireNonNullElse(request.getServletPath(), "") + Objects.requireNonNullElse(request.getPathInfo(), "");
    String method = request.getMethod();
    switch (path.isEmpty() ? "/" : path) {
      case "/" -> root(response, auth);
      case "/intake/v2/events", "/intake/v2/rum/events" -> intake(request, response, auth, false);
      case "/intake/v3/rum/events" -> intake(request, response, auth, true);
      case "/config/v1/agents", "/config/v1/rum/agents" -> agentConfig(request, response);
      case "/v1/traces", "/v1/metrics", "/v1/logs" -> otlp.export(request, response, auth, Objects.requireNonNull(OtlpIntake.Signal.of(path)));
      case "/assets/v1/sourcemaps" -> {
        if (!"POST".equals(method)) {
          error(response, 405, "method not supported");
          return;
        }
        // Not stored here: read (without holding a thread), counted and dropped.
        RequestBody.read(request, response, RequestBody.Encoding.IDENTITY, limits, new RequestBody.Sink() {
          @Override
          public boolean accept(byte[] bytes, int offset, int length) {
            return true;
          }

          @Override
          public void end() {
            sourcemaps.incrementAndGet();
            response.setStatus(202);
          }
        }, decodedBytes);
      }
      default -> error(response, 404, "404 page not found");
    }
  }

  private void root(HttpServletResponse response, @Nullable RequestAuthorization auth) throws IOException {
    response.setStatus(200);
    if (auth != null && auth.result() instanceof AuthResult.Authenticated) {
      ObjectNode body = JSON.createObjectNode().put("version", "0.1.0").put("publish_ready", true).put("accepted_events", acceptedEvents.get());
      json(response, 200, body);
    }
  }

  private void agentConfig(HttpServletRequest request, HttpServletResponse response) throws IOException {
    String service = queryParameter(request, "service.name");
    if (!"POST".equals(request.getMethod()) || service != null) {
      agentConfig(response, service);
      return;
    }
    RequestBody.Encoding encoding = RequestBody.encoding(request);
    if (encoding == null) {
      error(response, 400, "unsupported content encoding");
      return;
    }
    RequestBody.read(request, response, encoding, new RequestBody.Limits(Math.min(limits.maxBytes(), SMALL_JSON), limits.minDataRate(), limits.readTimeout()),
        new WholeBody(response) {
          @Override
          void ended(byte[] body) throws IOException {
            JsonNode node = null;
            try {
              node = body.length == 0 ? null : JSON.readTree(body);
            } catch (IOException e) {
              // not JSON: no service name
            }
            agentConfig(response, node == null ? null : node.path("service").path("name").asText(null));
          }
        }, decodedBytes);
  }

  private static void agentConfig(HttpServletResponse response, @Nullable String service) throws IOException {
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
      error(response, 400, "invalid content type: '" + shorten(type) + "'");
      return;
    }
    RequestBody.Encoding encoding = RequestBody.encoding(request);
    if (encoding == null) {
      error(response, 400, "unsupported content encoding: '" + shorten(String.join(", ", Collections.list(request.getHeaders("Content-Encoding")))) + "'");
      return;
    }
    RequestBody.read(request, response, encoding, limits, new Events(request, response, auth, v3), decodedBytes);
  }

  /** From the query string only: {@code getParameter} would read (and block on) a form body. */
  private static @Nullable String queryParameter(HttpServletRequest request, String name) {
    String query = request.getQueryString();
    if (query == null) {
      return null;
    }
    try {
      MultiMap<String> parameters = UrlEncoded.decodeQuery(query);
      return parameters.containsKey(name) ? Objects.requireNonNullElse(parameters.getValue(name, 0), "") : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  static String shorten(String value) {
    return value.length() > 64 ? value.substring(0, 64) + "..." : value;
  }

  /**
   * The NDJSON events of one request, line by line as the decoded bytes arrive. Every line counts
   * toward the line cap, blank ones too: they cost the server as much to find as any other. For the
   * same reason every line but the metadata, blank or not, is charged to an anonymous caller's rate
   * limit like an event: a line of spaces up to the event size costs the server what an event does.
   */
  private final class Events implements RequestBody.Sink {
    private final HttpServletRequest request;
    private final HttpServletResponse response;
    private final @Nullable RequestAuthorization auth;
    private final boolean v3;
    private byte[] partial = new byte[256];
    private int partialLength;
    /** What {@link #partial} holds beyond its first size, charged to {@link #bufferedLineBytes}. */
    private long held;
    private long lines;
    private long accepted;
    /** Events read since the last charge, accepted once they are paid for. */
    private int pending;
    /** Lines read since the last charge: the events and the blank lines. */
    private int uncharged;
    /** Their bytes. */
    private long unchargedBytes;
    private @Nullable String service;
    private @Nullable String agent;
    private boolean first = true;

    Events(HttpServletRequest request, HttpServletResponse response, @Nullable RequestAuthorization auth, boolean v3) {
      this.request = request;
      this.response = response;
      this.auth = auth;
      this.v3 = v3;
    }

    @Override
    public boolean accept(byte[] bytes, int offset, int length) throws IOException {
      int end = offset + length;
      int start = offset;
      for (int i = offset; i < end; i++) {
        if (bytes[i] != '\n') {
          continue;
        }
        boolean more;
        if (partialLength == 0) {
          more = line(bytes, start, i - start);
        } else {
          if (!append(bytes, start, i - start)) {
            return false;
          }
          more = line(partial, 0, partialLength);
          partialLength = 0;
        }
        if (!more) {
          return false;
        }
        start = i + 1;
      }
      return start == end || append(bytes, start, end - start);
    }

    /** Keeps the start of a line that continues in the next bytes; refuses it past the event size. */
    private boolean append(byte[] bytes, int offset, int length) throws IOException {
      if ((long) partialLength + length > maxEventSize) {
        rejected(accepted, "event exceeded the permitted size");
        return false;
      }
      if (partialLength + length > partial.length) {
        int size = Math.min(maxEventSize, Math.max(partial.length * 2, partialLength + length));
        long more = size - partial.length;
        if (!hold(response, more)) {
          return false;
        }
        held += more;
        partial = Arrays.copyOf(partial, size);
      }
      System.arraycopy(bytes, offset, partial, partialLength, length);
      partialLength += length;
      return true;
    }

    @Override
    public void close() {
      bufferedLineBytes.addAndGet(-held);
      held = 0;
      partial = new byte[0];
      partialLength = 0;
    }

    @Override
    public void end() throws IOException {
      if (partialLength > 0) {
        boolean more = line(partial, 0, partialLength);
        partialLength = 0;
        if (!more) {
          return;
        }
      }
      if (first) {
        rejected(0, "missing metadata");
        return;
      }
      if (uncharged > 0 && !charge()) {
        return;
      }
      if (queryParameter(request, "verbose") != null) {
        json(response, 202, JSON.createObjectNode().put("accepted", accepted));
      } else {
        response.setStatus(202);
      }
    }

    /** One line: false once the request has been answered. */
    private boolean line(byte[] bytes, int offset, int length) throws IOException {
      if (++lines > maxLines) {
        answer(413, "request body too large: more than " + maxLines + " lines");
        return false;
      }
      if (length > maxEventSize) {
        rejected(accepted, "event exceeded the permitted size");
        return false;
      }
      if (isBlank(bytes, offset, length)) {
        return count(length);
      }
      JsonNode node;
      try {
        node = JSON.readTree(bytes, offset, length);
      } catch (IOException e) {
        rejected(accepted, "data read error: invalid JSON");
        return false;
      }
      if (node == null || !node.isObject() || node.size() != 1) {
        rejected(accepted, "did not recognize object type");
        return false;
      }
      String kind = node.fieldNames().next();
      JsonNode body = node.get(kind);
      if (first) {
        first = false;
        if (!(v3 ? "m" : "metadata").equals(kind)) {
          rejected(accepted, "did not recognize object type");
          return false;
        }
        JsonNode svc = body.path(v3 ? "se" : "service");
        service = svc.path(v3 ? "n" : "name").asText(null);
        agent = svc.path(v3 ? "a" : "agent").path(v3 ? "n" : "name").asText(null);
        if (auth != null && auth.authorizeEvent(service, agent) instanceof AuthResult.Denied denied) {
          DenialResponse.send(request, response, denied);
          return false;
        }
        return true;
      }
      if (!(v3 ? V3_EVENTS : V2_EVENTS).contains(kind)) {
        rejected(accepted, "did not recognize object type");
        return false;
      }
      // An event may name its own service; anonymous callers are checked again for it.
      JsonNode own = body.path(v3 ? "c" : "context").path(v3 ? "se" : "service");
      if (auth != null && !own.isMissingNode()) {
        String ownService = own.path(v3 ? "n" : "name").asText(service);
        String ownAgent = own.path(v3 ? "a" : "agent").path(v3 ? "n" : "name").asText(agent);
        if (auth.authorizeEvent(ownService, ownAgent) instanceof AuthResult.Denied denied) {
          DenialResponse.send(request, response, denied);
          return false;
        }
      }
      pending++;
      return count(length);
    }

    /** Counts a line toward the rate limit, charging a full batch; false once the request has been answered. */
    private boolean count(int length) throws IOException {
      unchargedBytes += length + 1;
      return (++uncharged < BATCH && unchargedBytes < maxEventSize) || charge();
    }

    /** Charges the lines counted so far and accepts the events among them; false once the request has been answered. */
    private boolean charge() throws IOException {
      if (limited(uncharged)) {
        return false;
      }
      uncharged = 0;
      unchargedBytes = 0;
      accepted += pending;
      acceptedEvents.addAndGet(pending);
      pending = 0;
      return true;
    }

    private boolean limited(int events) throws IOException {
      AuthResult.RateLimited limited = auth == null ? null : auth.acquireEvents(events);
      if (limited != null) {
        DenialResponse.send(request, response, limited);
        return true;
      }
      return false;
    }

    private void rejected(long acceptedSoFar, String message) throws IOException {
      ObjectNode body = JSON.createObjectNode().put("accepted", acceptedSoFar);
      body.putArray("errors").addObject().put("message", message);
      json(response, 400, body);
    }

    private void answer(int status, String message) throws IOException {
      error(response, status, message);
    }
  }

  /**
   * A body kept whole until it ends (a JSON document, a protobuf message), held like a line begun:
   * its bytes are charged to {@link #bufferedLineBytes} meanwhile, so that many slow uploads cannot
   * hold unbounded memory.
   */
  abstract class WholeBody implements RequestBody.Sink {
    private final HttpServletResponse response;
    private ByteArrayOutputStream body = new ByteArrayOutputStream();
    private long held;

    WholeBody(HttpServletResponse response) {
      this.response = response;
    }

    @Override
    public final boolean accept(byte[] bytes, int offset, int length) throws IOException {
      if (!hold(response, length)) {
        return false;
      }
      held += length;
      body.write(bytes, offset, length);
      return true;
    }

    @Override
    public final void close() {
      bufferedLineBytes.addAndGet(-held);
      held = 0;
      body = new ByteArrayOutputStream(0);
    }

    @Override
    public final void end() throws IOException {
      ended(body.toByteArray());
    }

    /** The whole body has arrived; answers the request. */
    abstract void ended(byte[] body) throws IOException;
  }

  /**
   * Charges bytes a request is about to hold to {@link #bufferedLineBytes}; past the budget, answers
   * 503 instead (the caller stops) and charges nothing.
   */
  private boolean hold(HttpServletResponse response, long bytes) throws IOException {
    if (bufferedLineBytes.addAndGet(bytes) > maxBufferedLineBytes) {
      bufferedLineBytes.addAndGet(-bytes);
      response.setHeader("Retry-After", "1");
      error(response, 503, "server busy: too many partly received events are held; retry later");
      return false;
    }
    return true;
  }

  static void error(HttpServletResponse response, int status, String message) throws IOException {
    json(response, status, JSON.createObjectNode().put("error", message));
  }

  private static void json(HttpServletResponse response, int status, JsonNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    response.setStatus(status);
    response.setContentType("application/json");
    response.setContentLength(bytes.length);
    response.getOutputStream().write(bytes);
  }

  private static boolean isBlank(byte[] bytes, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      byte b = bytes[i];
      if (b != ' ' && b != '\t' && b != '\r') {
        return false;
      }
    }
    return true;
  }
}
