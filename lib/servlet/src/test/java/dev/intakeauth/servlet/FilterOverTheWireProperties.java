package dev.intakeauth.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.Authenticator;
import dev.intakeauth.Privilege;
import dev.intakeauth.anonymous.AnonymousRateLimiter;
import dev.intakeauth.testing.FakePrivilegeChecker;
import dev.intakeauth.testing.ManualClock;
import dev.intakeauth.testing.TestCredentials;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.GenerationMode;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.jspecify.annotations.Nullable;

/**
 * Generated requests through the filter in a real Jetty, over one keep-alive socket (a new one
 * after each answer that closes it): {@code Authorization} values (valid and invalid schemes, odd
 * white space, Unicode, huge values, duplicates), methods and paths (route paths, near misses,
 * percent-encoded, dot segments). Every answer is one the specification names:
 *
 * <ul>
 *   <li>from the filter or the application: 200/202, or 400, 401, 403, 405, 429, 503 with the JSON
 *       body {@code {"error": "..."}}, always {@code X-Content-Type-Options: nosniff}; never another
 *       5xx; on a path of the table, a method it does not list is 405 with {@code Allow} (200 for a
 *       preflight on a browser route); a 2xx needs a credential that holds the route's privilege
 *       (or no credential, on a route open to anonymous callers);
 *   <li>from Jetty itself, before the filter: only a 400 (or 431 for a header section over its 8 KiB
 *       limit, or 505 for a request line that does not split into method, target and version, such
 *       as an empty target, which it reads as another HTTP version; 404 for the asterisk-form target
 *       {@code *}, which names the server and reaches no servlet context), and only for requests that are not valid HTTP or whose target is ambiguous
 *       (control characters in a field, a method that is not a token, encoded {@code /} or
 *       {@code .}, a {@code ..} above the root, {@code \}, a fragment, {@code ;} parameters, empty
 *       segments).
 * </ul>
 */
class FilterOverTheWireProperties {

  private static final int TRIES = 100_000;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = TestCredentials.SECRET_TOKEN;
  private static final ApiKeyCredential WRITER = ApiKeyCredential.of("writer-id", "writer-secret");
  private static final ApiKeyCredential CONFIG = ApiKeyCredential.of("config-id", "config-secret");
  private static final ApiKeyCredential SOURCEMAP = ApiKeyCredential.of("sourcemap-id", "sourcemap-secret");
  private static final Map<ApiKeyCredential, Privilege> KEYS = Map.of(WRITER, Privilege.EVENT_WRITE, CONFIG, Privilege.AGENT_CONFIG_READ,
      SOURCEMAP, Privilege.SOURCEMAP_WRITE);
  /** The APM table: path to methods and privilege; the anonymous ones; the browser ones. */
  private static final Map<String, Set<String>> METHODS = new LinkedHashMap<>();
  private static final Map<String, @Nullable Privilege> PRIVILEGE = new LinkedHashMap<>();
  private static final Set<String> ANONYMOUS = Set.of("/intake/v2/rum/events", "/intake/v3/rum/events", "/config/v1/rum/agents");
  private static final Set<Integer> SPEC_STATUSES = Set.of(200, 202, 400, 401, 403, 405, 429, 503);
  private static final String TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

  static {
    route("/intake/v2/events", Privilege.EVENT_WRITE, "POST");
    route("/intake/v2/rum/events", Privilege.EVENT_WRITE, "POST");
    route("/intake/v3/rum/events", Privilege.EVENT_WRITE, "POST");
    route("/config/v1/agents", Privilege.AGENT_CONFIG_READ, "GET", "POST");
    route("/config/v1/rum/agents", Privilege.AGENT_CONFIG_READ, "GET", "POST");
    route("/assets/v1/sourcemaps", Privilege.SOURCEMAP_WRITE, "POST");
    route("/", null, "GET", "HEAD");
  }

  private static void route(String path, @Nullable Privilege privilege, String... methods) {
    METHODS.put(path, Set.of(methods));
    PRIVILEGE.put(path, privilege);
  }

  private static TestServer server;
  private static Wire wire;
  private static final AtomicInteger SENT = new AtomicInteger();
  private static final AtomicInteger CONNECTIONS = new AtomicInteger();
  private static long started;
  private static long startedCpu;
  private static final Map<String, AtomicInteger> RETRIES = new java.util.concurrent.ConcurrentSkipListMap<>();
  private static final Map<Integer, AtomicInteger> STATUSES = new java.util.concurrent.ConcurrentSkipListMap<>();

