package dev.intakeauth.elasticsearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.ApplicationPrivileges;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.CheckResult;
import dev.intakeauth.Privilege;
import dev.intakeauth.PrivilegeChecker;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import org.apache.http.Header;
import org.apache.http.HttpHost;
import org.apache.http.conn.ssl.NoopHostnameVerifier;
import org.apache.http.message.BasicHeader;
import org.elasticsearch.client.Cancellable;
import org.elasticsearch.client.Node;
import org.elasticsearch.client.NodeSelector;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.RequestOptions;
import org.elasticsearch.client.Response;
import org.elasticsearch.client.ResponseException;
import org.elasticsearch.client.ResponseListener;
import org.elasticsearch.client.RestClient;
import org.jspecify.annotations.Nullable;

/**
 * A {@link PrivilegeChecker} that asks Elasticsearch which application privileges an API key holds,
 * with {@code POST /_security/user/_has_privileges} sent with the agent's own {@code Authorization}
 * header, never the server's. All privileges of the scope are asked at once, so one answer serves
 * every later check once cached.
 *
 * <p>Elasticsearch answering 401 means the key is unknown, invalidated or expired. Every other
 * failure (refused or timed-out connections, 403, 429, 5xx, redirects, a body that cannot be read)
 * means unavailable, and never carries the credential: reasons name the status or the exception
 * type only.
 *
 * <pre>{@code
 * CachingPrivilegeChecker apiKeys = ElasticsearchPrivilegeChecker.builder()
 *     .hosts("https://es1:9200", "https://es2:9200")
 *     .caCertificate(Path.of("ca.pem"))
 *     .buildCached();          // the caching layer with its defaults; close() closes the client
 * Authenticator auth = Authenticator.builder().apiKeys(apiKeys).build();
 * }</pre>
 *
 * <p>Works with Elasticsearch 7.17 and 8.x. Thread-safe. Close it to close the REST client it made.
 */
public final class ElasticsearchPrivilegeChecker implements PrivilegeChecker, AutoCloseable {

  private static final String PATH = "/_security/user/_has_privileges";
  private static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(1);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RestClient client;
  private final boolean ownsClient;
  private final Map<ApplicationPrivileges, String> bodies = new java.util.concurrent.ConcurrentHashMap<>();

  private ElasticsearchPrivilegeChecker(RestClient client, boolean ownsClient) {
    this.client = client;
    this.ownsClient = ownsClient;
  }

  /**
   * Starts a builder.
   *
   * @return a builder with the defaults
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Wraps a REST client the caller made and keeps owning: {@link #close()} leaves it open. The client
   * must not add credentials of its own to requests (no default {@code Authorization} header, no
   * credentials provider), or Elasticsearch could authenticate the server instead of the agent.
   *
   * @param client the client
   * @return the checker
   */
  public static ElasticsearchPrivilegeChecker using(RestClient client) {
    return new ElasticsearchPrivilegeChecker(Objects.requireNonNull(client, "client"), false);
  }

  @Override
  public CompletableFuture<CheckResult> checkAsync(ApiKeyCredential credential, ApplicationPrivileges scope) {
    Request request = new Request("POST", PATH);
    request.setJsonEntity(bodies.computeIfAbsent(scope, ElasticsearchPrivilegeChecker::body));
    RequestOptions.Builder options = RequestOptions.DEFAULT.toBuilder();
    options.addHeader("Authorization", credential.authorizationValue());
    request.setOptions(options);

    CompletableFuture<CheckResult> answer = new CompletableFuture<>();
    Cancellable call;
    try {
      call = client.performRequestAsync(request, new ResponseListener() {
        @Override
        public void onSuccess(Response response) {
          answer.complete(read(response, scope));
        }

        @Override
        public void onFailure(Exception exception) {
          answer.complete(failed(exception));
        }
      });
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(unavailable("request could not be sent: " + e.getClass().getSimpleName(), null));
    }
    answer.whenComplete((r, e) -> {
      if (answer.isCancelled()) {
        call.cancel();
      }
    });
    return answer;
  }

  /**
   * This checker behind the core's caching layer with its defaults (answers kept 60 s, 100 new keys
   * a minute, 3 s deadline, circuit breaker). Closing the result closes this checker.
   *
   * @return the caching checker
   */
  public CachingPrivilegeChecker cached() {
    return cached(b -> { });
  }

  /**
   * This checker behind the core's caching layer, with settings changed by {@code settings}.
   *
   * @param settings changes to the caching layer's defaults
   * @return the caching checker; closing it closes this checker
   */
  public CachingPrivilegeChecker cached(Consumer<CachingPrivilegeChecker.Builder> settings) {
    CachingPrivilegeChecker.Builder b = CachingPrivilegeChecker.builder(this);
    settings.accept(b);
    return b.build();
  }

