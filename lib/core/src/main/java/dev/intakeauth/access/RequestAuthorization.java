package dev.intakeauth.access;

import dev.intakeauth.AuthListener;
import dev.intakeauth.AuthMethod;
import dev.intakeauth.AuthResult;
import dev.intakeauth.Outcome;
import dev.intakeauth.Privilege;
import dev.intakeauth.anonymous.AnonymousPolicy;
import dev.intakeauth.anonymous.AnonymousRateLimiter;
import org.jspecify.annotations.Nullable;

/**
 * What {@link AccessControl} decided for a request that goes on to the application (see
 * {@link Decision.Proceed}); a transport hands it to the application, the servlet filter as a request
 * attribute.
 *
 * <p>An anonymous request is let in before its body is read; the application then asks
 * {@link #authorizeEvent} for each decoded metadata block or event (service and agent name against
 * the allow-lists) and {@link #acquireEvents} for the events it is about to accept (the per-client
 * rate limit). For callers with credentials both always allow. OTLP data is decided per resource
 * with {@link #authorizeOtelResource}. Each refusal of an event is reported to the access control's
 * listener ({@link AuthListener#onEventRefused}).
 */
public final class RequestAuthorization {

  private final AuthResult result;
  private final Route route;
  private final String clientAddress;
  private final AnonymousPolicy anonymousPolicy;
  private final AnonymousRateLimiter rateLimiter;
  private final @Nullable AuthListener listener;

  RequestAuthorization(AuthResult result, Route route, String clientAddress, AnonymousPolicy anonymousPolicy,
      AnonymousRateLimiter rateLimiter, @Nullable AuthListener listener) {
    this.result = result;
    this.route = route;
    this.clientAddress = clientAddress;
    this.anonymousPolicy = anonymousPolicy;
    this.rateLimiter = rateLimiter;
    this.listener = listener;
  }

  /**
   * The outcome: {@link AuthResult.Authenticated} (method {@code ANONYMOUS} for a caller without a
   * credential) for every request that reached the application, except on {@link Access#OPTIONAL}
   * routes, where it may be a denial that was not sent.
   *
   * @return the outcome
   */
  public AuthResult result() {
    return result;
  }

  private boolean anonymous() {
    return result instanceof AuthResult.Authenticated a && a.method() == AuthMethod.ANONYMOUS;
  }

  /**
   * Whether the caller holds a privilege.
   *
   * @param privilege the privilege
   * @return true if authenticated with it
   */
  public boolean has(Privilege privilege) {
    return result instanceof AuthResult.Authenticated a && a.has(privilege);
  }

  /**
   * The route the request matched: a route of the table, or the table's fallback for paths it does
   * not name.
   *
   * @return the route
   */
  public Route route() {
    return route;
  }

  /**
   * The client's address: the connection's, or the one a trusted proxy forwarded.
   *
   * @return the address
   */
  public String clientAddress() {
    return clientAddress;
  }

  /**
   * Decides one decoded metadata block or event of the request. Always allowed for callers with a
   * credential; for anonymous callers the agent and service allow-lists decide, and a refusal is
   * reported as {@link Outcome#ANONYMOUS_NOT_PERMITTED}.
   *
   * @param service the service name, or null if the event has none
   * @param agent the agent name, or null if the event has none
   * @return {@link AuthResult.Authenticated} when allowed, otherwise a 403 {@link AuthResult.Forbidden}
   *     to answer with
   */
  public AuthResult authorizeEvent(@Nullable String service, @Nullable String agent) {
    if (!anonymous()) {
      return result;
    }
    AuthResult decided = anonymousPolicy.authorizeEvent(service, agent);
    if (listener != null && decided instanceof AuthResult.Denied) {
      listener.onEventRefused(Outcome.ANONYMOUS_NOT_PERMITTED);
    }
    return decided;
  }

  /**
   * Decides one OTLP resource (a {@code ResourceSpans}, {@code ResourceMetrics} or
   * {@code ResourceLogs}) of the request, as {@link #authorizeEvent} does an event: the service is
   * the resource attribute {@code service.name}, the agent {@link #otelAgentName(String)} of its
   * {@code telemetry.sdk.language}. Always allowed for callers with a credential.
   *
   * @param serviceName the resource's {@code service.name}, or null if it has none
   * @param sdkLanguage the resource's {@code telemetry.sdk.language}, or null if it has none
   * @return {@link AuthResult.Authenticated} when allowed, otherwise a 403 {@link AuthResult.Forbidden}
   *     whose message names the agent or service
   */
  public AuthResult authorizeOtelResource(@Nullable String serviceName, @Nullable String sdkLanguage) {
    return authorizeEvent(serviceName, otelAgentName(sdkLanguage));
  }

  /**
   * The agent name APM Server gives data sent by an OpenTelemetry SDK, matched against the
   * {@code allow_agent} list: {@code opentelemetry/<language>}, or {@code opentelemetry} when the
   * resource names no language.
   *
   * @param sdkLanguage the resource attribute {@code telemetry.sdk.language}, such as {@code java}
   * @return such as {@code opentelemetry/java}
   */
  public static String otelAgentName(@Nullable String sdkLanguage) {
    return sdkLanguage == null || sdkLanguage.isEmpty() ? "opentelemetry" : "opentelemetry/" + sdkLanguage;
  }

  /**
   * Takes events from an anonymous client's rate-limit budget. Always allowed for callers with a
   * credential. A refusal is reported as {@link Outcome#RATE_LIMITED} (and, by the limiter, to
   * {@link AuthListener#onAnonymousRateLimited}).
   *
   * @param events how many events the application is about to accept
   * @return null when allowed, otherwise the 429 to answer with
   */
  public AuthResult.@Nullable RateLimited acquireEvents(int events) {
    if (!anonymous() || events <= 0) {
      return null;
    }
    AuthResult.RateLimited limited = rateLimiter.tryAcquire(clientAddress, events);
    if (listener != null && limited != null) {
      listener.onEventRefused(Outcome.RATE_LIMITED);
    }
    return limited;
  }

  @Override
  public String toString() {
    return "RequestAuthorization[" + result + ", client=" + clientAddress + "]";
  }
}
