package dev.intakeauth.servlet;

import dev.intakeauth.AnonymousPolicy;
import dev.intakeauth.AnonymousRateLimiter;
import dev.intakeauth.AuthMethod;
import dev.intakeauth.AuthResult;
import dev.intakeauth.Privilege;
import java.security.Principal;
import org.jspecify.annotations.Nullable;

/**
 * What the filter decided for a request, for the application: stored as the request attribute
 * {@link #ATTRIBUTE}, and behind {@code request.getUserPrincipal()} as an {@link IntakePrincipal}.
 *
 * <p>An anonymous request is let in before its body is read; the application then asks
 * {@link #authorizeEvent} for each decoded metadata block or event (service and agent name against
 * the allow-lists) and {@link #acquireEvents} for the events it is about to accept (the per-client
 * rate limit). For callers with credentials both always allow.
 */
public final class RequestAuthorization {

  /** The request attribute that holds this object. */
  public static final String ATTRIBUTE = RequestAuthorization.class.getName();

  private final AuthResult result;
  private final @Nullable Route route;
  private final String clientAddress;
  private final @Nullable AnonymousPolicy anonymousPolicy;
  private final @Nullable AnonymousRateLimiter rateLimiter;

  RequestAuthorization(AuthResult result, @Nullable Route route, String clientAddress,
      @Nullable AnonymousPolicy anonymousPolicy, @Nullable AnonymousRateLimiter rateLimiter) {
    this.result = result;
    this.route = route;
    this.clientAddress = clientAddress;
    this.anonymousPolicy = anonymousPolicy;
    this.rateLimiter = rateLimiter;
  }

  /**
   * The outcome: {@link AuthResult.Authenticated} for every request that reached the application,
   * except on {@link Access#OPTIONAL} routes, where it may be a denial the filter did not send.
   *
   * @return the outcome
   */
  public AuthResult result() {
    return result;
  }

  /**
   * Whether the caller was let in with a credential or anonymously.
   *
   * @return true when {@link #result()} is {@link AuthResult.Authenticated}
   */
  public boolean authenticated() {
    return result instanceof AuthResult.Authenticated;
  }

  /**
   * Whether the caller came in without a credential.
   *
   * @return true for anonymous callers
   */
  public boolean anonymous() {
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
   * The route the request matched.
   *
   * @return the route, or null when it matched none and unmatched requests pass untouched
   */
  public @Nullable Route route() {
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
   * credential; for anonymous callers the agent and service allow-lists decide.
   *
   * @param service the service name, or null if the event has none
   * @param agent the agent name, or null if the event has none
   * @return {@link AuthResult.Authenticated} when allowed, otherwise a 403
   *     {@link AuthResult.Forbidden} to answer with (see {@link DenialResponse})
   */
  public AuthResult authorizeEvent(@Nullable String service, @Nullable String agent) {
    if (!anonymous() || anonymousPolicy == null) {
      return result;
    }
    return anonymousPolicy.authorizeEvent(service, agent);
  }

  /**
   * Takes events from an anonymous client's rate-limit budget. Always allowed for callers with a
   * credential.
   *
   * @param events how many events the application is about to accept
   * @return null when allowed, otherwise the 429 to answer with
   */
  public AuthResult.@Nullable RateLimited acquireEvents(int events) {
    if (!anonymous() || rateLimiter == null || events <= 0) {
      return null;
    }
    return rateLimiter.tryAcquire(clientAddress, events);
  }

  @Override
  public String toString() {
    return "RequestAuthorization[" + result + ", client=" + clientAddress + "]";
  }

  /** The caller as {@code request.getUserPrincipal()} shows it. */
  Principal principal() {
    return new IntakePrincipal((AuthResult.Authenticated) result);
  }
}
