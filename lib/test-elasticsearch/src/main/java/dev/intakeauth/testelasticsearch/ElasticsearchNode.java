package dev.intakeauth.testelasticsearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.intakeauth.internal.Base64Credentials;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;

/**
 * One real Elasticsearch node with security on, started from the distribution zip that the build
 * fetched from Maven Central, for integration tests.
 *
 * <p>Each start unpacks the zip into a fresh temporary directory, installs a small plugin with the
 * analysis components the security index needs (compiled here against the distribution's own jars),
 * creates a file-realm superuser and starts the node on free loopback ports. As root (as in CI) the
 * node runs as {@code nobody}, since Elasticsearch refuses to run as root. Nodes are stopped by
 * {@link #close()} and, whatever happens to the tests, by a JVM shutdown hook.
 *
 * <p>Each node runs on a JDK that its version supports, found by {@link JdkFinder}: the running JVM
 * for 7.x and 8.x, a JDK 21 or later for 9.x. When there is none, {@link #start(String)} prints one
 * warning line and aborts the calling test (a JUnit assumption), so those tests are reported as
 * skipped rather than failed.
 *
 * <p>The zips are looked up in the folder named by the system property
 * {@code intakeauth.elasticsearch.zips} (default {@code target/elasticsearch-zips}), as
 * {@code elasticsearch-<version>.zip}.
 */
public final class ElasticsearchNode implements AutoCloseable {

  /** The system property naming the folder with the distribution zips. */
  private static final String ZIPS_PROPERTY = "intakeauth.elasticsearch.zips";

