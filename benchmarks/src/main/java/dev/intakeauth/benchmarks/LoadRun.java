package dev.intakeauth.benchmarks;

import dev.intakeauth.GeneratedKey;
import dev.intakeauth.Privilege;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;
import org.HdrHistogram.Histogram;

/**
 * A bounded, local load run of the example intake server: the server runs in its own JVM on
 * loopback, and this process sends {@code POST /intake/v2/events} (a metadata line and one
 * transaction) over keep-alive connections, closed loop (each connection sends its next request when
 * the previous answer arrives), with authorization off, with a secret token, and with cached API keys
 * (one key per connection, from a key file). Every request carries an {@code Authorization} header,
 * also with authorization off (where the server ignores it), so that the modes differ only in the
 * checking. Modes alternate within each round, each round starting
 * with the next mode, so that drift on the machine and the order of runs are spread over all of them. Plain HTTP with
 * {@code intake-auth.allow_plain_http_credentials: true}, so that TLS's cost does not hide
 * authorization's.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar dev.intakeauth.benchmarks.LoadRun
 * [connections, default 8] [warm-up seconds, 20] [measured seconds, 15] [rounds, 3]}. Extra JVM
 * options for the server go in the system property {@code load.serverJvmArgs} ({@code {mode}} is
 * replaced by the mode's name), for example a flight recording per mode:
 * {@code -Dload.serverJvmArgs=-XX:StartFlightRecording=filename=/tmp/{mode}.jfr,settings=profile}.
 */
public final class LoadRun {

  private static final String TOKEN = "load-run-secret-token-0123456789";
  private static final byte[] BODY = ("""
      {"metadata":{"service":{"name":"checkout","agent":{"name":"java","version":"1.52.0"}}}}
      {"transaction":{"id":"945254c567a5417e","trace_id":"0123456789abcdef0123456789abcdef","name":"GET /cart","type":"request","duration":32.5,"span_count":{"started":0}}}
      """).getBytes(StandardCharsets.UTF_8);
  private static final List<String> MODES = List.of("off", "secret-token", "api-key");

  private LoadRun() {}

  /** One measured run of one mode. */
  private record Result(String mode, long requests, long errors, double seconds, Histogram latency, double serverCpuMicros) {
    double perSecond() {
      return requests / seconds;
    }

    /** The server process's CPU time (all its threads) per request, over the measured seconds. */
    double cpuPerRequest() {
      return requests == 0 ? 0 : serverCpuMicros / requests;
    }
  }