  /** One generated request. */
  record Req(String method, String target, List<String> authorization, @Nullable String origin, boolean body) {
    @Override
    public String toString() {
      return method + " " + target + " auth=" + authorization.stream().map(v -> v.length() > 80 ? v.substring(0, 80) + "…(" + v.length() + ")" : v).toList()
          + (origin == null ? "" : " origin=" + origin) + (body ? " +body" : "");
    }
  }

  @BeforeContainer
  static void start() throws Exception {
    FakePrivilegeChecker keys = new FakePrivilegeChecker();
    KEYS.forEach((k, p) -> keys.grant(k, p));
    server = new TestServer(IntakeAuthFilter.builder(Authenticator.builder().secretToken(TOKEN).apiKeys(Backends.cached(keys)).build()).anonymous(true)
        .rateLimiter(AnonymousRateLimiter.builder().eventsPerSecond(1_000_000).timeSource(new ManualClock()).build())
        .allowCredentialsOverPlainHttp(true).serverTls(false).build(), new EchoServlet(), 16);
    wire = new Wire(server.http("/").getPort());
    started = System.nanoTime();
    startedCpu = cpuNanos();
  }

  /** This JVM's CPU time (client and server both run in it). */
  private static long cpuNanos() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
        ? os.getProcessCpuTime() : 0;
  }

  @AfterContainer
  static void stop() throws Exception {
    try {
      assertThat(SENT.get()).as("requests sent over the wire").isGreaterThanOrEqualTo(TRIES);
      System.out.printf("FilterOverTheWireProperties: %d requests on %d connections in %.1f s (%.1f s of CPU), statuses %s%n", SENT.get(),
          CONNECTIONS.get(), (System.nanoTime() - started) / 1e9, (cpuNanos() - startedCpu) / 1e9, STATUSES);
      System.out.println("retried after: " + RETRIES);
    } finally {
      if (wire != null) {
        wire.close();
      }
      if (server != null) {
        server.close();
      }
    }
  }

  @Property(tries = TRIES, generation = GenerationMode.RANDOMIZED, shrinking = ShrinkingMode.BOUNDED)
  void everyAnswerIsOneTheSpecificationNames(@ForAll("requests") Req req) throws Exception {
    String before = wire.previous;
    Answer a = wire.exchange(req);
    SENT.incrementAndGet();
    STATUSES.computeIfAbsent(a.status, s -> new AtomicInteger()).incrementAndGet();
    boolean fromFilter = a.headers.containsKey("x-content-type-options");
    if (!fromFilter) {
      assertThat(containerAnswers(req)).as("Jetty answered by itself: %s -> %s %s (after %s on the same connection)", req, a.status, a.body, before).contains(a.status);
      return;
    }
    assertThat(a.headers.get("x-content-type-options")).isEqualTo("nosniff");
    assertThat(SPEC_STATUSES).as("%s -> %s %s", req, a.status, a.body).contains(a.status);
    if (a.status >= 400 && !req.method.equals("HEAD")) {
      JsonNode body = JSON.readTree(a.body);
      assertThat(body.isObject() && body.size() == 1 && body.path("error").isTextual()).as("%s -> %s", req, a.body).isTrue();
      String error = body.path("error").asText();
      switch (a.status) {
        case 400 -> assertThat(error).startsWith("invalid request: ");
        case 401 -> assertThat(error).startsWith("authentication failed");
        case 403 -> assertThat(error).matches("(?s)(unauthorized: |origin: '|forbidden: ).*");
        case 405 -> assertThat(error).isEqualTo("method not allowed");
        case 429 -> assertThat(error).isEqualTo("too many requests: rate limit exceeded");
        case 503 -> assertThat(error).isEqualTo("service unavailable");
        default -> { }
      }
    }
    String path = expectedPath(req.target);
    if (path == null) {
      // a target whose reading the container decides: a 2xx still needs some valid credential, an
      // anonymous route, the open root, or is a preflight
      if (a.status / 100 == 2) {
        boolean preflight = req.method.equals("OPTIONS") && a.headers.containsKey("access-control-max-age");
        boolean root = a.status == 200 && (req.method.equals("GET") || req.method.equals("HEAD"));
        assertThat(holds(req.authorization, null) || blank(req.authorization) || preflight || root).as("%s -> %s", req, a.status).isTrue();
      }
      return;
    }
    Set<String> listed = METHODS.get(path);
    if (listed == null) {
      if (a.status / 100 == 2) {
        assertThat(holds(req.authorization, null)).as("a path outside the table needs a credential: %s", req).isTrue();
      }
      assertThat(a.status).as("%s", req).isNotEqualTo(405);
      return;
    }
    if (!listed.contains(req.method)) {
      if (req.method.equals("OPTIONS") && ANONYMOUS.contains(path)) {
        assertThat(a.status).as("a preflight: %s", req).isEqualTo(200);
        assertThat(a.headers.get("access-control-max-age")).isEqualTo("3600");
      } else {
        assertThat(a.status).as("%s", req).isEqualTo(405);
        assertThat(a.headers.get("allow")).isNotNull();
      }
      return;
    }
    if (path.equals("/")) {
      assertThat(a.status / 100).as("the root is open to anyone: %s", req).isEqualTo(2);
      return;
    }
    if (a.status / 100 == 2) {
      assertThat(holds(req.authorization, PRIVILEGE.get(path)) || (ANONYMOUS.contains(path) && blank(req.authorization)))
          .as("a 2xx needs %s: %s", PRIVILEGE.get(path), req).isTrue();
    }
  }

  /** Whether a value carries the secret token, or a key that holds the privilege (any key, for null). */
  private static boolean holds(List<String> values, @Nullable Privilege privilege) {
    for (String v : values) {
      if (v.contains(TOKEN)) {
        return true;
      }
      for (Map.Entry<ApiKeyCredential, Privilege> k : KEYS.entrySet()) {
        if ((privilege == null || k.getValue().equals(privilege)) && v.contains(k.getKey().encoded())) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean blank(List<String> values) {
    return values.stream().allMatch(v -> v.strip().isEmpty());
  }

  /** A request line that does not split into method, target and version: Jetty reads it as another HTTP version. */
  static boolean malformedRequestLine(Req req) {
    return req.target.isEmpty() || req.method.isEmpty() || (req.method + req.target).chars().anyMatch(c -> c <= ' ');
  }

  /** Whether the request's bytes can be split into more than one request by a lenient parser. */
  static boolean framingUndefined(Req req) {
    return malformedRequestLine(req) || (req.method + req.target).chars().anyMatch(c -> c < 0x20 || c == 0x7f)
        || req.authorization.stream().anyMatch(v -> v.chars().anyMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f))
        || (req.origin != null && req.origin.chars().anyMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f));
  }

  /** The answers Jetty may give by itself, before any filter runs; none for a valid request. */
  static Set<Integer> containerAnswers(Req req) {
    Set<Integer> allowed = new java.util.HashSet<>();
    if (req.authorization.stream().mapToInt(v -> v.getBytes(StandardCharsets.UTF_8).length + 17).sum() > 7800) {
      allowed.add(431);
    }
    if (malformedRequestLine(req)) {
      allowed.add(505);
    }
    if (req.target.equals("*")) {
      allowed.add(404);
    }
    if (containerMayReject(req)) {
      allowed.add(400);
    }
    return allowed;
  }

  /** Whether the request is something Jetty may refuse with a 400 before any filter runs. */
  static boolean containerMayReject(Req req) {
    if (!req.method.matches("[" + java.util.regex.Pattern.quote(TOKEN_CHARS) + "]+") || req.method.equals("CONNECT") || req.method.equals("PRI")) {
      return true;
    }
    for (String v : req.authorization) {
      if (v.chars().anyMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f)) {
        return true;
      }
    }
    return expectedPath(req.target) == null;
  }

  /**
   * The path the application sees for a target, or null when the container may read it otherwise
   * or refuse it (encoded separators or dots, parameters, empty segments, a fragment, a climb above
   * the root, bad escapes).
   */
  static @Nullable String expectedPath(String target) {
    if (!target.startsWith("/")) {
      return null;
    }
    int q = target.indexOf('?');
    String raw = q < 0 ? target : target.substring(0, q);
    if (!raw.matches("[A-Za-z0-9/_.~%;=-]*") || raw.contains("//")) {
      return null;
    }
    if (raw.contains(";")) {
      // path parameters are no part of the path; next to a dot segment the reading is ambiguous
      String stripped = raw.replaceAll(";[^/]*", "");
      if (stripped.matches(".*/\\.{1,2}(/.*)?") || stripped.contains("//")) {
        return null;
      }
      raw = stripped;
    }
    String lower = raw.toLowerCase(Locale.ROOT);
    for (String bad : List.of("%2f", "%2e", "%5c", "%25", "%00", "%3b", "%3f", "%23")) {
      if (lower.contains(bad)) {
        return null;
      }
    }
    StringBuilder decoded = new StringBuilder();
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        if (i + 2 >= raw.length()) {
          return null;
        }
        int hi = Character.digit(raw.charAt(i + 1), 16);
        int lo = Character.digit(raw.charAt(i + 2), 16);
        // controls and non-ASCII octets are the container's to refuse or decode
        if (hi < 2 || hi > 7 || lo < 0 || (hi == 7 && lo == 15)) {
          return null;
        }
        decoded.append((char) (hi * 16 + lo));
        i += 2;
      } else {
        decoded.append(c);
      }
    }
    // remove dot segments (RFC 3986, 5.2.4); a climb above the root is refused by Jetty
    Deque<String> out = new ArrayDeque<>();
    String[] segments = decoded.substring(1).split("/", -1);
    for (int i = 0; i < segments.length; i++) {
      String s = segments[i];
      boolean last = i == segments.length - 1;
      if (s.equals(".")) {
        if (last) {
          out.addLast("");
        }
      } else if (s.equals("..")) {
        if (out.isEmpty()) {
          return null;
        }
        out.removeLast();
        if (last) {
          out.addLast("");
        }
      } else {
        out.addLast(s);
      }
    }
    return "/" + String.join("/", out);
  }

  @Provide
  Arbitrary<Req> requests() {
    Arbitrary<String> method = Arbitraries.frequencyOf(
        Tuple.of(40, Arbitraries.of("POST", "GET")),
        Tuple.of(20, Arbitraries.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE")),
        Tuple.of(4, Arbitraries.strings().withChars(TOKEN_CHARS).ofMinLength(1).ofMaxLength(12)),
        Tuple.of(1, Arbitraries.of("get", "Post", "options", "CONNECT", "PRI", "G T", "G\u00c9T", "GET\u0000", "\u212Aey")));
    Arbitrary<String> authorization = Arbitraries.frequencyOf(
        Tuple.of(25, valid()),
        Tuple.of(10, caseAndSpaceVariants()),
        Tuple.of(10, Combinators.combine(Arbitraries.strings().withChars(TOKEN_CHARS).ofMinLength(1).ofMaxLength(16), credentialText())
            .as((scheme, c) -> scheme + " " + c)),
        Tuple.of(8, Combinators.combine(Arbitraries.of("ApiKey ", "apikey ", "Bearer "), base64ish()).as(String::concat)),
        Tuple.of(6, unicode()),
        Tuple.of(4, Arbitraries.strings().ofMinLength(0).ofMaxLength(40)),
        Tuple.of(2, huge()),
        Tuple.of(2, Arbitraries.of("", " ", "\t", "Bearer", "ApiKey", "Bearer ", "ApiKey  ", "Basic dXNlcjpwdw==", "Bearer\u0000" + TOKEN,
            "Bearer " + TOKEN + "\r", "ApiKey " + WRITER.encoded() + "\u007f", "Negotiate", "Digest username=\"x\"")));
    Arbitrary<List<String>> headers = Arbitraries.frequencyOf(
        Tuple.of(15, Arbitraries.just(List.<String>of())),
        Tuple.of(70, authorization.map(List::of)),
        Tuple.of(8, authorization.map(v -> List.of(v, v))),
        Tuple.of(7, authorization.list().ofMinSize(2).ofMaxSize(3)));
    Arbitrary<String> origin = Arbitraries.frequencyOf(
        Tuple.of(10, Arbitraries.of("https://shop.example", "http://localhost:4200", "null", "https://evil.example?x=good.example")),
        Tuple.of(5, Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(30))).injectNull(0.85);
    // a denied request with a body closes its connection, so bodies are rarer than they would be
    Arbitrary<Boolean> body = Arbitraries.frequency(Tuple.of(1, true), Tuple.of(9, false)).withoutEdgeCases();
    return Combinators.combine(method, paths(), headers, origin, body)
        .as((m, p, h, o, b) -> new Req(m, p, h, o, b && !m.equals("GET") && !m.equals("HEAD")));
  }

  private static Arbitrary<String> valid() {
    List<String> values = new ArrayList<>(List.of("Bearer " + TOKEN));
    KEYS.keySet().forEach(k -> values.add("ApiKey " + k.encoded()));
    values.add("ApiKey " + ApiKeyCredential.of(WRITER.id(), "wrong-secret").encoded());
    values.add("Bearer not-the-token");
    return Arbitraries.of(values);
  }

  private static Arbitrary<String> caseAndSpaceVariants() {
    return Combinators.combine(valid(), Arbitraries.of(" ", "  ", "\t", " \t "), Arbitraries.of("", " ", "\t", "   "), Arbitraries.integers().between(0, 3))
        .as((v, sep, pad, casing) -> {
          int space = v.indexOf(' ');
          String scheme = v.substring(0, space);
          scheme = switch (casing) {
            case 0 -> scheme.toLowerCase(Locale.ROOT);
            case 1 -> scheme.toUpperCase(Locale.ROOT);
            case 2 -> scheme.replace('e', '\u0435');  // Cyrillic e
            default -> scheme;
          };
          return pad + scheme + sep + v.substring(space + 1) + pad;
        });
  }

  private static Arbitrary<String> credentialText() {
    return Arbitraries.strings().withChars(TOKEN_CHARS + "=/ ").ofMaxLength(40);
  }

  private static Arbitrary<String> base64ish() {
    return Arbitraries.frequencyOf(
        Tuple.of(3, Arbitraries.strings().withChars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_").ofMaxLength(60)),
        Tuple.of(2, Arbitraries.strings().ofMaxLength(30).map(s -> Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8)))),
        Tuple.of(2, Combinators.combine(Arbitraries.strings().ofMaxLength(12), Arbitraries.strings().ofMaxLength(12))
            .as((id, secret) -> Base64.getEncoder().encodeToString((id + ":" + secret).getBytes(StandardCharsets.UTF_8)))));
  }

  private static Arbitrary<String> unicode() {
    return Combinators.combine(Arbitraries.of("Api\u212Aey", "Bear\u0131r", "B\u00e9arer", "\u0041piKey", "Bearer", "ApiKey", "\ud83d\udd11"),
        Arbitraries.of(" ", "\u00a0", "\u2003", "\u3000"),
        Arbitraries.strings().withCharRange('\u00a0', '\uffef').ofMaxLength(20))
        .as((s, sep, tail) -> s + sep + tail);
  }

  private static Arbitrary<String> huge() {
    return Combinators.combine(Arbitraries.of("Bearer ", "ApiKey ", "X "), Arbitraries.integers().between(1000, 9000), Arbitraries.of('A', 'a', '0', '+', '/', '='))
        .as((scheme, n, c) -> scheme + String.valueOf(c).repeat(n));
  }

  private static Arbitrary<String> paths() {
    List<String> routes = new ArrayList<>(METHODS.keySet());
    Arbitrary<String> exact = Arbitraries.of(routes);
    Arbitrary<String> nearMiss = Arbitraries.of(routes).flatMap(p -> Arbitraries.of(
        p + "/", p + ".json", p.toUpperCase(Locale.ROOT), p + "x", p.replaceFirst("/v", "/V"), p + "?q=1", p + "/..", "/" + p, p + ";a=b",
        p.replace("/", "//"), p + "#frag", p + "%", p + "%zz", p + "%2F", "/x/.." + p, "/." + p, p.replaceFirst("/([a-z]+)/", "/$1/../$1/"),
        p.replaceFirst("/", "/%2e%2e/"), "\\" + p.substring(1), p + "%00", p + "%20", p.length() > 1 ? p.substring(0, p.length() - 1) : "/x"));
    Arbitrary<String> encoded = Combinators.combine(Arbitraries.of(routes), Arbitraries.longs()).as((p, seed) -> {
      Random r = new Random(seed);
      StringBuilder b = new StringBuilder();
      for (char c : p.toCharArray()) {
        b.append(c != '/' && r.nextInt(3) == 0 ? String.format(r.nextBoolean() ? "%%%02X" : "%%%02x", (int) c) : String.valueOf(c));
      }
      return b.toString();
    });
    Arbitrary<String> random = Arbitraries.strings().withChars("abcdefgrstuv0123456789/._-%").ofMaxLength(30).map(s -> "/" + s);
    return Arbitraries.frequencyOf(Tuple.of(45, exact), Tuple.of(20, nearMiss), Tuple.of(20, encoded), Tuple.of(8, random),
        Tuple.of(1, Arbitraries.of("*", "http://127.0.0.1/intake/v2/events", "")));
  }

  /** An answer as read off the wire. */
  record Answer(int status, Map<String, String> headers, String body) {}

  /** One HTTP/1.1 connection, reopened whenever the server closes it. */
  static final class Wire implements AutoCloseable {
    private final int port;
    private @Nullable Socket socket;
    private @Nullable InputStream in;
    private @Nullable OutputStream out;

    Wire(int port) {
      this.port = port;
    }

    Answer exchange(Req req) throws IOException {
      boolean reused = socket != null;
      try {
        return exchangeOnce(req);
      } catch (IOException e) {
        if (!reused) {
          throw e;
        }
        // a server may close a kept-alive connection between requests (RFC 9112, 9.3.1): once more, on a new one
        RETRIES.computeIfAbsent(previous, k -> new AtomicInteger()).incrementAndGet();
        return exchangeOnce(req);
      }
    }

    private String previous = "";

    private Answer exchangeOnce(Req req) throws IOException {
      if (socket == null) {
        socket = new Socket("127.0.0.1", port);
        CONNECTIONS.incrementAndGet();
        socket.setSoTimeout(20_000);
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream(), 16384);
        out = socket.getOutputStream();
      }
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      write(b, req.method + " " + req.target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
      for (String v : req.authorization) {
        write(b, "Authorization: " + v + "\r\n");
      }
      if (req.origin != null) {
        write(b, "Origin: " + req.origin + "\r\n");
      }
      write(b, req.body ? "Content-Type: application/x-ndjson\r\nContent-Length: 3\r\n\r\n{}\n" : "\r\n");
      Answer a;
      try {
        out.write(b.toByteArray());
        out.flush();
        a = read(in, req.method.equals("HEAD"));
      } catch (IOException e) {
        close();
        throw new IOException("no answer to " + req, e);
      }
      previous = req.method + " " + a.status + " " + a.headers.getOrDefault("connection", "") + (req.body ? " body" : "");
      String connection = a.headers.getOrDefault("connection", "");
      // A control character in a header or the request line leaves the framing of what follows to the
      // parser's leniency (a bare CR may end a line, so the rest reads as another request): never
      // send the next request after it on the same connection, or its answer would be that one's.
      if (connection.toLowerCase(Locale.ROOT).contains("close") || !a.headers.containsKey("x-content-type-options")
          || framingUndefined(req)) {
        close();
      }
      return a;
    }

    private static void write(ByteArrayOutputStream b, String s) {
      b.writeBytes(s.getBytes(StandardCharsets.UTF_8));
    }

    private static Answer read(InputStream in, boolean head) throws IOException {
      String statusLine = line(in);
      if (statusLine == null) {
        throw new IOException("connection closed before an answer");
      }
      int status = Integer.parseInt(statusLine.split(" ", 3)[1]);
      Map<String, String> headers = new LinkedHashMap<>();
      for (String l = line(in); l != null && !l.isEmpty(); l = line(in)) {
        int colon = l.indexOf(':');
        headers.merge(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim(), (x, y) -> x + ", " + y);
      }
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      if (!head) {
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
          for (int n = Integer.parseInt(line(in).split(";")[0].trim(), 16); n > 0; n = Integer.parseInt(line(in).split(";")[0].trim(), 16)) {
            body.writeBytes(in.readNBytes(n));
            line(in);
          }
          line(in);
        } else if (headers.containsKey("content-length")) {
          body.writeBytes(in.readNBytes(Integer.parseInt(headers.get("content-length"))));
        } else if (headers.getOrDefault("connection", "").contains("close")) {
          in.transferTo(body);
        }
      }
      return new Answer(status, headers, body.toString(StandardCharsets.UTF_8));
    }

    private static @Nullable String line(InputStream in) throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      int c;
      while ((c = in.read()) != -1) {
        if (c == '\n') {
          byte[] bytes = b.toByteArray();
          int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
          return new String(bytes, 0, n, StandardCharsets.ISO_8859_1);
        }
        b.write(c);
      }
      return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() {
      if (socket != null) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // closing anyway
        }
      }
      socket = null;
      in = null;
      out = null;
    }
  }
}
