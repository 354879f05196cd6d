package dev.intakeauth.spring;

import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * intake-auth's own settings, under {@code intake-auth.*}: the ones the example intake server reads
 * beside APM Server's ({@link ApmServerProperties}), and how the filter is registered.
 *
 * @param enabled whether the starter configures anything (default true)
 * @param auth more secret tokens
 * @param apiKey the API-key cache and each client's share of the lookup budget
 * @param anonymous anonymous access beyond APM Server's settings
 * @param trustedProxies the proxies (addresses or CIDR ranges) whose forwarded header names the
 *     client, for anonymous rate limits and budgets; empty, the connection's own address counts
 * @param forwardedHeader {@code x-forwarded-for}, {@code forwarded} or {@code x-real-ip}
 * @param allowPlainHttpCredentials whether credentials sent over plain HTTP are accepted (default
 *     false: they are refused with a 403). Behind a proxy that terminates TLS, set
 *     {@code server.forward-headers-strategy} instead, so that the request counts as secure
 * @param realm the realm of the {@code WWW-Authenticate} challenges
 * @param revocation the revocation feed
 * @param filter how the filter is registered
 * @param security how the result is handed to Spring Security, when it is present
 */
@ConfigurationProperties("intake-auth")
public record IntakeAuthProperties(
    @DefaultValue("true") boolean enabled,
    @DefaultValue Auth auth,
    @DefaultValue ApiKey apiKey,
    @DefaultValue Anonymous anonymous,
    @DefaultValue List<String> trustedProxies,
    @DefaultValue("x-forwarded-for") String forwardedHeader,
    @DefaultValue("false") boolean allowPlainHttpCredentials,
    @DefaultValue("apm-server") String realm,
    @DefaultValue Revocation revocation,
    @DefaultValue Filter filter,
    @DefaultValue Security security) {

  /** The order of the filter by default: ahead of Spring Security's filter chain (-100). */
  public static final int DEFAULT_FILTER_ORDER = -110;

  /** The APM routes the filter is mapped to by default (the application's root is left alone). */
  public static final List<String> APM_ROUTES = List.of("/intake/v2/events", "/intake/v2/rum/events", "/intake/v3/rum/events",
      "/config/v1/agents", "/config/v1/rum/agents", "/v1/traces", "/v1/metrics", "/v1/logs", "/assets/v1/sourcemaps");

  /**
   * {@code intake-auth.auth.*}.
   *
   * @param secretTokens more secret tokens accepted at once, with {@code apm-server.auth.secret_token}
   *     if it is set: one set, for a rotation
   */
  public record Auth(@DefaultValue List<String> secretTokens) {
    @Override
    public String toString() {
      return "Auth[secretTokens=" + secretTokens.size() + "]";
    }
  }

  /**
   * {@code intake-auth.api_key.*}.
   *
   * @param limitPerClient one client's share of {@code apm-server.auth.api_key.limit}; unset, a
   *     tenth of it (at least 1)
   * @param cacheLifetime how long an API key's answer is cached
   */
  public record ApiKey(@Nullable Integer limitPerClient, @DefaultValue("60s") Duration cacheLifetime) {}

  /**
   * {@code intake-auth.anonymous.*}.
   *
   * @param ipv6Prefix the IPv6 prefix length that counts as one client for the rate limit
   * @param globalEventLimit anonymous events a second across all clients; 0 for no ceiling
   */
  public record Anonymous(@DefaultValue("64") int ipv6Prefix, @DefaultValue("0") int globalEventLimit) {}

  /**
   * {@code intake-auth.revocation.*}: evicts cached API keys that were invalidated or expired in
   * Elasticsearch, asking with the server's own credential
   * ({@code apm-server.auth.api_key.elasticsearch.api_key}, or its username and password).
   *
   * @param enabled whether the feed runs (default false)
   * @param period how often it asks
   */
  public record Revocation(@DefaultValue("false") boolean enabled, @DefaultValue("5s") Duration period) {}

  /**
   * {@code intake-auth.filter.*}.
   *
   * @param order the filter's order; the default, {@value #DEFAULT_FILTER_ORDER}, is ahead of Spring
   *     Security's filter chain ({@code spring.security.filter.order}, -100), so that Spring Security
   *     sees the caller
   * @param urlPatterns the servlet URL patterns the filter is mapped to; the APM routes by default.
   *     Paths outside the APM routes need a valid credential
   */
  public record Filter(@DefaultValue("" + DEFAULT_FILTER_ORDER) int order, @Nullable List<String> urlPatterns) {

    /**
     * Defaults the URL patterns to the APM routes.
     *
     * @param order the order
     * @param urlPatterns the patterns, or null for the APM routes
     */
    public Filter {
      urlPatterns = urlPatterns == null || urlPatterns.isEmpty() ? APM_ROUTES : List.copyOf(urlPatterns);
    }
  }

  /**
   * {@code intake-auth.security.*}.
   *
   * @param csrfExempt whether requests the filter let in skip Spring Security's CSRF check (default
   *     true): agents send their credential in a header, which a browser never adds by itself, and
   *     cannot send a CSRF token
   */
  public record Security(@DefaultValue("true") boolean csrfExempt) {}
}