  /** Closes the REST client, unless it was passed in with {@link #using(RestClient)}. */
  @Override
  public void close() {
    if (ownsClient) {
      try {
        client.close();
      } catch (IOException e) {
        // nothing left to do with a client that fails to close
      }
    }
  }

  @Override
  public String toString() {
    List<String> hosts = new ArrayList<>();
    for (Node node : client.getNodes()) {
      hosts.add(node.getHost().toURI());
    }
    return "ElasticsearchPrivilegeChecker" + hosts;
  }

  private static String body(ApplicationPrivileges scope) {
    ObjectNode app = JSON.createObjectNode().put("application", scope.application());
    var privileges = app.putArray("privileges");
    for (Privilege p : scope.privileges()) {
      privileges.add(p.name());
    }
    app.putArray("resources").add(scope.resource());
    ObjectNode body = JSON.createObjectNode();
    body.putArray("application").add(app);
    return body.toString();
  }

  private static CheckResult read(Response response, ApplicationPrivileges scope) {
    int status = response.getStatusLine().getStatusCode();
    if (status != 200) {
      return byStatus(status, response);
    }
    JsonNode json;
    try (InputStream in = response.getEntity().getContent()) {
      json = JSON.readTree(in);
    } catch (IOException | RuntimeException e) {
      return unavailable("unreadable _has_privileges answer (" + e.getClass().getSimpleName() + ")", null);
    }
    JsonNode resource = json == null ? null : json.path("application").path(scope.application()).get(scope.resource());
    if (resource == null || !resource.isObject()) {
      return unavailable("_has_privileges answer without application " + scope.application() + " resource " + scope.resource(), null);
    }
    Set<Privilege> held = new LinkedHashSet<>();
    for (Privilege p : scope.privileges()) {
      JsonNode granted = resource.get(p.name());
      if (granted == null || !granted.isBoolean()) {
        return unavailable("_has_privileges answer without privilege " + p.name(), null);
      }
      if (granted.booleanValue()) {
        held.add(p);
      }
    }
    JsonNode username = json.get("username");
    return new CheckResult.Granted(held, username != null && username.isTextual() ? username.asText() : null);
  }

  private static CheckResult failed(Exception exception) {
    if (exception instanceof ResponseException re) {
      return byStatus(re.getResponse().getStatusLine().getStatusCode(), re.getResponse());
    }
    return unavailable("Elasticsearch unreachable (" + exception.getClass().getSimpleName() + ")", null);
  }

  private static CheckResult byStatus(int status, Response response) {
    if (status == 401) {
      return CheckResult.UNKNOWN_KEY;
    }
    return unavailable("Elasticsearch answered " + status, response.getHeader("Retry-After"));
  }

  private static CheckResult.Unavailable unavailable(String reason, @Nullable String retryAfter) {
    Duration hint = DEFAULT_RETRY_AFTER;
    if (retryAfter != null) {
      try {
        hint = Duration.ofSeconds(Math.max(1, Math.min(3600, Long.parseLong(retryAfter.strip()))));
      } catch (NumberFormatException e) {
        // an HTTP date or garbage: keep the default
      }
    }
    return new CheckResult.Unavailable(reason, hint);
  }

  /** Configures the REST client of an {@link ElasticsearchPrivilegeChecker}. */
  public static final class Builder {
    private final List<HttpHost> hosts = new ArrayList<>();
    private @Nullable String pathPrefix;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private Duration connectTimeout = Duration.ofSeconds(1);
    private Duration socketTimeout = Duration.ofSeconds(2);
    private @Nullable Path caCertificate;
    private @Nullable String fingerprint;
    private int maxAttempts = 3;

    private Builder() {}

    /**
     * The Elasticsearch nodes, as URLs. Default {@code http://localhost:9200}.
     *
     * @param urls such as {@code https://es1:9200}
     * @return this builder
     * @throws IllegalArgumentException if a URL is not {@code http} or {@code https} with a host
     */
    public Builder hosts(String... urls) {
      return hosts(List.of(urls));
    }

    /**
     * The Elasticsearch nodes, as URLs.
     *
     * @param urls such as {@code https://es1:9200}
     * @return this builder
     * @throws IllegalArgumentException if a URL is not {@code http} or {@code https} with a host
     */
    public Builder hosts(List<String> urls) {
      hosts.clear();
      for (String url : urls) {
        hosts.add(host(url));
      }
      return this;
    }

    /**
     * A path prefix in front of every request, for Elasticsearch behind a proxy.
     *
     * @param prefix such as {@code /elasticsearch}
     * @return this builder
     */
    public Builder pathPrefix(String prefix) {
      this.pathPrefix = prefix;
      return this;
    }

