package dev.intakeauth.spring;

import dev.intakeauth.AuthListener;
import dev.intakeauth.Authenticator;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.RevocationFeed;
import dev.intakeauth.SecretTokens;
import dev.intakeauth.access.CorsPolicy;
import dev.intakeauth.access.RouteTable;
import dev.intakeauth.anonymous.AnonymousPolicy;
import dev.intakeauth.anonymous.AnonymousRateLimiter;
import dev.intakeauth.anonymous.ClientAddressResolver;
import dev.intakeauth.elasticsearch.ElasticsearchConnection;
import dev.intakeauth.elasticsearch.ElasticsearchPrivilegeChecker;
import dev.intakeauth.elasticsearch.ElasticsearchRevocationSource;
import dev.intakeauth.elasticsearch.VerificationMode;
import dev.intakeauth.servlet.IntakeAuthFilter;
import jakarta.servlet.DispatcherType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Configures intake-auth in a servlet application from {@link ApmServerProperties} and
 * {@link IntakeAuthProperties}: the {@link Authenticator} (secret tokens, API keys checked against
 * Elasticsearch), the {@link IntakeAuthFilter} with anonymous access and trusted proxies, and its
 * registration on the APM routes. Every bean backs off when the application defines its own.
 *
 * <p>A setting that cannot work (anonymous access with no credential configured, a malformed
 * Elasticsearch host) stops the application at start with a message that names it and never
 * repeats a secret.
 */
@AutoConfiguration
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass({IntakeAuthFilter.class, FilterRegistrationBean.class})
@ConditionalOnBooleanProperty(name = "intake-auth.enabled", matchIfMissing = true)
@EnableConfigurationProperties({ApmServerProperties.class, IntakeAuthProperties.class})
public class IntakeAuthAutoConfiguration {

  private static final Logger LOG = LoggerFactory.getLogger(IntakeAuthAutoConfiguration.class);

  /** Used by Spring. */
  public IntakeAuthAutoConfiguration() {}

  /**
   * Who the callers are: the secret tokens of {@code apm-server.auth.secret_token} and
   * {@code intake-auth.auth.secret_tokens}, and API keys when a checker is configured.
   *
   * @param apm APM Server's settings
   * @param settings intake-auth's settings
   * @param apiKeys the API-key checker, if any
   * @return the authenticator
   */
  @Bean
  @ConditionalOnMissingBean
  public Authenticator intakeAuthAuthenticator(ApmServerProperties apm, IntakeAuthProperties settings,
      ObjectProvider<CachingPrivilegeChecker> apiKeys) {
    LinkedHashSet<String> tokens = new LinkedHashSet<>();
    String token = apm.auth().secretToken();
    if (token != null) {
      if (token.isEmpty()) {
        throw new IllegalStateException("apm-server.auth.secret_token: must not be empty (leave it out to turn secret tokens off)");
      }
      tokens.add(token);
    }
    tokens.addAll(settings.auth().secretTokens());
    Authenticator.Builder auth = Authenticator.builder();
    if (!tokens.isEmpty()) {
      try {
        auth.secretTokens(SecretTokens.of(tokens));
      } catch (IllegalArgumentException e) {
        // The message names the item and the problem, never the token.
        throw new IllegalStateException("intake-auth.auth.secret_tokens: " + e.getMessage(), e);
      }
    }
    auth.apiKeys(apiKeys.getIfAvailable());
    Authenticator authenticator = auth.build();
    if (!authenticator.secretTokenEnabled() && !authenticator.apiKeysEnabled()) {
      LOG.warn("intake-auth: neither apm-server.auth.secret_token nor apm-server.auth.api_key.enabled is set: every request to the APM routes is let in");
    }
    return authenticator;
  }

