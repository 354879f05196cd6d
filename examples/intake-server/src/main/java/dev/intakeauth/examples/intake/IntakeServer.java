package dev.intakeauth.examples.intake;

import dev.intakeauth.Authenticator;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.GeneratedKey;
import dev.intakeauth.InMemoryKeyStore;
import dev.intakeauth.Privilege;
import dev.intakeauth.RevocationFeed;
import dev.intakeauth.TimeSource;
import dev.intakeauth.SecretTokens;
import dev.intakeauth.access.AccessControl;
import dev.intakeauth.access.CorsPolicy;
import dev.intakeauth.access.RouteTable;
import dev.intakeauth.anonymous.AnonymousPolicy;
import dev.intakeauth.anonymous.AnonymousRateLimiter;
import dev.intakeauth.anonymous.ClientAddressResolver;
import dev.intakeauth.elasticsearch.ElasticsearchConnection;
import dev.intakeauth.elasticsearch.ElasticsearchPrivilegeChecker;
import dev.intakeauth.elasticsearch.ElasticsearchRevocationSource;
import dev.intakeauth.grpc.GrpcMethods;
import dev.intakeauth.micrometer.IntakeAuthMetrics;
import dev.intakeauth.reload.ReloadingFile;
import dev.intakeauth.servlet.IntakeAuthFilter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.DispatcherType;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
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
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * An APM-compatible intake server on embedded Jetty 12, authorized by intake-auth. Without
 * {@code --config} it starts a secured demo on the spot: TLS with a fresh self-signed pair, one API
 * key with every privilege in an in-memory key file, and a {@code curl} line to try it.
 */
@Command(name = "intake-server", mixinStandardHelpOptions = true, versionProvider = IntakeServer.Version.class,
    description = "An APM-compatible intake server that authorizes agents like APM Server.")