  /**
   * Runs the load.
   *
   * @param args connections, warm-up seconds, measured seconds, rounds
   * @throws Exception if the server cannot start or a connection fails
   */
  public static void main(String[] args) throws Exception {
    int connections = args.length > 0 ? Integer.parseInt(args[0]) : 8;
    int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int duration = args.length > 2 ? Integer.parseInt(args[2]) : 15;
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
    Path dir = Files.createTempDirectory("intake-load");
    StringBuilder keyFile = new StringBuilder();
    List<String> apiKeys = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      GeneratedKey key = GeneratedKey.generate("load-agent-" + i, List.of(Privilege.EVENT_WRITE), null);
      keyFile.append(key.keyFileLine()).append('\n');
      apiKeys.add(key.credential().authorizationValue());
    }
    Files.writeString(dir.resolve("keys.txt"), keyFile);
    System.out.printf(Locale.ROOT, "%s, %d cores; %d connections, %d s warm-up, %d s measured, %d rounds%n",
        Runtime.version(), Runtime.getRuntime().availableProcessors(), connections, warmup, duration, rounds);
    System.out.printf(Locale.ROOT, "%-6s %-13s %10s %9s %9s %9s %9s %9s %7s %12s%n",
        "round", "mode", "req/s", "p50 us", "p90 us", "p99 us", "p99.9 us", "max us", "errors", "server CPU us/req");
    Map<String, List<Result>> byMode = new LinkedHashMap<>();
    for (String mode : MODES) {
      byMode.put(mode, new ArrayList<>());
    }
    for (int round = 1; round <= rounds; round++) {
      // Each round starts with another mode, so that no mode always runs first or last.
      List<String> order = new ArrayList<>(MODES);
      java.util.Collections.rotate(order, -(round - 1));
      for (String mode : order) {
        Result r = runMode(dir, mode, connections, warmup, duration, apiKeys);
        byMode.get(mode).add(r);
        Histogram h = r.latency();
        System.out.printf(Locale.ROOT, "%-6d %-13s %10.0f %9d %9d %9d %9d %9d %7d %12.1f%n", round, mode, r.perSecond(),
            h.getValueAtPercentile(50) / 1000, h.getValueAtPercentile(90) / 1000, h.getValueAtPercentile(99) / 1000,
            h.getValueAtPercentile(99.9) / 1000, h.getMaxValue() / 1000, r.errors(), r.cpuPerRequest());
      }
    }
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.delete(f);
      }
    }
    Files.delete(dir);
    System.out.println();
    System.out.println("mode           req/s (mean ± sd over rounds)   vs off     p50 us   p99 us  server CPU us/req (mean ± sd)");
    double off = mean(byMode.get("off"), Result::perSecond);
    for (Map.Entry<String, List<Result>> e : byMode.entrySet()) {
      Histogram all = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
      for (Result r : e.getValue()) {
        all.add(r.latency());
      }
      double m = mean(e.getValue(), Result::perSecond);
      double cpu = mean(e.getValue(), Result::cpuPerRequest);
      System.out.printf(Locale.ROOT, "%-13s %10.0f ± %-8.0f            %6.1f%%  %8d %8d  %8.1f ± %.1f%n", e.getKey(), m,
          sd(e.getValue(), Result::perSecond, m), 100 * m / off, all.getValueAtPercentile(50) / 1000,
          all.getValueAtPercentile(99) / 1000, cpu, sd(e.getValue(), Result::cpuPerRequest, cpu));
    }
  }

  private static Result runMode(Path dir, String mode, int connections, int warmup, int duration, List<String> apiKeys)
      throws Exception {
    int port;
    try (ServerSocket probe = new ServerSocket(0)) {
      port = probe.getLocalPort();
    }
    String auth = switch (mode) {
      case "secret-token" -> "    secret_token: \"" + TOKEN + "\"\n";
      case "api-key" -> "    api_key:\n      enabled: true\n      limit: 1000\n";
      default -> "";
    };
    String yaml = "apm-server:\n  host: \"127.0.0.1:" + port + "\"\n"
        + (auth.isEmpty() ? "" : "  auth:\n" + auth)
        + "intake-auth:\n  allow_plain_http_credentials: true\n"
        + ("api-key".equals(mode) ? "  keys_file: keys.txt\n" : "");
    Path config = dir.resolve(mode + ".yml");
    Files.writeString(config, yaml);
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xms1g", "-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"));
    String extra = System.getProperty("load.serverJvmArgs", "").replace("{mode}", mode);
    if (!extra.isBlank()) {
      command.addAll(List.of(extra.trim().split("\\s+")));
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"),
        "dev.intakeauth.examples.intake.IntakeServer", "--config", config.toString()));
    Process server = new ProcessBuilder(command)
        .redirectError(dir.resolve(mode + ".log").toFile())
        .start();
    try {
      awaitListening(server, dir.resolve(mode + ".log"));
      if (!"off".equals(mode)) {
        // The server must be checking: a wrong credential of the mode's kind is refused.
        String wrong = "secret-token".equals(mode) ? "Bearer not-" + TOKEN : apiKeys.get(0).substring(0, apiKeys.get(0).length() - 6) + "AAAA==";
        try (HttpConnection probe = new HttpConnection("127.0.0.1", port,
            HttpConnection.request("POST", "/intake/v2/events", wrong, "application/x-ndjson", BODY))) {
          int status = probe.exchange();
          if (status != 401) {
            throw new IllegalStateException(mode + ": a wrong credential got " + status + ", not 401");
          }
        }
      }
      return load(mode, port, connections, warmup, duration, apiKeys, server.toHandle());
    } finally {
      server.destroy();
      if (!server.waitFor(10, TimeUnit.SECONDS)) {
        server.destroyForcibly().waitFor();
      }
    }
  }

  private static void awaitListening(Process server, Path log) throws IOException {
    BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      if (line.contains("listening on")) {
        Thread drain = new Thread(() -> {
          try {
            while (out.readLine() != null) {
              // keep the pipe empty
            }
          } catch (IOException e) {
            // the server stopped
          }
        }, "server-stdout");
        drain.setDaemon(true);
        drain.start();
        return;
      }
    }
    throw new IOException("the server did not start; its log: " + Files.readString(log));
  }

  private static Result load(String mode, int port, int connections, int warmup, int duration, List<String> apiKeys,
      ProcessHandle server) throws Exception {
    long start = System.nanoTime();
    long measureFrom = start + TimeUnit.SECONDS.toNanos(warmup);
    long end = measureFrom + TimeUnit.SECONDS.toNanos(duration);
    AtomicLong requests = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    List<Histogram> histograms = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int c = 0; c < connections; c++) {
      // With authorization off the agents still send a header (the token's), so that every mode makes
      // the container parse the same requests and only the server's checking differs.
      String authorization = "api-key".equals(mode) ? apiKeys.get(c) : "Bearer " + TOKEN;
      byte[] request = HttpConnection.request("POST", "/intake/v2/events", authorization, "application/x-ndjson", BODY);
      Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
      histograms.add(h);
      Thread t = new Thread(() -> {
        try (HttpConnection connection = new HttpConnection("127.0.0.1", port, request)) {
          long n = 0;
          long bad = 0;
          for (long now = System.nanoTime(); now < end; ) {
            int status = connection.exchange();
            long after = System.nanoTime();
            if (now >= measureFrom) {
              h.recordValue(after - now);
              n++;
              if (status != 202) {
                bad++;
              }
            }
            now = after;
          }
          requests.addAndGet(n);
          errors.addAndGet(bad);
        } catch (IOException | RuntimeException e) {
          failures.add(e);
        }
      }, "load-" + c);
      threads.add(t);
      t.start();
    }
    Thread.sleep(Math.max(0, TimeUnit.NANOSECONDS.toMillis(measureFrom - System.nanoTime())));
    long cpuFrom = cpuNanos(server);
    for (Thread t : threads) {
      t.join();
    }
    long cpuTo = cpuNanos(server);
    if (!failures.isEmpty()) {
      throw new IOException(mode + ": a connection failed: " + failures.get(0), failures.get(0));
    }
    Histogram all = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
    histograms.forEach(all::add);
    return new Result(mode, requests.get(), errors.get(), duration, all, (cpuTo - cpuFrom) / 1000.0);
  }

  private static long cpuNanos(ProcessHandle process) {
    return process.info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
  }

  private static double mean(List<Result> results, ToDoubleFunction<Result> metric) {
    return results.stream().mapToDouble(metric).average().orElse(0);
  }

  /** The sample standard deviation of a metric over the rounds; 0 for a single round. */
  private static double sd(List<Result> results, ToDoubleFunction<Result> metric, double mean) {
    if (results.size() < 2) {
      return 0;
    }
    double sum = 0;
    for (Result r : results) {
      double d = metric.applyAsDouble(r) - mean;
      sum += d * d;
    }
    return Math.sqrt(sum / (results.size() - 1));
  }
}
