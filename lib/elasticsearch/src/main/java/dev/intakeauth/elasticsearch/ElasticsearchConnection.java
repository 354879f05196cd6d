package dev.intakeauth.elasticsearch;

import dev.intakeauth.internal.Base64Credentials;
import dev.intakeauth.internal.Require;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.SSLContext;
import org.apache.http.Header;
import org.apache.http.HttpHost;
import org.apache.http.conn.ssl.DefaultHostnameVerifier;
import org.apache.http.conn.ssl.NoopHostnameVerifier;
import org.apache.http.message.BasicHeader;
import org.elasticsearch.client.Node;
import org.elasticsearch.client.NodeSelector;
import org.elasticsearch.client.RestClient;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where Elasticsearch is and how to talk to it: hosts, path prefix, extra headers, timeouts, TLS
 * trust and verification mode, retries, and (for key management and the revocation feed only) the
 * credentials of an administrator or of the intake server itself. Immutable; makes REST clients.
 *
 * <p>TLS follows Elastic's {@code ssl.*} settings: the certificates trusted are the JVM's, or those of
 * a CA file ({@code certificate_authorities}), or the certificate a fingerprint picks out of the
 * server's chain ({@code ca_trusted_fingerprint}), or either of the last two when both are given; the
 * {@link VerificationMode} ({@code verification_mode}) says whether the chain and the host name are
 * checked, and is {@link VerificationMode#FULL} unless set.
 *
 * <pre>{@code
 * ElasticsearchConnection es = ElasticsearchConnection.builder()
 *     .hosts("https://es1:9200", "https://es2:9200")
 *     .caCertificate(Path.of("ca.pem"))
 *     .build();
 * }</pre>
 */
public final class ElasticsearchConnection {

  private static final Logger LOG = LoggerFactory.getLogger(ElasticsearchConnection.class);

  private final List<HttpHost> hosts;
  private final @Nullable String pathPrefix;
  private final Map<String, String> headers;
  private final Duration connectTimeout;
  private final Duration socketTimeout;
  private final @Nullable Path caCertificate;
  private final @Nullable String fingerprint;
  private final VerificationMode verificationMode;
  private final int maxAttempts;
  private final @Nullable String authorization;
  private final boolean authorizationIsApiKey;

  private ElasticsearchConnection(Builder b) {
    this.hosts = b.hosts.isEmpty() ? List.of(host("http://localhost:9200")) : List.copyOf(b.hosts);
    this.pathPrefix = b.pathPrefix;
    this.headers = Map.copyOf(b.headers);
    this.connectTimeout = b.connectTimeout;
    this.socketTimeout = b.socketTimeout;
    this.caCertificate = b.caCertificate;
    this.fingerprint = b.fingerprint;
    this.verificationMode = b.verificationMode;
    this.maxAttempts = b.maxAttempts;
    this.authorization = b.authorization;
    this.authorizationIsApiKey = b.authorizationIsApiKey;
  }

  /**
   * Starts a builder: {@code http://localhost:9200}, no credentials.
   *
   * @return a builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Whether requests carry an administrator's credentials: {@link Builder#basicAuth} or {@link Builder#apiKey}. */
  boolean hasCredentials() {
    return authorization != null;
  }

  /** Whether the administrator's credentials are an API key ({@link Builder#apiKey}). */
  boolean authenticatesWithApiKey() {
    return authorizationIsApiKey;
  }

  /**
   * Makes a REST client for this connection; the caller closes it.
   *
   * @throws IllegalArgumentException if the TLS settings cannot be used
   */
  RestClient newClient() {
    var builder = RestClient.builder(hosts.toArray(HttpHost[]::new));
    if (pathPrefix != null) {
      builder.setPathPrefix(pathPrefix);
    }
    List<Header> defaults = new ArrayList<>();
    headers.forEach((k, v) -> defaults.add(new BasicHeader(k, v)));
    if (authorization != null) {
      defaults.add(new BasicHeader("Authorization", authorization));
    }
    builder.setDefaultHeaders(defaults.toArray(Header[]::new));
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
    SSLContext ssl = TrustSupport.sslContext(caCertificate, fingerprint, verificationMode);
    // The client checks the host name once the handshake is done, before it writes a byte of the request.
    HostnameVerifier names = verificationMode == VerificationMode.FULL ? new DefaultHostnameVerifier() : NoopHostnameVerifier.INSTANCE;
    builder.setHttpClientConfigCallback(hc -> {
      hc.disableAuthCaching();
      if (ssl != null) {
        hc.setSSLContext(ssl);
      }
      hc.setSSLHostnameVerifier(names);
      return hc;
    });
    return builder.build();
  }

  /** How much of the server's certificate is checked; {@link VerificationMode#FULL} unless set. */
  VerificationMode verificationMode() {
    return verificationMode;
  }

  @Override
  public String toString() {
    return "ElasticsearchConnection[" + hostsText() + "]" + (authorization != null ? " with credentials" : "")
        + (verificationMode != VerificationMode.FULL ? ", verification mode " + verificationMode.settingName() : "");
  }

  /** The URLs, for messages: {@code http://a:9200, http://b:9200}. */
  String hostsText() {
    List<String> urls = new ArrayList<>();
    for (HttpHost h : hosts) {
      urls.add(h.toURI());
    }
    return String.join(", ", urls);
  }

  /** The URLs of a client's nodes, for {@code toString()}. */
  static List<String> hostsOf(RestClient client) {
    List<String> urls = new ArrayList<>();
    for (Node node : client.getNodes()) {
      urls.add(node.getHost().toURI());
    }
    return urls;
  }

  /** Closes a client; one that fails to close leaves nothing to do. */
  static void closeQuietly(RestClient client) {
    try {
      client.close();
    } catch (java.io.IOException e) {
      // nothing left to do
    }
  }

  /**
   * Why a request failed without an answer, in words, without the exception's message (which may
   * carry addresses or certificate details that do not help).
   */
  static String describe(Throwable failure) {
    List<Throwable> chain = new ArrayList<>();
    for (Throwable e = failure; e != null && chain.size() < 20; e = e.getCause()) {
      chain.add(e);
    }
    // Network causes first: a TLS exception may only wrap a timeout.
    for (Throwable e : chain) {
      if (e instanceof java.net.ConnectException) {
        return "connection refused";
      }
      if (e instanceof java.net.SocketTimeoutException || e instanceof java.util.concurrent.TimeoutException) {
        return "timed out";
      }
      if (e instanceof java.net.UnknownHostException) {
        return "unknown host";
      }
    }
    for (Throwable e : chain) {
      if (e instanceof javax.net.ssl.SSLPeerUnverifiedException) {
        return "TLS: the server's certificate does not name this host (verification mode full)";
      }
      if (e instanceof javax.net.ssl.SSLException) {
        return "TLS handshake failed (is the CA certificate or fingerprint right?)";
      }
    }
    return chain.get(chain.size() - 1).getClass().getSimpleName();
  }

  private static HttpHost host(String url) {
    // Any '@': a password may hold '/' or '#', which would end the URL's user part early when parsed.
    if (url.contains("@")) {
      throw new IllegalArgumentException("an Elasticsearch host URL must not carry credentials; use basicAuth or apiKey");
    }
    URI uri;
    try {
      uri = URI.create(url.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("an Elasticsearch host is not a valid URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
      throw new IllegalArgumentException("an Elasticsearch host must be an http or https URL with a host name");
    }
    int port = uri.getPort() > 0 ? uri.getPort() : 9200;
    return new HttpHost(uri.getHost(), port, scheme);
  }

  /** Configures an {@link ElasticsearchConnection}. */
  public static final class Builder {
    private final List<HttpHost> hosts = new ArrayList<>();
    private @Nullable String pathPrefix;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private Duration connectTimeout = Duration.ofSeconds(1);
    private Duration socketTimeout = Duration.ofSeconds(2);
    private @Nullable Path caCertificate;
    private @Nullable String fingerprint;
    private VerificationMode verificationMode = VerificationMode.FULL;
    private int maxAttempts = 3;
    private @Nullable String authorization;
    private boolean authorizationIsApiKey;

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
      this.pathPrefix = Objects.requireNonNull(prefix, "prefix");
      return this;
    }

    /**
     * An extra header on every request. Never {@code Authorization}: see {@link #basicAuth} and
     * {@link #apiKey}.
     *
     * @param name the header name
     * @param value its value
     * @return this builder
     * @throws IllegalArgumentException for {@code Authorization}
     */
    public Builder header(String name, String value) {
      if (name.equalsIgnoreCase("Authorization") || name.equalsIgnoreCase("es-secondary-authorization")) {
        throw new IllegalArgumentException("the " + name + " header cannot be configured as an extra header");
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
      this.connectTimeout = Require.positive(timeout, "connectTimeout");
      return this;
    }

    /**
     * How long to wait for data on an open connection. Default 2 s.
     *
     * @param timeout a positive duration
     * @return this builder
     */
    public Builder socketTimeout(Duration timeout) {
      this.socketTimeout = Require.positive(timeout, "socketTimeout");
      return this;
    }

    /**
     * Trust the CA certificates in this PEM file for {@code https} hosts (instead of the JVM's). With
     * {@link #trustedFingerprint} as well, a chain that validates to either is trusted.
     *
     * @param pem the file
     * @return this builder
     */
    public Builder caCertificate(Path pem) {
      this.caCertificate = Objects.requireNonNull(pem, "pem");
      return this;
    }

    /**
     * Trust the certificate with this SHA-256 fingerprint as a trust anchor when the server presents it
     * in its chain, like Elastic's {@code ca_trusted_fingerprint}. The pinned certificate is a CA that
     * must have issued the server's chain (checked by PKIX path validation, without revocation checks),
     * or the server's own certificate. Merely presenting the pinned certificate is not enough. The host
     * name is still checked under {@link VerificationMode#FULL}. Instead of the JVM's trust store; with
     * {@link #caCertificate} as well, a chain that validates to either is trusted.
     *
     * @param sha256 64 hex digits, with or without colons
     * @return this builder
     * @throws IllegalArgumentException if it is not 64 hex digits
     */
    public Builder trustedFingerprint(String sha256) {
      this.fingerprint = TrustSupport.normalizeFingerprint(sha256);
      return this;
    }

    /**
     * How much of the server's certificate is checked, like Elastic's {@code ssl.verification_mode}.
     * Default {@link VerificationMode#FULL}: the chain and the host name. {@link VerificationMode#NONE}
     * is logged as a warning when the connection is built.
     *
     * @param mode the mode
     * @return this builder
     */
    public Builder verificationMode(VerificationMode mode) {
      this.verificationMode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /**
     * The most nodes one request tries when a node cannot be reached or answers 502, 503 or 504.
     * Default 3 (each node at most once).
     *
     * @param attempts a positive number
     * @return this builder
     */
    public Builder maxAttempts(int attempts) {
      this.maxAttempts = Require.positive(attempts, "maxAttempts");
      return this;
    }

    /**
     * An administrator's user name and password, for key management, or the intake server's own, for
     * the revocation feed ({@link ElasticsearchRevocationSource}). Never for API key checks.
     *
     * @param username the user
     * @param password the password
     * @return this builder
     */
    public Builder basicAuth(String username, String password) {
      this.authorization = "Basic " + Base64Credentials.encode(username, password);
      this.authorizationIsApiKey = false;
      return this;
    }

    /**
     * An administrator's API key, for key management, or the intake server's own, for the revocation
     * feed ({@link ElasticsearchRevocationSource}). Never for API key checks.
     *
     * @param encoded {@code base64(id:api_key)}, or {@code id:api_key} as Beats shows it
     * @return this builder
     */
    public Builder apiKey(String encoded) {
      String value = encoded.strip();
      int colon = value.indexOf(':');
      if (colon > 0) {
        value = Base64Credentials.encode(value.substring(0, colon), value.substring(colon + 1));
      }
      this.authorization = "ApiKey " + value;
      this.authorizationIsApiKey = true;
      return this;
    }

    /**
     * Builds the connection settings.
     *
     * @return the immutable connection
     * @throws IllegalArgumentException if a CA certificate or a trusted fingerprint is set and a host
     *     is not {@code https} (the default host, {@code http://localhost:9200}, included)
     */
    public ElasticsearchConnection build() {
      ElasticsearchConnection connection = new ElasticsearchConnection(this);
      if (caCertificate != null || fingerprint != null) {
        for (HttpHost h : connection.hosts) {
          if (!"https".equals(h.getSchemeName())) {
            // TLS trust was asked for: a plain-HTTP host would get the credentials in clear all the same.
            throw new IllegalArgumentException("the Elasticsearch host " + h.toURI() + " is plain HTTP, but a CA certificate or a"
                + " trusted fingerprint is set: use an https URL");
          }
        }
      }
      if (verificationMode == VerificationMode.NONE) {
        LOG.warn("TLS verification is OFF for Elasticsearch at {} (verification mode none): any server, a man in the middle"
            + " included, is trusted and receives every credential sent to it. Use it for tests only.", connection.hostsText());
      }
      return connection;
    }
  }
}