  /**
   * The filter that decides every request to the APM routes.
   *
   * @param authenticator the authenticator
   * @param apm APM Server's settings
   * @param settings intake-auth's settings
   * @param listeners the listener, when there is exactly one (such as the Micrometer binder)
   * @param environment for {@code server.ssl.*}, which says whether the server terminates TLS
   * @return the filter
   */
  @Bean
  @ConditionalOnMissingBean
  public IntakeAuthFilter intakeAuthFilter(Authenticator authenticator, ApmServerProperties apm, IntakeAuthProperties settings,
      ObjectProvider<AuthListener> listeners, Environment environment) {
    AuthListener listener = listeners.getIfUnique();
    boolean anonymous = anonymousEnabled(apm, authenticator);
    IntakeAuthFilter.Builder filter = IntakeAuthFilter.builder(authenticator)
        .anonymous(anonymous)
        .anonymousPolicy(AnonymousPolicy.builder()
            .allowAgents(new HashSet<>(apm.auth().anonymous().allowAgent()))
            .allowServices(new HashSet<>(apm.auth().anonymous().allowService())).build())
        .rateLimiter(rateLimiter(apm, settings, listener))
        .routes(RouteTable.apm(cors(apm)))
        .clientAddresses(clientAddresses(settings))
        .serverTls(serverTls(environment))
        .allowCredentialsOverPlainHttp(settings.allowPlainHttpCredentials())
        .realm(settings.realm());
    if (listener != null) {
      filter.listener(listener);
    }
    return filter.build();
  }

  /**
   * Maps the filter to the APM routes ({@code intake-auth.filter.url-patterns}) for request and
   * async dispatches, at {@code intake-auth.filter.order} (default
   * {@value IntakeAuthProperties#DEFAULT_FILTER_ORDER}, ahead of Spring Security).
   *
   * @param filter the filter
   * @param settings intake-auth's settings
   * @return the registration
   */
  @Bean
  @ConditionalOnMissingBean(name = "intakeAuthFilterRegistration")
  public FilterRegistrationBean<IntakeAuthFilter> intakeAuthFilterRegistration(IntakeAuthFilter filter, IntakeAuthProperties settings) {
    FilterRegistrationBean<IntakeAuthFilter> registration = new FilterRegistrationBean<>(filter);
    registration.setName("intakeAuthFilter");
    registration.setUrlPatterns(settings.filter().urlPatterns());
    registration.setOrder(settings.filter().order());
    registration.setAsyncSupported(true);
    registration.setDispatcherTypes(DispatcherType.REQUEST, DispatcherType.ASYNC);
    return registration;
  }

  /** APM Server's default: anonymous access follows RUM when another method is configured. */
  static boolean anonymousEnabled(ApmServerProperties apm, Authenticator authenticator) {
    boolean credentials = authenticator.secretTokenEnabled() || authenticator.apiKeysEnabled();
    Boolean explicit = apm.auth().anonymous().enabled();
    if (Boolean.TRUE.equals(explicit) && !credentials) {
      throw new IllegalStateException("apm-server.auth.anonymous.enabled: anonymous access needs a secret token or API keys"
          + " (without them every request is let in)");
    }
    return explicit != null ? explicit : apm.rum().enabled() && credentials;
  }

  private static AnonymousRateLimiter rateLimiter(ApmServerProperties apm, IntakeAuthProperties settings, @Nullable AuthListener listener) {
    AnonymousRateLimiter.Builder limiter = AnonymousRateLimiter.builder();
    try {
      limiter.eventsPerSecond(apm.auth().anonymous().rateLimit().eventLimit());
      limiter.maxClients(apm.auth().anonymous().rateLimit().ipLimit());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("apm-server.auth.anonymous.rate_limit: " + e.getMessage(), e);
    }
    try {
      limiter.ipv6PrefixLength(settings.anonymous().ipv6Prefix());
      limiter.globalEventsPerSecond(settings.anonymous().globalEventLimit());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("intake-auth.anonymous: " + e.getMessage(), e);
    }
    if (listener != null) {
      limiter.listener(listener);
    }
    return limiter.build();
  }