    /**
     * An extra header on every request. Never {@code Authorization}: the agent's credential is the
     * only one sent.
     *
     * @param name the header name
     * @param value its value
     * @return this builder
     * @throws IllegalArgumentException for {@code Authorization}
     */
    public Builder header(String name, String value) {
      if (name.equalsIgnoreCase("Authorization") || name.equalsIgnoreCase("es-secondary-authorization")) {
        throw new IllegalArgumentException("the " + name + " header is the agent's own and cannot be configured");
      }
      headers.put(name, Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * How long to wait for a connection. Default 1 s.
     *
     * @param timeout a positive duration
     * @return this builder
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    /**
     * How long to wait for data on an open connection. Default 2 s.
     *
     * @param timeout a positive duration
     * @return this builder
     */
    public Builder socketTimeout(Duration timeout) {
      this.socketTimeout = positive(timeout, "socketTimeout");
      return this;
    }

    /**
     * Trust the CA certificates in this PEM file for {@code https} hosts (instead of the JVM's).
     *
     * @param pem the file
     * @return this builder
     */
    public Builder caCertificate(Path pem) {
      this.caCertificate = Objects.requireNonNull(pem, "pem");
      return this;
    }

    /**
     * Trust a server whose certificate chain holds a certificate with this SHA-256 fingerprint, like
     * Elasticsearch's {@code ca_trusted_fingerprint}. The pin replaces host-name verification.
     *
     * @param sha256 64 hex digits, with or without colons
     * @return this builder
     */
    public Builder trustedFingerprint(String sha256) {
      this.fingerprint = TrustSupport.normalizeFingerprint(sha256);
      return this;
    }

    /**
     * The most nodes one check tries when a node cannot be reached or answers 502, 503 or 504.
     * Default 3 (each node at most once).
     *
     * @param attempts a positive number
     * @return this builder
     */
    public Builder maxAttempts(int attempts) {
      if (attempts <= 0) {
        throw new IllegalArgumentException("maxAttempts must be positive: " + attempts);
      }
      this.maxAttempts = attempts;
      return this;
    }

    /**
     * Builds the checker and its REST client.
     *
     * @return the checker; close it to close the client
     * @throws IllegalArgumentException if the TLS settings cannot be used
     */
    public ElasticsearchPrivilegeChecker build() {
      List<HttpHost> nodes = hosts.isEmpty() ? List.of(host("http://localhost:9200")) : List.copyOf(hosts);
      var builder = RestClient.builder(nodes.toArray(HttpHost[]::new));
      if (pathPrefix != null) {
        builder.setPathPrefix(pathPrefix);
      }
      builder.setDefaultHeaders(headers.entrySet().stream()
          .map(e -> new BasicHeader(e.getKey(), e.getValue())).toArray(Header[]::new));
      builder.setStrictDeprecationMode(false);
      builder.setCompressionEnabled(false);
      int attempts = maxAttempts;
      builder.setNodeSelector(new NodeSelector() {
        @Override
        public void select(Iterable<Node> candidates) {
          int kept = 0;
          for (Iterator<Node> it = candidates.iterator(); it.hasNext(); ) {
            it.next();
            if (++kept > attempts) {
              it.remove();
            }
          }
        }

        @Override
        public String toString() {
          return "at most " + attempts + " nodes";
        }
      });
      builder.setRequestConfigCallback(rc -> rc
          .setConnectTimeout((int) connectTimeout.toMillis())
          .setConnectionRequestTimeout((int) connectTimeout.toMillis())
          .setSocketTimeout((int) socketTimeout.toMillis()));
      SSLContext ssl = caCertificate != null || fingerprint != null ? TrustSupport.sslContext(caCertificate, fingerprint) : null;
      boolean pinned = fingerprint != null;
      builder.setHttpClientConfigCallback(hc -> {
        hc.disableAuthCaching();
        hc.setDefaultCredentialsProvider(null);
        if (ssl != null) {
          hc.setSSLContext(ssl);
        }
        if (pinned) {
          hc.setSSLHostnameVerifier(NoopHostnameVerifier.INSTANCE);
        }
        return hc;
      });
      return new ElasticsearchPrivilegeChecker(builder.build(), true);
    }

    /**
     * Builds the checker behind the core's caching layer with its defaults.
     *
     * @return the caching checker; closing it closes the REST client
     */
    public CachingPrivilegeChecker buildCached() {
      return build().cached();
    }

    private static HttpHost host(String url) {
      URI uri;
      try {
        uri = URI.create(url.strip());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("an Elasticsearch host is not a valid URL", e);
      }
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
        throw new IllegalArgumentException("an Elasticsearch host must be an http or https URL with a host name");
      }
      if (uri.getUserInfo() != null) {
        throw new IllegalArgumentException("an Elasticsearch host for API key checks must not carry credentials");
      }
      int port = uri.getPort() > 0 ? uri.getPort() : 9200;
      return new HttpHost(uri.getHost(), port, scheme);
    }

    private static Duration positive(Duration d, String name) {
      if (d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException(name + " must be positive: " + d);
      }
      return d;
    }
  }
}
