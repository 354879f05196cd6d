package dev.intakeauth.access;

import dev.intakeauth.AuthListener;
import dev.intakeauth.AuthMethod;
import dev.intakeauth.AuthResult;
import dev.intakeauth.Authenticator;
import dev.intakeauth.Outcome;
import dev.intakeauth.Privilege;
import dev.intakeauth.anonymous.AnonymousPolicy;
import dev.intakeauth.anonymous.AnonymousRateLimiter;
import dev.intakeauth.anonymous.ClientAddressResolver;
import dev.intakeauth.internal.ListenerGuard;
import dev.intakeauth.internal.Retry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides each request of an intake server, whatever its transport: the route and its privilege,
 * CORS, credentials over plain HTTP, authentication, anonymous access and its rate limit. Built
 * once per server; immutable and thread-safe. A transport adapter turns its request into a
 * {@link RequestView} and maps the {@link Decision} back to its protocol.
 *
 * <pre>{@code
 * AccessControl access = AccessControl.builder(authenticator)
 *     .anonymous(true)                                   // browser agents without a credential
 *     .anonymousPolicy(AnonymousPolicy.builder().allowServices(Set.of("shop")).build())
 *     .build();
 * Decision decision = access.decide(requestView);
 * }</pre>
 *
 * <p>In order: the route table matches the path first, and a method the path's routes do not list is
 * 405 with {@code Allow}, before any lookup. On routes with a {@link CorsPolicy}, a preflight
 * {@code OPTIONS} is answered before any authentication (costing no lookup, budget or rate-limit
 * token); a request from an origin the policy does not allow is 403, one from an allowed origin gets
 * it echoed. A request that sends {@code Authorization} over plain HTTP is 403 unless
 * {@link Builder#allowCredentialsOverPlainHttp} says otherwise. Then the {@link Authenticator}
 * answers; a request with no credential is let in anonymously only on an
 * {@link Access#ANONYMOUS_WHEN_ENABLED} route with anonymous access on (and within the client's rate
 * limit), and is otherwise the 401 "missing" (the 403 of anonymous source-map uploads on the
 * source-map route). A credential that is present but not valid never becomes anonymous.
 *
 * <p>With a {@link Builder#listener listener}, each decision is reported once to
 * {@link AuthListener#onRequest}: a denial by its reason, a request that proceeds as
 * {@link Outcome#AUTHENTICATED} (on an {@link Access#OPTIONAL} route, a request that proceeds with a
 * denied result is reported as that denial), a {@link Decision.Pending} once its lookup has settled;
 * preflights and paths the table passes through are not reported.
 */
public final class AccessControl {

  /** The message for credentials refused over plain HTTP. */
  static final String PLAIN_HTTP_MESSAGE = "forbidden: credentials are only accepted over TLS (HTTPS)";

  /** The message for a method the path's routes do not list (405). */
  static final String METHOD_NOT_ALLOWED_MESSAGE = "method not allowed";

  private static final Logger LOG = LoggerFactory.getLogger(AccessControl.class);
  private static final AuthResult.Forbidden PLAIN_HTTP = new AuthResult.Forbidden(PLAIN_HTTP_MESSAGE);
  private static final AuthResult.Forbidden ANONYMOUS_SOURCEMAP = new AuthResult.Forbidden(AuthResult.Forbidden.ANONYMOUS_SOURCEMAP);
  private static final AuthResult.Unavailable TIMED_OUT =
      new AuthResult.Unavailable(Retry.MINIMUM, "no answer within the transport's timeout");

  private final Authenticator authenticator;
  private final RouteTable routes;
  private final boolean anonymous;
  private final AuthResult.Authenticated anonymousCaller;
  private final AnonymousPolicy anonymousPolicy;
  private final AnonymousRateLimiter rateLimiter;
  private final ClientAddressResolver addresses;
  private final boolean credentialsConfigured;
  private final boolean allowPlainHttp;
  private final List<String> challenges;
  private final @Nullable AuthListener listener;

  private AccessControl(Builder b) {
    this.authenticator = b.authenticator;
    this.routes = b.routes;
    this.credentialsConfigured = authenticator.secretTokenEnabled() || authenticator.apiKeysEnabled();
    // With no credential configured every request is let in anyway: anonymous settings change nothing.
    this.anonymous = b.anonymous && credentialsConfigured;
    Set<Privilege> privileges = new LinkedHashSet<>(b.anonymousPrivileges);
    privileges.retainAll(authenticator.privileges().privileges());
    privileges.remove(Privilege.SOURCEMAP_WRITE);
    this.anonymousCaller = new AuthResult.Authenticated(AuthMethod.ANONYMOUS, privileges, null, null);
    this.anonymousPolicy = b.anonymousPolicy;
    this.listener = ListenerGuard.guard(b.listener);
    this.rateLimiter = b.rateLimiter != null ? b.rateLimiter : defaultRateLimiter(b.listener);
    this.addresses = b.addresses;
    this.allowPlainHttp = b.allowPlainHttp;
    List<String> c = new ArrayList<>();
    if (authenticator.apiKeysEnabled()) {
      c.add("ApiKey realm=\"" + b.realm + "\"");
    }
    if (authenticator.secretTokenEnabled()) {
      c.add("Bearer realm=\"" + b.realm + "\"");
    }
    this.challenges = List.copyOf(c);
  }

  /** The limiter this access control owns when it is given none: it reports to the same listener. */
  private static AnonymousRateLimiter defaultRateLimiter(@Nullable AuthListener listener) {
    AnonymousRateLimiter.Builder limiter = AnonymousRateLimiter.builder();
    return (listener != null ? limiter.listener(listener) : limiter).build();
  }

  /**
   * Starts a builder: the APM routes, anonymous access off (with the default policy and rate limit
   * once turned on), no trusted proxy, credentials over TLS only, realm {@code intake}.
   *
   * @param authenticator the authenticator
   * @return a builder
   */
  public static Builder builder(Authenticator authenticator) {
    return new Builder(authenticator);
  }

  /**
   * Decides one request. Never blocks: when an API key has to be looked up in its backend the
   * answer is a {@link Decision.Pending}; a cache hit, and everything that needs no lookup, is
   * answered at once.
   *
   * @param request the request
   * @return the decision; never throws for bad input
   */
  public Decision decide(RequestView request) {
    RouteTable.Match match = routes.resolve(request.method(), request.path());
    if (match instanceof RouteTable.Match.Preflight preflight) {
      return preflight(preflight.cors(), request.headers("Origin"));
    }
    if (match instanceof RouteTable.Match.MethodNotAllowed notAllowed) {
      report(Outcome.METHOD_NOT_ALLOWED, request);
      List<Map.Entry<String, String>> allow = List.of(ResponseHeaders.NOSNIFF, Map.entry("Allow", notAllowed.allow()));
      return new Decision.Deny(405, METHOD_NOT_ALLOWED_MESSAGE, ResponseHeaders.denial(allow, (Duration) null, List.of()));
    }
    Route route = match instanceof RouteTable.Match.Found found ? found.route() : ((RouteTable.Match.Unlisted) match).otherwise();
    if (route == null) {
      return Decision.PassThrough.INSTANCE;
    }
    List<Map.Entry<String, String>> headers = ResponseHeaders.BASE;
    CorsPolicy cors = route.cors();
    if (cors != null) {
      headers = ResponseHeaders.BROWSER_BASE;
      List<String> origins = request.headers("Origin");
      if (!origins.isEmpty()) {
        if (origins.size() != 1 || !cors.allows(origins.get(0))) {
          report(Outcome.ORIGIN_NOT_ALLOWED, request);
          return deny(headers, new AuthResult.Forbidden("origin: '" + String.join(", ", origins) + "' is not allowed"));
        }
        headers = ResponseHeaders.allowedOrigin(origins.get(0));
      }
    }
    String client = addresses.resolve(request.remoteAddress(), request::headers);
    List<String> authorization = request.headers("Authorization");
    if (!authorization.isEmpty() && !request.secure() && !allowPlainHttp && credentialsConfigured) {
      report(Outcome.PLAIN_HTTP, request);
      return deny(headers, PLAIN_HTTP);
    }
    CompletableFuture<AuthResult> pending = authenticator.authenticateAsync(authorization, rateLimiter.clientGroup(client));
    if (pending.isDone()) {
      return decide(route, pending.join(), client, headers, authorization);
    }
    List<Map.Entry<String, String>> routeHeaders = headers;
    Decision.Deny unavailable = deny(headers, TIMED_OUT);
    CompletableFuture<Decision> decided = pending.thenApply(result -> decide(route, result, client, routeHeaders, authorization))
        .exceptionally(failure -> {
          LOG.warn("no decision for {} {}: {}", route.methods(), route.path(), failure.getClass().getSimpleName());
          report(TIMED_OUT, authorization);
          return unavailable;
        });
    return new Decision.Pending(decided, unavailable);
  }

  /** Answers a CORS preflight as APM Server does: 200, the origin echoed only when allowed. */
  private static Decision preflight(CorsPolicy cors, List<String> origins) {
    String allowed = origins.size() == 1 && cors.allows(origins.get(0)) ? origins.get(0) : null;
    return new Decision.Preflight(ResponseHeaders.preflight(cors, allowed));
  }

  /** The decision once the authenticator has answered. */
  private Decision decide(Route route, AuthResult result, String client, List<Map.Entry<String, String>> headers,
      List<String> authorization) {
    AuthResult decided;
    if (anonymous && result instanceof AuthResult.Unauthorized u && u.reason() == AuthResult.Unauthorized.Reason.MISSING) {
      decided = switch (route.access()) {
        case OPTIONAL -> result;
        case CREDENTIALS -> Privilege.SOURCEMAP_WRITE.equals(route.privilege()) ? ANONYMOUS_SOURCEMAP : result;
        case ANONYMOUS_WHEN_ENABLED -> {
          AuthResult.RateLimited limited = rateLimiter.tryAcquire(client, 1);
          yield limited != null ? limited : authorize(anonymousCaller, route);
        }
      };
    } else {
      decided = authorize(result, route);
    }
    report(decided, authorization);
    if (decided instanceof AuthResult.Denied denied) {
      LOG.debug("{} {} from {}: {} {}", route.methods(), route.path(), client, denied.status(), denied.message());
      if (route.access() != Access.OPTIONAL) {
        return deny(headers, denied);
      }
    }
    return new Decision.Proceed(new RequestAuthorization(decided, route, client, anonymousPolicy, rateLimiter, listener), headers);
  }

  /** Reports a refusal made before authentication, with the method the header names. */
  private void report(Outcome outcome, RequestView request) {
    if (listener != null) {
      listener.onRequest(outcome, Outcomes.method(null, request.headers("Authorization")));
    }
  }

  /** Reports the final result of a request that was authenticated (or tried to be). */
  private void report(AuthResult decided, List<String> authorization) {
    if (listener != null) {
      AuthMethod method = Outcomes.method(decided, authorization);
      listener.onRequest(Outcomes.of(decided, method), method);
    }
  }

  private static AuthResult authorize(AuthResult result, Route route) {
    Privilege needed = route.privilege();
    return needed == null ? result : result.authorize(needed);
  }

  private Decision.Deny deny(List<Map.Entry<String, String>> headers, AuthResult.Denied denied) {
    return new Decision.Deny(denied.status(), denied.message(), ResponseHeaders.denial(headers, denied, challenges));
  }

  @Override
  public String toString() {
    return "AccessControl[" + authenticator + ", " + routes.routes().size() + " routes, anonymous=" + anonymous + "]";
  }

  /** Configures an {@link AccessControl}. */
  public static final class Builder {
    private final Authenticator authenticator;
    private RouteTable routes = RouteTable.apm();
    private boolean anonymous;
    private Set<Privilege> anonymousPrivileges = Set.of(Privilege.EVENT_WRITE, Privilege.AGENT_CONFIG_READ);
    private AnonymousPolicy anonymousPolicy = AnonymousPolicy.defaults();
    private @Nullable AnonymousRateLimiter rateLimiter;
    private ClientAddressResolver addresses = ClientAddressResolver.direct();
    private String realm = "intake";
    private boolean allowPlainHttp;
    private @Nullable AuthListener listener;

    private Builder(Authenticator authenticator) {
      this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
    }

    /**
     * The routes (default {@link RouteTable#apm()}).
     *
     * @param routes the table
     * @return this builder
     */
    public Builder routes(RouteTable routes) {
      this.routes = Objects.requireNonNull(routes, "routes");
      return this;
    }

    /**
     * Lets requests with no credential in anonymously on the routes that allow it
     * ({@link Access#ANONYMOUS_WHEN_ENABLED}), for agents that cannot keep a secret. Has no effect
     * unless the authenticator has a secret token or API keys. Default off.
     *
     * @param enabled whether anonymous access is on
     * @return this builder
     */
    public Builder anonymous(boolean enabled) {
      this.anonymous = enabled;
      return this;
    }

    /**
     * What anonymous callers may do. Default {@code event:write} and {@code config_agent:read};
     * {@code sourcemap:write} is never granted anonymously, nor a privilege the authenticator's
     * application does not have.
     *
     * @param privileges the privileges
     * @return this builder
     */
    public Builder anonymousPrivileges(Collection<Privilege> privileges) {
      this.anonymousPrivileges = Set.copyOf(privileges);
      return this;
    }

    /**
     * The agent and service allow-lists for anonymous events (default {@link AnonymousPolicy#defaults()}).
     *
     * @param policy the policy
     * @return this builder
     */
    public Builder anonymousPolicy(AnonymousPolicy policy) {
      this.anonymousPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * The per-client rate limit of anonymous requests (default 300 events a second, burst 900,
     * 1000 clients). Its client grouping also keys each client's share of the API-key lookup budget.
     *
     * @param limiter the limiter
     * @return this builder
     */
    public Builder rateLimiter(AnonymousRateLimiter limiter) {
      this.rateLimiter = Objects.requireNonNull(limiter, "limiter");
      return this;
    }

    /**
     * How the client's address is found (default: the connection's own address).
     *
     * @param resolver for example {@code ClientAddressResolver.trusting(List.of("10.0.0.0/8"))}
     * @return this builder
     */
    public Builder clientAddresses(ClientAddressResolver resolver) {
      this.addresses = Objects.requireNonNull(resolver, "resolver");
      return this;
    }

    /**
     * The realm of the {@code WWW-Authenticate} challenges (default {@code intake}).
     *
     * @param realm the realm, without quotes or backslashes
     * @return this builder
     * @throws IllegalArgumentException if blank, or with quotes, backslashes or control characters
     */
    public Builder realm(String realm) {
      if (realm == null || realm.isBlank() || realm.chars().anyMatch(c -> c == '"' || c == '\\' || c < 0x20 || c == 0x7f)) {
        throw new IllegalArgumentException("the realm must be non-blank, without quotes, backslashes or control characters");
      }
      this.realm = realm;
      return this;
    }

    /**
     * Whether credentials sent over plain HTTP are accepted (default false: they are refused with a
     * 403, whatever their validity, since anyone on the network path can read them).
     *
     * @param allow true to accept them, for example on a loopback-only development server
     * @return this builder
     */
    public Builder allowCredentialsOverPlainHttp(boolean allow) {
      this.allowPlainHttp = allow;
      return this;
    }

    /**
     * Where each decision is reported (default none): its {@link Outcome} and the caller's
     * {@link AuthMethod} to {@link AuthListener#onRequest}, once per request (not for preflights or
     * paths the table passes through; for a {@link Decision.Pending}, once its lookup has settled),
     * and each event {@link RequestAuthorization} refuses to {@link AuthListener#onEventRefused}. The
     * default {@link #rateLimiter rate limiter} reports its refusals to it too; a limiter set here
     * reports to the listener its own builder was given. A listener that throws is logged at most once
     * a minute and changes no decision.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder listener(AuthListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Builds the access control.
     *
     * @return an immutable, thread-safe access control
     */
    public AccessControl build() {
      return new AccessControl(this);
    }
  }
}
