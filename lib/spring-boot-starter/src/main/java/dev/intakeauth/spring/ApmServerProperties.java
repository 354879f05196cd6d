package dev.intakeauth.spring;

import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The settings that APM Server names, under the same keys ({@code apm-server.auth.secret_token},
 * {@code apm-server.auth.api_key.enabled} ...), so that an {@code apm-server.yml} carries over to
 * {@code application.yml}. Spring binds them in APM Server's underscore form or in kebab case.
 *
 * @param auth {@code apm-server.auth.*}: secret token, API keys, anonymous access
 * @param rum {@code apm-server.rum.*}: the browser routes' CORS settings, and the default of
 *     anonymous access
 */
@ConfigurationProperties("apm-server")
public record ApmServerProperties(@DefaultValue Auth auth, @DefaultValue Rum rum) {

  /**
   * {@code apm-server.auth.*}.
   *
   * @param secretToken the secret token agents send as {@code Authorization: Bearer <token>}; unset,
   *     no secret token is accepted
   * @param apiKey API keys checked against Elasticsearch
   * @param anonymous anonymous access on the browser and OTLP routes
   */
  public record Auth(@Nullable String secretToken, @DefaultValue ApiKey apiKey, @DefaultValue Anonymous anonymous) {
    @Override
    public String toString() {
      return "Auth[secretToken=" + (secretToken == null ? "unset" : "***") + ", apiKey=" + apiKey + ", anonymous=" + anonymous + "]";
    }
  }

  /**
   * {@code apm-server.auth.api_key.*}.
   *
   * @param enabled whether agents may send {@code Authorization: ApiKey <base64(id:key)>}
   * @param limit how many API keys not yet cached may be looked up in Elasticsearch a minute
   * @param elasticsearch where the keys are checked
   */
  public record ApiKey(@DefaultValue("false") boolean enabled, @DefaultValue("100") int limit, @DefaultValue Elasticsearch elasticsearch) {}

  /**
   * {@code apm-server.auth.api_key.elasticsearch.*}. Each key's privileges are asked with the
   * agent's own key; the server's own credential ({@code username} and {@code password}, or
   * {@code api_key}) serves only the revocation feed ({@code intake-auth.revocation.enabled}).
   *
   * @param hosts the nodes, as {@code host:port} or URLs
   * @param protocol {@code http} or {@code https}, for hosts given without a scheme (default http)
   * @param path a path prefix in front of every request, for a proxy
   * @param timeout how long one request may take
   * @param username the server's own user, for the revocation feed
   * @param password its password
   * @param apiKey the server's own API key ({@code base64(id:key)}), for the revocation feed
   * @param ssl how Elasticsearch's certificate is trusted
   */
  public record Elasticsearch(
      @DefaultValue List<String> hosts,
      @Nullable String protocol,
      @Nullable String path,
      @DefaultValue("5s") Duration timeout,
      @Nullable String username,
      @Nullable String password,
      @Nullable String apiKey,
      @DefaultValue Ssl ssl) {
    @Override
    public String toString() {
      return "Elasticsearch[hosts=" + hosts + ", protocol=" + protocol + ", path=" + path + ", timeout=" + timeout + ", username=" + username
          + ", password=" + (password == null ? "unset" : "***") + ", apiKey=" + (apiKey == null ? "unset" : "***") + ", ssl=" + ssl + "]";
    }
  }

  /**
   * {@code apm-server.auth.api_key.elasticsearch.ssl.*}.
   *
   * @param certificateAuthorities one PEM file of the certificates to trust (it may hold several)
   * @param caTrustedFingerprint the SHA-256 fingerprint of a certificate in Elasticsearch's chain to trust
   * @param verificationMode {@code full}, {@code certificate} or {@code none}
   */
  public record Ssl(@DefaultValue List<String> certificateAuthorities, @Nullable String caTrustedFingerprint,
      @DefaultValue("full") String verificationMode) {}

  /**
   * {@code apm-server.auth.anonymous.*}.
   *
   * @param enabled whether requests without a credential are let in on the routes that allow it;
   *     unset, it follows {@code apm-server.rum.enabled} when a secret token or API keys are configured
   * @param allowAgent the agent names anonymous events may carry
   * @param allowService the service names anonymous events may carry; empty, any
   * @param rateLimit the per-client rate limit of anonymous requests
   */
  public record Anonymous(@Nullable Boolean enabled, @DefaultValue({"rum-js", "js-base"}) List<String> allowAgent,
      @DefaultValue List<String> allowService, @DefaultValue RateLimit rateLimit) {}

  /**
   * {@code apm-server.auth.anonymous.rate_limit.*}.
   *
   * @param eventLimit events a second each client may send
   * @param ipLimit how many clients are tracked at once
   */
  public record RateLimit(@DefaultValue("300") int eventLimit, @DefaultValue("1000") int ipLimit) {}

  /**
   * {@code apm-server.rum.*}.
   *
   * @param enabled whether the browser agent's routes are served; the default of anonymous access
   * @param allowOrigins the origins browsers may send from ({@code *} for any)
   * @param allowHeaders request headers browsers may send beyond the standard ones
   */
  public record Rum(@DefaultValue("false") boolean enabled, @DefaultValue("*") List<String> allowOrigins, @DefaultValue List<String> allowHeaders) {}
}