  private static final List<ElasticsearchNode> ALL = new ArrayList<>();
  private static final Set<String> WARNED = new HashSet<>();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PLUGIN_NAME = "intake-auth-email-analysis";
  private static final String PLUGIN_CLASS = "dev.intakeauth.testelasticsearch.plugin.EmailAnalysisPlugin";

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(ElasticsearchNode::closeAll, "stop-elasticsearch"));
  }

  private final String version;
  private final JdkFinder.Jdk jdk;
  private final Path home;
  private final int httpPort;
  private final int transportPort;
  private final String username = "intake_admin";
  private final String password;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final boolean root;
  private final Duration startupTime;
  private boolean running;

  private ElasticsearchNode(String version, JdkFinder.Jdk jdk) throws IOException, InterruptedException {
    this.version = version;
    this.jdk = jdk;
    this.root = "root".equals(System.getProperty("user.name"));
    this.password = randomToken();
    this.httpPort = freePort();
    this.transportPort = freePort();
    this.home = Files.createTempDirectory("intake-auth-es-" + version + "-");
    synchronized (ALL) {
      ALL.add(this);
    }
    long started = System.nanoTime();
    unzip(zip(version), home);
    installPlugin();
    writeConfig();
    run(List.of(home.resolve("bin/elasticsearch-users").toString(), "useradd", username, "-p", password, "-r", "superuser"), false);
    if (root) {
      Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
      run(List.of("chown", "-R", "nobody:nogroup", home.toString()), false);
    }
    launch();
    this.startupTime = Duration.ofNanos(System.nanoTime() - started);
  }

  /**
   * Starts a node of this version, owned by the caller; aborts the calling test when no JDK on this
   * machine can run that version.
   *
   * @param version a version whose zip the build fetched, such as {@code 8.15.0}
   * @return the running node
   */
  public static ElasticsearchNode start(String version) {
    unrunnable(version).ifPresent(Assumptions::abort);
    JdkFinder.Jdk jdk = JdkFinder.onThisMachine().find(JdkFinder.minimumJavaFor(version)).orElseThrow();
    if (!jdk.home().equals(Paths.get(System.getProperty("java.home")))) {
      System.out.println("Elasticsearch " + version + " runs on Java " + jdk.feature() + " at " + jdk.home() + " (found by " + jdk.origin() + ")");
    }
    try {
      return new ElasticsearchNode(version, jdk);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting Elasticsearch " + version, e);
    }
  }

  /**
   * Why no node of this version can run here, for tests that skip themselves one by one; the first
   * time for each version, also printed as one warning line.
   *
   * @param version such as {@code 9.2.0}
   * @return the reason, or empty when a JDK for it was found
   */
  public static Optional<String> unrunnable(String version) {
    int minimum = JdkFinder.minimumJavaFor(version);
    if (JdkFinder.onThisMachine().find(minimum).isPresent()) {
      return Optional.empty();
    }
    String message = "Elasticsearch " + version + " needs Java " + minimum + "+ and none was found: its integration tests are SKIPPED."
        + " Point at a JDK " + minimum + "+ with -D" + JdkFinder.PROPERTY + "=<jdk home> or ES_JAVA_HOME,"
        + " or install one under /usr/lib/jvm, or declare it in ~/.m2/toolchains.xml.";
    synchronized (WARNED) {
      if (WARNED.add(version)) {
        System.out.println("[WARNING] " + message);
      }
    }
    return Optional.of(message);
  }

  /**
   * The HTTP address.
   *
   * @return for example {@code http://127.0.0.1:41234}
   */
  public String url() {
    return "http://127.0.0.1:" + httpPort;
  }

  /**
   * The HTTP port.
   *
   * @return the port
   */
  public int port() {
    return httpPort;
  }

  /**
   * The superuser's name.
   *
   * @return the name
   */
  public String username() {
    return username;
  }

  /**
   * The superuser's password.
   *
   * @return the password
   */
  public String password() {
    return password;
  }

  /** The superuser's {@code Authorization} value. */
  private String basicAuth() {
    return "Basic " + Base64Credentials.encode(username, password);
  }

  /**
   * How long the first start took, from unpacking to a green health check.
   *
   * @return the duration
   */
  public Duration startupTime() {
    return startupTime;
  }

  /** An HTTP answer. */
  public record Response(int status, String body) {
    /**
     * The body as JSON.
     *
     * @return the parsed body
     */
    public JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** An API key as Elasticsearch created it. */
  public record ApiKey(String id, String name, String apiKey) {
    /**
     * The credential an agent sends.
     *
     * @return {@code base64(id:api_key)}
     */
    public String encoded() {
      return Base64Credentials.encode(id, apiKey);
    }

    @Override
    public String toString() {
      return "ApiKey[id=" + id + ", name=" + name + "]";
    }
  }

  /**
   * Sends a request as the superuser.
   *
   * @param method the method
   * @param path the path, with query
   * @param body a JSON body, or null
   * @return the answer
   */
  public Response request(String method, String path, @Nullable String body) {
    return request(basicAuth(), method, path, body);
  }

  /**
   * Sends a request with the given {@code Authorization} value.
   *
   * @param authorization the header value
   * @param method the method
   * @param path the path, with query
   * @param body a JSON body, or null
   * @return the answer
   */
  public Response request(String authorization, String method, String path, @Nullable String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + path))
        .timeout(Duration.ofSeconds(30))
        .header("Authorization", authorization)
        .header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Creates an API key through {@code POST /_security/api_key} as the superuser.
   *
   * @param name the key's name
   * @param roleDescriptorsJson the {@code role_descriptors} object, or null for the creator's privileges
   * @param expiration for example {@code 1d} or {@code 2s}, or null for none
   * @return the key
   */
  public ApiKey createApiKey(String name, @Nullable String roleDescriptorsJson, @Nullable String expiration) {
    ObjectNode body = JSON.createObjectNode().put("name", name);
    try {
      if (roleDescriptorsJson != null) {
        body.set("role_descriptors", JSON.readTree(roleDescriptorsJson));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (expiration != null) {
      body.put("expiration", expiration);
    }
    body.set("metadata", JSON.createObjectNode().put("application", "apm"));
    Response r = request("POST", "/_security/api_key", body.toString());
    if (r.status() != 200) {
      throw new IllegalStateException("creating API key " + name + " failed: " + r.status() + " " + r.body());
    }
    JsonNode json = r.json();
    return new ApiKey(json.get("id").asText(), json.get("name").asText(), json.get("api_key").asText());
  }

  /**
   * A role descriptor for the {@code apm} application with these privileges.
   *
   * @param privileges privilege names
   * @return the {@code role_descriptors} JSON
   */
  public static String apmRole(String... privileges) {
    ObjectNode app = JSON.createObjectNode().put("application", "apm");
    app.putArray("privileges").addAll(Stream.of(privileges).map(JSON.getNodeFactory()::textNode).toList());
    app.putArray("resources").add("*");
    ObjectNode role = JSON.createObjectNode();
    role.putArray("applications").add(app);
    return JSON.createObjectNode().set("apm", role).toString();
  }

  /**
   * Invalidates an API key by id.
   *
   * @param id the key id
   */
  public void invalidateApiKey(String id) {
    Response r = request("DELETE", "/_security/api_key", JSON.createObjectNode().set("ids", JSON.createArrayNode().add(id)).toString());
    if (r.status() != 200) {
      throw new IllegalStateException("invalidating API key failed: " + r.status() + " " + r.body());
    }
  }

  /** Stops the node (SIGTERM, then SIGKILL); {@link #restart()} brings it back with its data. */
  public synchronized void stop() {
    if (!running) {
      return;
    }
    Optional<ProcessHandle> process = pid().flatMap(ProcessHandle::of);
    process.ifPresent(p -> {
      thaw();
      p.destroy();
      try {
        p.onExit().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        p.destroyForcibly();
      }
    });
    running = false;
  }

  /** Starts a stopped node again on the same port with the same data. */
  public synchronized void restart() {
    try {
      launch();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Freezes the node with SIGSTOP: connections are accepted by the kernel but never answered. */
  public void freeze() {
    signal("STOP");
  }

  /** Resumes a frozen node with SIGCONT. */
  public void thaw() {
    signal("CONT");
  }

  @Override
  public synchronized void close() {
    stop();
    deleteTree(home);
  }

  private static void closeAll() {
    List<ElasticsearchNode> nodes;
    synchronized (ALL) {
      nodes = new ArrayList<>(ALL);
    }
    for (ElasticsearchNode node : nodes) {
      try {
        node.close();
      } catch (RuntimeException e) {
        System.err.println("could not stop Elasticsearch " + node.version + ": " + e);
      }
    }
  }

  private void signal(String name) {
    pid().ifPresent(pid -> {
      try {
        run(List.of("kill", "-" + name, Long.toString(pid)), false);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
  }

  private Optional<Long> pid() {
    try {
      return Optional.of(Long.parseLong(Files.readString(home.resolve("es.pid")).strip()));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  private void launch() throws IOException, InterruptedException {
    Files.deleteIfExists(home.resolve("es.pid"));
    run(List.of(home.resolve("bin/elasticsearch").toString(), "-d", "-p", home.resolve("es.pid").toString()), true);
    running = true;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (System.nanoTime() < deadline) {
      try {
        if (request("GET", "/_cluster/health?wait_for_status=yellow&timeout=5s", null).status() == 200) {
          return;
        }
      } catch (UncheckedIOException e) {
        // not listening yet
      }
      Thread.sleep(500);
    }
    throw new IllegalStateException("Elasticsearch " + version + " did not become ready in 180 s; log tail:\n" + logTail());
  }

  private String logTail() {
    try (Stream<Path> logs = Files.list(home.resolve("logs"))) {
      StringBuilder out = new StringBuilder();
      for (Path log : logs.filter(p -> p.toString().endsWith(".log")).toList()) {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        out.append("== ").append(log.getFileName()).append('\n');
        lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(l -> out.append(l).append('\n'));
      }
      return out.toString();
    } catch (IOException e) {
      return "(no logs: " + e + ")";
    }
  }

  /** Runs a command in the node's home, as {@code nobody} when {@code asNode} and this JVM is root. */
  private void run(List<String> command, boolean asNode) throws IOException, InterruptedException {
    List<String> full = new ArrayList<>();
    String javaHome = jdk.home().toString();
    if (asNode && root) {
      full.addAll(List.of("runuser", "-u", "nobody", "--", "env", "ES_JAVA_HOME=" + javaHome, "ES_JAVA_OPTS=-Xms256m -Xmx256m"));
    }
    full.addAll(command);
    ProcessBuilder pb = new ProcessBuilder(full).directory(home.toFile()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("harness.out").toFile()));
    pb.environment().put("ES_JAVA_HOME", javaHome);
    pb.environment().put("ES_JAVA_OPTS", "-Xms256m -Xmx256m");
    pb.environment().remove("JAVA_HOME");
    Process p = pb.start();
    if (!p.waitFor(180, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("command did not finish: " + command.get(0));
    }
    if (p.exitValue() != 0) {
      String out = Files.exists(home.resolve("harness.out")) ? Files.readString(home.resolve("harness.out")) : "";
      throw new IllegalStateException("command failed with " + p.exitValue() + ": " + command.get(0) + "\n" + out.replace(password, "***") + logTail());
    }
  }

  private void writeConfig() throws IOException {
    boolean v7 = version.startsWith("7.");
    StringBuilder yml = new StringBuilder()
        .append("cluster.name: intake-auth-test\n")
        .append("node.name: node-1\n")
        .append("discovery.type: single-node\n")
        .append("network.host: 127.0.0.1\n")
        .append("http.port: ").append(httpPort).append('\n')
        .append("transport.port: ").append(transportPort).append('\n')
        .append("path.data: ").append(home.resolve("data")).append('\n')
        .append("path.logs: ").append(home.resolve("logs")).append('\n')
        .append("cluster.routing.allocation.disk.threshold_enabled: false\n")
        .append("xpack.security.enabled: true\n")
        .append("xpack.security.authc.api_key.enabled: true\n");
    if (!v7) {
      yml.append("xpack.security.http.ssl.enabled: false\n").append("xpack.security.transport.ssl.enabled: false\n");
    }
    Files.writeString(home.resolve("config/elasticsearch.yml"), yml.toString());
  }

  private void installPlugin() throws IOException, InterruptedException {
    String release = Integer.toString(JdkFinder.minimumJavaFor(version));
    Path work = Files.createTempDirectory("intake-auth-es-plugin-");
    try {
      Path src = work.resolve("src/dev/intakeauth/testelasticsearch/plugin/EmailAnalysisPlugin.java");
      Files.createDirectories(src.getParent());
      try (InputStream in = ElasticsearchNode.class.getResourceAsStream("EmailAnalysisPlugin.java.txt")) {
        if (in == null) {
          throw new IllegalStateException("plugin source missing from the harness jar");
        }
        Files.copy(in, src);
      }
      String classpath;
      try (Stream<Path> jars = Files.list(home.resolve("lib"))) {
        classpath = String.join(java.io.File.pathSeparator, jars.filter(p -> p.toString().endsWith(".jar")).map(Path::toString).toList());
      }
      Path classes = work.resolve("classes");
      Files.createDirectories(classes);
      List<String> args = List.of("-proc:none", "--release", release, "-nowarn", "-cp", classpath, "-d", classes.toString(), src.toString());
      if (compile(args, work) != 0) {
        throw new IllegalStateException("compiling the test analysis plugin against Elasticsearch " + version + " failed");
      }
      Path pluginDir = home.resolve("plugins").resolve(PLUGIN_NAME);
      Files.createDirectories(pluginDir);
      try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(pluginDir.resolve(PLUGIN_NAME + ".jar")));
           Stream<Path> files = Files.walk(classes)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          jar.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
          Files.copy(f, jar);
          jar.closeEntry();
        }
      }
      Files.writeString(pluginDir.resolve("plugin-descriptor.properties"),
          "description=Email analysis components for the security index, for tests\n"
              + "version=1.0.0\n"
              + "name=" + PLUGIN_NAME + "\n"
              + "classname=" + PLUGIN_CLASS + "\n"
              + "java.version=" + release + "\n"
              + "elasticsearch.version=" + version + "\n");
    } finally {
      deleteTree(work);
    }
  }

  /**
   * Compiles in this JVM when it is the node's JDK; otherwise with the node's JDK's {@code javac},
   * since an older compiler cannot read a newer distribution's class files.
   */
  private int compile(List<String> args, Path work) throws IOException, InterruptedException {
    if (jdk.home().equals(Paths.get(System.getProperty("java.home")))) {
      JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
      if (javac == null) {
        throw new IllegalStateException("the integration tests need a JDK (javac) to build the test analysis plugin");
      }
      return javac.run(null, null, null, args.toArray(String[]::new));
    }
    List<String> command = new ArrayList<>();
    command.add(jdk.home().resolve("bin/javac").toString());
    command.addAll(args);
    Path out = work.resolve("javac.out");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -1;
    }
    if (p.exitValue() != 0) {
      System.err.println(Files.readString(out));
    }
    return p.exitValue();
  }

  private static Path zip(String version) {
    Path dir = Paths.get(System.getProperty(ZIPS_PROPERTY, "target/elasticsearch-zips"));
    Path zip = dir.resolve("elasticsearch-" + version + ".zip");
    if (!Files.isRegularFile(zip)) {
      throw new IllegalStateException("no Elasticsearch distribution at " + zip.toAbsolutePath()
          + "; the build copies it there (maven-dependency-plugin, execution copy-elasticsearch)");
    }
    return zip;
  }

  private static void unzip(Path zip, Path target) throws IOException {
    try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
      for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        String name = e.getName();
        int slash = name.indexOf('/');
        if (slash < 0 || slash == name.length() - 1) {
          continue;
        }
        Path out = target.resolve(name.substring(slash + 1)).normalize();
        if (!out.startsWith(target)) {
          throw new IOException("zip entry outside the target: " + name);
        }
        if (e.isDirectory()) {
          Files.createDirectories(out);
          continue;
        }
        Files.createDirectories(out.getParent());
        try (OutputStream o = Files.newOutputStream(out)) {
          in.transferTo(o);
        }
        if (name.contains("/bin/") || name.contains("/platform/")) {
          Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
      }
    }
    Files.createDirectories(target.resolve("plugins"));
    Files.createDirectories(target.resolve("logs"));
    Files.createDirectories(target.resolve("data"));
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort: a temp dir left behind is harmless
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static String randomToken() {
    byte[] b = new byte[12];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  @Override
  public String toString() {
    return "ElasticsearchNode[" + version + " at " + url() + " on Java " + jdk.feature() + "]";
  }
}