  private static CorsPolicy cors(ApmServerProperties apm) {
    try {
      return CorsPolicy.of(apm.rum().allowOrigins(), apm.rum().allowHeaders());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("apm-server.rum.allow_origins, allow_headers: " + e.getMessage(), e);
    }
  }

  private static ClientAddressResolver clientAddresses(IntakeAuthProperties settings) {
    ClientAddressResolver.ForwardedHeader header = switch (settings.forwardedHeader().toLowerCase(Locale.ROOT)) {
      case "x-forwarded-for" -> ClientAddressResolver.ForwardedHeader.X_FORWARDED_FOR;
      case "forwarded" -> ClientAddressResolver.ForwardedHeader.FORWARDED;
      case "x-real-ip" -> ClientAddressResolver.ForwardedHeader.X_REAL_IP;
      default -> throw new IllegalStateException("intake-auth.forwarded_header: expected x-forwarded-for, forwarded or x-real-ip");
    };
    List<String> proxies = settings.trustedProxies();
    try {
      return proxies.isEmpty() ? ClientAddressResolver.direct() : ClientAddressResolver.trusting(proxies, header);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("intake-auth.trusted_proxies: " + e.getMessage(), e);
    }
  }

  /** Whether the embedded server terminates TLS itself; only the start-up warnings depend on it. */
  private static boolean serverTls(Environment environment) {
    if (Boolean.FALSE.equals(environment.getProperty("server.ssl.enabled", Boolean.class))) {
      return false;
    }
    return environment.containsProperty("server.ssl.bundle") || environment.containsProperty("server.ssl.key-store")
        || environment.containsProperty("server.ssl.certificate");
  }

  /**
   * API keys checked against Elasticsearch, when {@code apm-server.auth.api_key.enabled} is true.
   */
  @Configuration(proxyBeanMethods = false)
  @Conditional(ApiKeysEnabled.class)
  static class ElasticsearchApiKeys {

    /**
     * The agents' connection: it carries no credential of its own, each request carries the agent's.
     *
     * @param apm APM Server's settings
     * @param settings intake-auth's settings
     * @param listeners the listener, when there is exactly one
     * @return the checker behind the cache; Spring closes it, and with it the REST client
     */
    @Bean
    @ConditionalOnMissingBean
    CachingPrivilegeChecker intakeAuthApiKeyChecker(ApmServerProperties apm, IntakeAuthProperties settings,
        ObjectProvider<AuthListener> listeners) {
      ApmServerProperties.Elasticsearch es = apm.auth().apiKey().elasticsearch();
      if (es.hosts().isEmpty()) {
        throw new IllegalStateException("apm-server.auth.api_key.enabled: give apm-server.auth.api_key.elasticsearch.hosts");
      }
      if (!settings.revocation().enabled() && (es.username() != null || es.password() != null || es.apiKey() != null)) {
        LOG.info("apm-server.auth.api_key.elasticsearch credentials are not used: each API key's privileges are checked with the"
            + " agent's own key (the server's own credential serves only intake-auth.revocation.enabled)");
      }
      ElasticsearchConnection.Builder connection = connection(es);
      AuthListener listener = listeners.getIfUnique();
      int limit = apm.auth().apiKey().limit();
      return ElasticsearchPrivilegeChecker.create(connection.build()).cached(b -> {
        if (listener != null) {
          b.listener(listener);
        }
        b.newKeysPerMinute(limit).limitSettingName("apm-server.auth.api_key.limit")
            .clientLimitSettingName("intake-auth.api_key.limit_per_client")
            .expireAfterWrite(settings.apiKey().cacheLifetime());
        Integer perClient = settings.apiKey().limitPerClient();
        if (perClient != null) {
          b.newKeysPerClientPerMinute(perClient);
        }
      });
    }