public final class IntakeServer implements Callable<Integer>, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(IntakeServer.class);

  @Option(names = {"-c", "--config"}, description = "YAML file with apm-server.* settings (default: a secured demo).")
  @Nullable Path config;

  @Option(names = "--self-signed", paramLabel = "DIR", description = "Write a self-signed cert.pem and key.pem for localhost into DIR, and exit.")
  @Nullable Path selfSigned;

  private @Nullable Server server;
  @Option(names = "--print-config", description = "Print the settings in effect (defaults, the --config file, environment overrides), secrets masked, and exit.")
  boolean printConfig;

  private @Nullable IntakeServlet servlet;
  private @Nullable CachingPrivilegeChecker keys;
  /** The watched files (keys file, token file), closed with the server. */
  private final List<ReloadingFile> reloads = new java.util.concurrent.CopyOnWriteArrayList<>();
  private @Nullable OtlpGrpcServer otlpGrpc;
  /** The listener given to the components, when the monitoring endpoint is on. */
  private @Nullable IntakeAuthMetrics metrics;
  /** Evicts revoked API keys from the cache; null when off. */
  private @Nullable RevocationFeed revocation;
  private @Nullable ElasticsearchRevocationSource revocationSource;
  private @Nullable JvmGcMetrics gcMetrics;
  private @Nullable MonitoringServer monitoring;
  private String monitoringUrl = "";
  /** The API-key cache's and the file watchers' time source; tests put a manual clock here. */
  TimeSource time = TimeSource.system();
  private String baseUrl = "";
  private @Nullable String tryIt;
  private final Map<String, String> environment;
  private final PrintStream out;

  IntakeServer(Map<String, String> environment, PrintStream out) {
    this.environment = environment;
    this.out = out;
  }

  /**
   * Starts the server; it runs until the process stops.
   *
   * @param args {@code [--config FILE]}, {@code --self-signed DIR}, {@code --help}
   */
  public static void main(String[] args) {
    IntakeServer server = new IntakeServer(System.getenv(), System.out);
    CommandLine cl = commandLine(server);
    int code = cl.execute(args);
    if (code != 0 || server.server == null) {
      System.exit(code);
    }
    Runtime.getRuntime().addShutdownHook(new Thread(server::close));
    try {
      server.server.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The command line, with errors reported as one line and exit code 1. */
  static CommandLine commandLine(IntakeServer server) {
    CommandLine cl = new CommandLine(server);
    cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      server.close();
      commandLine.getErr().println("Error: " + (ex instanceof ConfigException || ex instanceof IOException ? ex.getMessage()
          : "the server could not start (" + ex.getClass().getSimpleName() + (ex.getMessage() == null ? "" : ": " + ex.getMessage()) + ")"));
      return 1;
    });
    return cl;
  }

  @Override
  public Integer call() throws Exception {
    if (selfSigned != null) {
      Path[] pair = Pem.selfSigned(selfSigned);
      out.println("Wrote " + pair[0] + " and " + pair[1]);
      out.println("Use them as apm-server.ssl.certificate and apm-server.ssl.key; clients trust cert.pem (curl --cacert " + pair[0] + ").");
      return 0;
    }
    if (printConfig) {
      ServerConfig settings = config != null ? ServerConfig.load(config, environment) : ServerConfig.defaults(environment);
      // The checks start() makes before it binds anything, so a bad value fails here as it would there.
      cors(settings);
      trustedProxies(settings);
      anonymousRateLimiter(settings, null);
      if (config == null) {
        out.println("# No --config: the demo starts with its own settings (TLS and a key file it writes); these are the defaults.");
      }
      out.print(settings.describe());
      out.flush();
      return 0;
    }
    ServerConfig settings = config != null ? ServerConfig.load(config, environment) : demo();
    start(settings);
    out.println("intake-server listening on " + baseUrl);
    if (otlpGrpc != null) {
      out.println("OTLP over gRPC on port " + otlpGrpc.port() + (settings.tlsEnabled() ? " (TLS, the same certificate)" : " (plaintext)"));
    }
    if (monitoring != null) {
      out.println("Monitoring on " + monitoringUrl + " (/metrics, /health)");
    }
    if (tryIt != null) {
      out.println("Try it (an agent sending one transaction with the demo API key):");
      out.println(tryIt);
    }
    out.flush();
    return 0;
  }

  /** The version from the jar's manifest; run from compiled classes, there is none to read. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = IntakeServer.class.getPackage().getImplementationVersion();
      return new String[] {"intake-server " + (version != null ? version : "(version unknown: not run from its jar)")};
    }
  }

  /** The secured demo: a fresh self-signed pair, one API key with every privilege, TLS on. */
  private ServerConfig demo() throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("intake-server-demo");
    Path[] pair = Pem.selfSigned(dir);
    GeneratedKey key = GeneratedKey.generate("demo-agent",
        List.of(Privilege.EVENT_WRITE, Privilege.AGENT_CONFIG_READ, Privilege.SOURCEMAP_WRITE), null);
    Files.writeString(dir.resolve("keys.txt"), "# id  secret-hash  privileges  [expires]\n" + key.keyFileLine() + "\n");
    Files.writeString(dir.resolve("events.ndjson"), """
        {"metadata":{"service":{"name":"checkout","agent":{"name":"java","version":"1.52.0"}}}}
        {"transaction":{"id":"945254c567a5417e","trace_id":"0123456789abcdef0123456789abcdef","name":"GET /cart","type":"request","duration":32.5,"span_count":{"started":0}}}
        """);
    Files.writeString(dir.resolve("apm-server.yml"), """
        # The demo's settings; copy and edit them, then run with --config.
        apm-server:
          host: "127.0.0.1:8200"
          auth:
            api_key:
              enabled: true
          ssl:
            certificate: cert.pem
            key: key.pem
        intake-auth:
          keys_file: keys.txt
        """);
    ServerConfig settings = ServerConfig.load(dir.resolve("apm-server.yml"), environment);
    tryIt = "curl -sS -i --cacert " + pair[0] + " -H 'Authorization: ApiKey " + key.credential().encoded() + "'"
        + " -H 'Content-Type: application/x-ndjson' --data-binary @" + dir.resolve("events.ndjson") + " %s/intake/v2/events";
    out.println("Demo files (self-signed TLS pair, key file, settings, sample events) in " + dir);
    return settings;
  }

  /**
   * Starts Jetty with the filter and the intake servlet.
   *
   * @param settings the settings
   * @throws Exception if Jetty cannot start
   */
  void start(ServerConfig settings) throws Exception {
    LOG.info("settings: {}", settings);
    metrics = settings.monitoringEnabled() ? IntakeAuthMetrics.builder().timeSource(time).build() : null;
    Authenticator.Builder auth = Authenticator.builder().secretTokens(secretTokens(settings));
    if (settings.apiKeysEnabled()) {
      keys = apiKeys(settings);
      auth.apiKeys(keys);
      if (metrics != null) {
        metrics.monitor(keys);
      }
    }
    boolean anonymous = settings.anonymousEnabled();
    Authenticator authenticator = auth.build();

    // One policy, rate limit and address resolver for every transport: a client's budget covers them all.
    AnonymousPolicy anonymousPolicy = AnonymousPolicy.builder()
        .allowAgents(new HashSet<>(settings.list(ServerConfig.Setting.ALLOW_AGENT)))
        .allowServices(new HashSet<>(settings.list(ServerConfig.Setting.ALLOW_SERVICE))).build();
    AnonymousRateLimiter rateLimiter = anonymousRateLimiter(settings, metrics);
    ClientAddressResolver clientAddresses = trustedProxies(settings);
    IntakeAuthFilter.Builder filterBuilder = IntakeAuthFilter.builder(authenticator)
        .anonymous(anonymous)
        .anonymousPolicy(anonymousPolicy)
        .rateLimiter(rateLimiter)
        .routes(RouteTable.apm(cors(settings)))
        .clientAddresses(clientAddresses)
        .serverTls(settings.tlsEnabled())
        .allowCredentialsOverPlainHttp(settings.bool(ServerConfig.Setting.ALLOW_PLAIN_HTTP_CREDENTIALS))
        .realm("apm-server");
    if (metrics != null) {
      filterBuilder.listener(metrics);
    }
    IntakeAuthFilter filter = filterBuilder.build();

    Server jetty = new Server(new QueuedThreadPool(200, 8));
    ServerConnector connector;
    if (settings.tlsEnabled()) {
      SslContextFactory.Server ssl = new SslContextFactory.Server();
      ssl.setKeyStore(Pem.keyStore(java.util.Objects.requireNonNull(settings.tlsCertificate()), java.util.Objects.requireNonNull(settings.tlsKey())));
      ssl.setKeyStorePassword(new String(Pem.STORE_PASSWORD));
      HttpConfiguration https = new HttpConfiguration();
      SecureRequestCustomizer secure = new SecureRequestCustomizer();
      secure.setSniHostCheck(false);
      https.addCustomizer(secure);
      https.setSendServerVersion(false);
      connector = new ServerConnector(jetty, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(https));
    } else {
      HttpConfiguration http = new HttpConfiguration();
      http.setSendServerVersion(false);
      connector = new ServerConnector(jetty, new HttpConnectionFactory(http));
    }
    // Bounds a client that sends nothing at all; the minimum data rate is measured from the first byte.
    connector.setIdleTimeout(settings.duration(ServerConfig.Setting.IDLE_TIMEOUT).toMillis());
    connector.setHost(settings.bindHost());
    connector.setPort(settings.port());
    jetty.addConnector(connector);

    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    FilterHolder f = new FilterHolder(filter);
    f.setAsyncSupported(true);
    context.addFilter(f, "/*", EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));
    // Bodies are read with non-blocking I/O, so a slow upload holds no thread while it trickles in.
    servlet = new IntakeServlet(settings.integer(ServerConfig.Setting.MAX_EVENT_SIZE), settings.integer(ServerConfig.Setting.MAX_LINES),
        settings.integer(ServerConfig.Setting.MAX_BUFFERED_LINE_BYTES),
        new RequestBody.Limits(settings.integer(ServerConfig.Setting.MAX_DECOMPRESSED_SIZE), settings.integer(ServerConfig.Setting.MIN_REQUEST_DATA_RATE),
            settings.duration(ServerConfig.Setting.READ_TIMEOUT)));
    ServletHolder s = new ServletHolder(servlet);
    s.setAsyncSupported(true);
    context.addServlet(s, "/*");
    // Errors Jetty answers itself are JSON naming only the status, never an exception.
    context.setErrorHandler(new JsonErrorHandler());
    jetty.setErrorHandler(new JsonErrorHandler());
    jetty.setHandler(context);
    try {
      jetty.start();
    } catch (IOException e) {
      jetty.stop();
      throw new ConfigException("apm-server.host: cannot listen on " + settings.string(ServerConfig.Setting.HOST) + " (" + e.getMessage() + ")");
    }
    server = jetty;
    Integer grpcPort = settings.otlpGrpcPort();
    if (grpcPort != null) {
      AccessControl.Builder grpcAccess = GrpcMethods.accessControl(authenticator).anonymous(anonymous).anonymousPolicy(anonymousPolicy)
          .rateLimiter(rateLimiter).clientAddresses(clientAddresses)
          .allowCredentialsOverPlainHttp(settings.bool(ServerConfig.Setting.ALLOW_PLAIN_HTTP_CREDENTIALS)).realm("apm-server");
      if (metrics != null) {
        grpcAccess.listener(metrics);
      }
      try {
        otlpGrpc = OtlpGrpcServer.start(settings.bindHost(), grpcPort, settings.tlsEnabled()
            ? Pem.keyStore(java.util.Objects.requireNonNull(settings.tlsCertificate()), java.util.Objects.requireNonNull(settings.tlsKey())) : null,
            grpcAccess.build(),
            jetty.getThreadPool(), settings.integer(ServerConfig.Setting.MAX_DECOMPRESSED_SIZE), settings.duration(ServerConfig.Setting.IDLE_TIMEOUT),
            settings.duration(ServerConfig.Setting.READ_TIMEOUT));
      } catch (IOException e) {
        close();
        throw new ConfigException(ServerConfig.Setting.OTLP_GRPC_PORT.key + ": cannot listen on " + settings.bindHost() + ":" + grpcPort
            + " (" + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()) + ")");
      }
    }
    if (metrics != null) {
      startMonitoring(settings, metrics);
    }
    // Watched from here on, and stopped by close() whatever happens later.
    for (ReloadingFile r : reloads) {
      r.start();
    }
    if (revocation != null) {
      revocation.start();
    }
    String host = settings.bindHost().contains(":") ? "[" + settings.bindHost() + "]" : settings.bindHost();
    baseUrl = (settings.tlsEnabled() ? "https://" : "http://") + ("0.0.0.0".equals(host) ? "127.0.0.1" : host) + ":" + connector.getLocalPort();
    if (tryIt != null) {
      tryIt = String.format(tryIt, baseUrl);
    }
    LOG.info("listening on {}{} (secret token: {}, API keys: {}, anonymous: {})", baseUrl,
        otlpGrpc == null ? "" : ", OTLP/gRPC on port " + otlpGrpc.port(),
        settings.secretTokenFile() != null ? "token file" : settings.staticSecretTokens().isEmpty() ? "off" : "on", settings.apiKeysEnabled() ? (settings.elasticsearchHosts().isEmpty() ? "key file" : "Elasticsearch") : "off",
        anonymous ? "on" : "off");
  }

  /**
   * The monitoring endpoint on its own address: Prometheus metrics of the API-key checker and the JVM,
   * and the checker's health.
   */
  private void startMonitoring(ServerConfig settings, IntakeAuthMetrics metrics) throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    metrics.bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    gcMetrics = new JvmGcMetrics();
    gcMetrics.bindTo(registry);
    CachingPrivilegeChecker checker = keys;
    String host = settings.monitoringHost();
    int port = settings.monitoringPort();
    try {
      RevocationFeed feed = revocation;
      monitoring = MonitoringServer.start(host, port, registry, checker == null ? null : checker::health,
          () -> reloads.stream().map(ReloadingFile::status).toList(), feed == null ? null : feed::health);
    } catch (IOException e) {
      close();
      throw new ConfigException(ServerConfig.Setting.MONITORING_HOST.key + ", " + ServerConfig.Setting.MONITORING_PORT.key + ": cannot listen on "
          + host + ":" + port + " (" + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()) + ")");
    }
    monitoringUrl = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + monitoring.port();
    LOG.info("monitoring on {} (/metrics, /health)", monitoringUrl);
  }

  /** The new-key budget, each client's share of it, the time source and the metrics listener. */
  private CachingPrivilegeChecker.Builder budget(CachingPrivilegeChecker.Builder b, ServerConfig settings) {
    if (metrics != null) {
      b.listener(metrics);
    }
    b.newKeysPerMinute(settings.integer(ServerConfig.Setting.API_KEY_LIMIT)).limitSettingName(ServerConfig.Setting.API_KEY_LIMIT.key)
        .clientLimitSettingName(ServerConfig.Setting.API_KEY_LIMIT_PER_CLIENT.key).timeSource(time)
        .expireAfterWrite(settings.apiKeyCacheLifetime());
    Integer perClient = settings.optionalInteger(ServerConfig.Setting.API_KEY_LIMIT_PER_CLIENT);
    return perClient == null ? b : b.newKeysPerClientPerMinute(perClient);
  }

  private CachingPrivilegeChecker apiKeys(ServerConfig settings) throws IOException {
    List<String> hosts = settings.elasticsearchHosts();
    if (hosts.isEmpty()) {
      Path file = java.util.Objects.requireNonNull(settings.keysFile());
      InMemoryKeyStore store;
      try {
        store = InMemoryKeyStore.load(file);
      } catch (IOException e) {
        throw new ConfigException("intake-auth.keys_file: cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
      } catch (IllegalArgumentException e) {
        throw new ConfigException("intake-auth.keys_file: " + e.getMessage());
      }
      // Cached like Elasticsearch's answers: a known key costs a cache hit, not a hash of its secret.
      CachingPrivilegeChecker checker = budget(CachingPrivilegeChecker.builder(store), settings).build();
      if (settings.reloadEnabled()) {
        // The file was just read whole; the watcher reads it again as its starting point.
        reloads.add(watcher(ReloadingFile.keysFile(file, store, checker), ServerConfig.Setting.KEYS_FILE, settings));
      }
      return checker;
    }
    if (!settings.revocationEnabled()) {
      for (ServerConfig.Setting ignored : List.of(ServerConfig.Setting.ES_USERNAME, ServerConfig.Setting.ES_PASSWORD, ServerConfig.Setting.ES_API_KEY)) {
        if (settings.optional(ignored) != null) {
          LOG.info("{} is not used: each API key's privileges are checked with the agent's own key (the server's own"
              + " credential serves only {})", ignored.key, ServerConfig.Setting.REVOCATION_ENABLED.key);
        }
      }
    }
    String protocol = settings.optional(ServerConfig.Setting.ES_PROTOCOL);
    List<String> urls = new ArrayList<>();
    for (String h : hosts) {
      urls.add(h.contains("://") ? h : (protocol == null ? "http" : protocol) + "://" + h);
    }
    ElasticsearchConnection.Builder connection = ElasticsearchConnection.builder().socketTimeout(settings.elasticsearchTimeout())
        .verificationMode(settings.elasticsearchVerificationMode());
    try {
      connection.hosts(urls);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(ServerConfig.Setting.ES_HOSTS.key + ": " + e.getMessage());
    }
    String path = settings.optional(ServerConfig.Setting.ES_PATH);
    if (path != null) {
      connection.pathPrefix(path);
    }
    List<String> cas = settings.list(ServerConfig.Setting.ES_CA);
    if (cas.size() > 1) {
      throw new ConfigException(ServerConfig.Setting.ES_CA.key + ": give one PEM file (it may hold several certificates)");
    }
    if (!cas.isEmpty()) {
      connection.caCertificate(settings.resolve(cas.get(0)));
    }
    String fingerprint = settings.optional(ServerConfig.Setting.ES_FINGERPRINT);
    if (fingerprint != null) {
      connection.trustedFingerprint(fingerprint);
    }
    // TLS trust settings say the operator expects TLS; a host that is plain HTTP (a scheme-less host takes
    // protocol's default, http) would carry every agent's API key in clear all the same.
    if (!cas.isEmpty() || fingerprint != null) {
      for (String url : urls) {
        if (url.strip().toLowerCase(java.util.Locale.ROOT).startsWith("http://")) {
          throw new ConfigException(ServerConfig.Setting.ES_HOSTS.key + ": " + url.strip() + " is plain HTTP while "
              + ServerConfig.Setting.ES_CA.key + " or " + ServerConfig.Setting.ES_FINGERPRINT.key + " is set: the agents' API keys"
              + " would be sent unencrypted; use https:// hosts or " + ServerConfig.Setting.ES_PROTOCOL.key + ": https");
        }
      }
    }
    CachingPrivilegeChecker checker = ElasticsearchPrivilegeChecker.create(connection.build())
        .cached(b -> budget(b, settings));
    if (settings.revocationEnabled()) {
      // The agents' connection carries no credential of its own; the feed's carries the server's.
      String apiKey = settings.optional(ServerConfig.Setting.ES_API_KEY);
      if (apiKey != null) {
        connection.apiKey(apiKey);
      } else {
        connection.basicAuth(java.util.Objects.requireNonNull(settings.optional(ServerConfig.Setting.ES_USERNAME)),
            java.util.Objects.requireNonNull(settings.optional(ServerConfig.Setting.ES_PASSWORD)));
      }
      revocationSource = ElasticsearchRevocationSource.create(connection.build());
      RevocationFeed.Builder feed = RevocationFeed.builder(checker, revocationSource)
          .period(settings.duration(ServerConfig.Setting.REVOCATION_PERIOD)).timeSource(time);
      if (metrics != null) {
        feed.listener(metrics);
      }
      revocation = feed.build();
    }
    return checker;
  }

  private static CorsPolicy cors(ServerConfig settings) {
    List<String> origins = settings.list(ServerConfig.Setting.RUM_ALLOW_ORIGINS);
    List<String> headers = settings.list(ServerConfig.Setting.RUM_ALLOW_HEADERS);
    try {
      CorsPolicy.of(origins, List.of());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(ServerConfig.Setting.RUM_ALLOW_ORIGINS.key + ": " + e.getMessage());
    }
    try {
      return CorsPolicy.of(origins, headers);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(ServerConfig.Setting.RUM_ALLOW_HEADERS.key + ": " + e.getMessage());
    }
  }

  private static ClientAddressResolver trustedProxies(ServerConfig settings) {
    List<String> proxies = settings.list(ServerConfig.Setting.TRUSTED_PROXIES);
    ServerConfig.Setting headerSetting = ServerConfig.Setting.FORWARDED_HEADER;
    String name = settings.string(headerSetting);
    ClientAddressResolver.ForwardedHeader header = switch (name.toLowerCase(java.util.Locale.ROOT)) {
      case "x-forwarded-for" -> ClientAddressResolver.ForwardedHeader.X_FORWARDED_FOR;
      case "forwarded" -> ClientAddressResolver.ForwardedHeader.FORWARDED;
      case "x-real-ip" -> ClientAddressResolver.ForwardedHeader.X_REAL_IP;
      default -> throw new ConfigException(headerSetting.key + ": expected x-forwarded-for, forwarded or x-real-ip");
    };
    try {
      return proxies.isEmpty() ? ClientAddressResolver.direct() : ClientAddressResolver.trusting(proxies, header);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(ServerConfig.Setting.TRUSTED_PROXIES.key + ": " + e.getMessage());
    }
  }

  /**
   * The secret tokens: the token file's (watched, or read once when reloading is off), or the static
   * ones as one set, or null when there are none.
   */
  private @Nullable SecretTokens secretTokens(ServerConfig settings) {
    Path file = settings.secretTokenFile();
    if (file == null) {
      List<String> tokens = settings.staticSecretTokens();
      return tokens.isEmpty() ? null : SecretTokens.of(tokens);
    }
    ServerConfig.Setting setting = ServerConfig.Setting.SECRET_TOKEN_FILE;
    SecretTokens tokens;
    try {
      tokens = SecretTokens.load(file);
    } catch (IOException e) {
      throw new ConfigException(setting.key + ": cannot read " + file + " (" + (e instanceof java.nio.file.NoSuchFileException ? "missing" : e.getClass().getSimpleName()) + ")");
    } catch (IllegalArgumentException e) {
      // Names the line and the problem, never the token.
      throw new ConfigException(setting.key + ": " + e.getMessage());
    }
    if (settings.reloadEnabled()) {
      reloads.add(watcher(ReloadingFile.secretTokensFile(file, tokens), setting, settings));
    }
    return tokens;
  }

  /** Builds a watcher on the server's clock and listener; it is started once the server listens. */
  private ReloadingFile watcher(ReloadingFile.Builder b, ServerConfig.Setting setting, ServerConfig settings) {
    b.period(settings.reloadPeriod()).timeSource(time);
    if (metrics != null) {
      b.listener(metrics);
    }
    try {
      return b.build();
    } catch (java.io.UncheckedIOException | IllegalArgumentException e) {
      // The file changed between the first read and this one; the messages name the problem, never the content.
      throw new ConfigException(setting.key + ": " + e.getMessage());
    }
  }

  /** Reads every watched file whose period has passed, by the server's clock; for tests. */
  void pollReloads() {
    for (ReloadingFile r : reloads) {
      r.poll();
    }
  }

  /** The revocation feed, or null when it is off; for tests. */
  @Nullable RevocationFeed revocation() {
    return revocation;
  }

  /** The watched files, for tests. */
  List<ReloadingFile> reloads() {
    return List.copyOf(reloads);
  }

  private static AnonymousRateLimiter anonymousRateLimiter(ServerConfig settings, @Nullable IntakeAuthMetrics metrics) {
    AnonymousRateLimiter.Builder limiter = AnonymousRateLimiter.builder()
        .eventsPerSecond(settings.integer(ServerConfig.Setting.EVENT_LIMIT))
        .maxClients(settings.integer(ServerConfig.Setting.IP_LIMIT));
    ServerConfig.Setting prefix = ServerConfig.Setting.IPV6_PREFIX;
    try {
      limiter.ipv6PrefixLength(settings.integer(prefix));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(prefix.key + ": " + e.getMessage());
    }
    ServerConfig.Setting global = ServerConfig.Setting.GLOBAL_EVENT_LIMIT;
    String text = settings.string(global);
    try {
      limiter.globalEventsPerSecond(Integer.parseInt(text));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(global.key + ": expected a whole number of events a second, or 0 for no ceiling");
    }
    // Given to both transports' access controls, which report only for a limiter they build themselves.
    if (metrics != null) {
      limiter.listener(metrics);
    }
    return limiter.build();
  }

  /** Where the server listens, such as {@code https://127.0.0.1:8200}. */
  String baseUrl() {
    return baseUrl;
  }

  /** The demo's ready-to-paste curl line, or null when a configuration file was given. */
  @Nullable String tryIt() {
    return tryIt;
  }

  long acceptedEvents() {
    return servlet == null ? 0 : servlet.acceptedEvents.get();
  }

  /** OTLP spans accepted so far, over HTTP and gRPC. */
  long acceptedSpans() {
    return (servlet == null ? 0 : servlet.otlp.acceptedSpans.get()) + (otlpGrpc == null ? 0 : otlpGrpc.acceptedSpans.get());
  }

  /** OTLP metric data points accepted so far, over HTTP and gRPC. */
  long acceptedDataPoints() {
    return (servlet == null ? 0 : servlet.otlp.acceptedDataPoints.get()) + (otlpGrpc == null ? 0 : otlpGrpc.acceptedDataPoints.get());
  }

  /** OTLP log records accepted so far, over HTTP and gRPC. */
  long acceptedLogRecords() {
    return (servlet == null ? 0 : servlet.otlp.acceptedLogRecords.get()) + (otlpGrpc == null ? 0 : otlpGrpc.acceptedLogRecords.get());
  }

  /** Bytes held for lines begun and not yet ended, across requests. */
  long bufferedLineBytes() {
    return servlet == null ? 0 : servlet.bufferedLineBytes.get();
  }

  /** Decoded body bytes looked at so far, across requests. */
  long decodedBytes() {
    return servlet == null ? 0 : servlet.decodedBytes.get();
  }

  /** The monitoring endpoint, such as {@code http://localhost:5066}, or empty when it is off. */
  String monitoringUrl() {
    return monitoringUrl;
  }

  /** The OTLP/gRPC listener, or null when it is off. */
  @Nullable OtlpGrpcServer otlpGrpc() {
    return otlpGrpc;
  }

  @Override
  public void close() {
    for (ReloadingFile r : reloads) {
      r.close();
    }
    if (revocation != null) {
      revocation.close();
    }
    if (revocationSource != null) {
      revocationSource.close();
    }
    if (monitoring != null) {
      try {
        monitoring.close();
      } catch (Exception e) {
        LOG.debug("stopping the monitoring endpoint: {}", e.getClass().getSimpleName());
      }
    }
    if (gcMetrics != null) {
      gcMetrics.close();
    }
    if (otlpGrpc != null) {
      otlpGrpc.close();
    }
    try {
      if (server != null) {
        server.stop();
      }
    } catch (Exception e) {
      LOG.debug("stopping: {}", e.getClass().getSimpleName());
    }
    if (keys != null) {
      try {
        keys.close();
      } catch (Exception e) {
        LOG.debug("closing the key backend: {}", e.getClass().getSimpleName());
      }
    }
  }
}