    /**
     * The server's own connection for the revocation feed, when {@code intake-auth.revocation.enabled}
     * is true: it carries {@code apm-server.auth.api_key.elasticsearch.api_key}, or its username and
     * password.
     *
     * @param apm APM Server's settings
     * @return the source; Spring closes it after the feed
     */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBooleanProperty(name = "intake-auth.revocation.enabled")
    ElasticsearchRevocationSource intakeAuthRevocationSource(ApmServerProperties apm) {
      ApmServerProperties.Elasticsearch es = apm.auth().apiKey().elasticsearch();
      ElasticsearchConnection.Builder connection = connection(es);
      if (es.apiKey() != null) {
        connection.apiKey(es.apiKey());
      } else if (es.username() != null && es.password() != null) {
        connection.basicAuth(es.username(), es.password());
      } else {
        throw new IllegalStateException("intake-auth.revocation.enabled: the revocation feed asks with the server's own credential: set"
            + " apm-server.auth.api_key.elasticsearch.api_key, or its username and password");
      }
      return ElasticsearchRevocationSource.create(connection.build());
    }

    /**
     * The revocation feed: evicts cached keys that were invalidated or have expired.
     *
     * @param checker the cache it keeps clean
     * @param source who tells which keys are revoked
     * @param settings intake-auth's settings
     * @param listeners the listener, when there is exactly one
     * @return the feed, started by Spring and closed before its source
     */
    @Bean(initMethod = "start", destroyMethod = "close")
    @ConditionalOnMissingBean
    @ConditionalOnBooleanProperty(name = "intake-auth.revocation.enabled")
    RevocationFeed intakeAuthRevocationFeed(CachingPrivilegeChecker checker, ElasticsearchRevocationSource source,
        IntakeAuthProperties settings, ObjectProvider<AuthListener> listeners) {
      RevocationFeed.Builder feed = RevocationFeed.builder(checker, source).period(settings.revocation().period());
      AuthListener listener = listeners.getIfUnique();
      if (listener != null) {
        feed.listener(listener);
      }
      return feed.build();
    }

    private static ElasticsearchConnection.Builder connection(ApmServerProperties.Elasticsearch es) {
      List<String> urls = new ArrayList<>();
      for (String h : es.hosts()) {
        if (h.contains("@")) {
          throw new IllegalStateException("apm-server.auth.api_key.elasticsearch.hosts: a host must not carry a user name or password");
        }
        urls.add(h.contains("://") ? h : (es.protocol() == null ? "http" : es.protocol()) + "://" + h);
      }
      ElasticsearchConnection.Builder connection = ElasticsearchConnection.builder().socketTimeout(es.timeout());
      try {
        connection.hosts(urls);
        connection.verificationMode(VerificationMode.parse(es.ssl().verificationMode()));
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException("apm-server.auth.api_key.elasticsearch: " + e.getMessage(), e);
      }
      if (es.path() != null) {
        connection.pathPrefix(es.path());
      }
      List<String> cas = es.ssl().certificateAuthorities();
      if (cas.size() > 1) {
        throw new IllegalStateException("apm-server.auth.api_key.elasticsearch.ssl.certificate_authorities: give one PEM file (it may hold several certificates)");
      }
      if (!cas.isEmpty()) {
        connection.caCertificate(Path.of(cas.get(0)));
      }
      if (es.ssl().caTrustedFingerprint() != null) {
        connection.trustedFingerprint(es.ssl().caTrustedFingerprint());
      }
      if (!cas.isEmpty() || es.ssl().caTrustedFingerprint() != null) {
        for (String url : urls) {
          if (url.strip().toLowerCase(Locale.ROOT).startsWith("http://")) {
            throw new IllegalStateException("apm-server.auth.api_key.elasticsearch.hosts: " + url.strip() + " is plain HTTP while TLS trust is"
                + " configured: the agents' API keys would be sent unencrypted");
          }
        }
      }
      return connection;
    }
  }
}
