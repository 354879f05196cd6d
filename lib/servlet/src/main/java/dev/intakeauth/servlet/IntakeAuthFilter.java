package dev.intakeauth.servlet;

import dev.intakeauth.AnonymousPolicy;
import dev.intakeauth.AnonymousRateLimiter;
import dev.intakeauth.AuthMethod;
import dev.intakeauth.AuthResult;
import dev.intakeauth.Authenticator;
import dev.intakeauth.AuthorizationHeader;
import dev.intakeauth.ClientAddressResolver;
import dev.intakeauth.Privilege;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.security.Principal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authorizes every request of an intake server by a {@link RouteTable}, and answers the ones that do
 * not go through as the specification says (see {@link DenialResponse}).
 *
 * <pre>{@code
 * IntakeAuthFilter filter = IntakeAuthFilter.builder(authenticator).build();   // the APM routes
 * context.addFilter(new FilterHolder(filter), "/*", EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));
 * }</pre>
 *
 * <p>Requests that go through reach the application with a {@link RequestAuthorization} in the
 * request attribute {@link RequestAuthorization#ATTRIBUTE} and an {@link IntakePrincipal} as
 * {@code getUserPrincipal()}; {@code isUserInRole("event:write")} tells whether a privilege is held.
 *
 * <p>The route table matches the path first: a method the path's routes do not list is answered
 * 405 with {@code Allow}, before any lookup. On routes with a {@link CorsPolicy} (the RUM routes of
 * {@link RouteTable#apm()}), a preflight {@code OPTIONS} is answered 200 before any authentication,
 * costing no lookup, budget or rate-limit token; a request from an origin the policy does not allow
 * is 403, and one from an allowed origin gets it echoed in {@code Access-Control-Allow-Origin}.
 * Requests without {@code Origin} are not cross-origin and go on as usual.
 *
 * <p>When an API key has to be looked up in its backend and the request supports async processing,
 * the filter starts async processing instead of holding the container thread, and dispatches the
 * request again once the answer is in (map the filter for {@link DispatcherType#ASYNC} too). A
 * denial is written on a container thread ({@link AsyncContext#start}), never on the thread that
 * completed the lookup, so a client that stops reading cannot stall the backend's threads.
 * Otherwise it waits, bounded by the backend's deadline. Cache hits never wait.
 *
 * <p>Credentials that arrive over plain HTTP ({@code isSecure()} false) are refused with a 403
 * unless {@link Builder#allowCredentialsOverPlainHttp} says otherwise: they are readable by anyone
 * on the path. Behind a proxy that terminates TLS, have the container honour its forwarded scheme.
 */
public final class IntakeAuthFilter implements Filter {

  /** The message for credentials refused over plain HTTP. */
  public static final String PLAIN_HTTP_MESSAGE = "forbidden: credentials are only accepted over TLS (HTTPS)";

  /** The message for a method the path's routes do not list (405). */
  public static final String METHOD_NOT_ALLOWED_MESSAGE = "method not allowed";

  private static final Logger LOG = LoggerFactory.getLogger(IntakeAuthFilter.class);
  private static final AuthResult.Unauthorized MISSING =
      new AuthResult.Unauthorized(AuthResult.Unauthorized.Reason.MISSING, AuthorizationHeader.MISSING_MESSAGE);

  private final Authenticator authenticator;
  private final RouteTable routes;
  private final AnonymousPolicy anonymousPolicy;
  private final AnonymousRateLimiter rateLimiter;
  private final ClientAddressResolver addresses;
  private final List<String> challenges;
  private final boolean allowPlainHttp;
  private final boolean serverTls;
  private final boolean async;
  private final Duration asyncTimeout;

  private IntakeAuthFilter(Builder b) {
    this.authenticator = b.authenticator;
    this.routes = b.routes;
    this.anonymousPolicy = b.anonymousPolicy;
    this.rateLimiter = b.rateLimiter != null ? b.rateLimiter : AnonymousRateLimiter.builder().build();
    this.addresses = b.addresses;
    this.allowPlainHttp = b.allowPlainHttp;
    this.serverTls = b.serverTls;
    this.async = b.async;
    this.asyncTimeout = b.asyncTimeout;
    List<String> c = new ArrayList<>();
    if (authenticator.apiKeysEnabled()) {
      c.add("ApiKey realm=\"" + b.realm + "\"");
    }
    if (authenticator.secretTokenEnabled()) {
      c.add("Bearer realm=\"" + b.realm + "\"");
    }
    this.challenges = List.copyOf(c);
  }

  /**
   * Starts a builder: the APM routes, the default anonymous policy and rate limit, no trusted proxy,
   * credentials over TLS only, async lookups.
   *
   * @param authenticator the authenticator (with anonymous access enabled or not)
   * @return a builder
   */
  public static Builder builder(Authenticator authenticator) {
    return new Builder(authenticator);
  }

  @Override
  public void init(FilterConfig config) {
    logTlsWarnings();
  }

  /** Logs the specification's warnings when credentials are configured on a server without TLS. */
  void logTlsWarnings() {
    if (serverTls) {
      return;
    }
    if (authenticator.secretTokenEnabled()) {
      LOG.warn("Secret token is set, but SSL is not enabled.");
    }
    if (authenticator.apiKeysEnabled()) {
      LOG.warn("API Key auth is enabled, but SSL is not enabled.");
    }
    if (allowPlainHttp && (authenticator.secretTokenEnabled() || authenticator.apiKeysEnabled())) {
      LOG.warn("Credentials are accepted over plain HTTP: anyone on the network path can read and reuse them.");
    }
  }

  @Override
  public void doFilter(ServletRequest req, ServletResponse resp, FilterChain chain) throws IOException, ServletException {
    if (!(req instanceof HttpServletRequest request) || !(resp instanceof HttpServletResponse response)) {
      chain.doFilter(req, resp);
      return;
    }
    if (request.getAttribute(RequestAuthorization.ATTRIBUTE) instanceof RequestAuthorization decided) {
      // Our own async dispatch, or a forward or include after the decision: it stands.
      chain.doFilter(wrap(request, decided), response);
      return;
    }
    if (request.getDispatcherType() != DispatcherType.REQUEST && request.getDispatcherType() != DispatcherType.ASYNC) {
      chain.doFilter(request, response);
      return;
    }
    String path = Objects.requireNonNullElse(request.getServletPath(), "") + Objects.requireNonNullElse(request.getPathInfo(), "");
    RouteTable.Match match = routes.resolve(request.getMethod(), path.isEmpty() ? "/" : path);
    if (match instanceof RouteTable.Match.Preflight preflight) {
      preflight(request, response, preflight.cors());
      return;
    }
    if (match instanceof RouteTable.Match.MethodNotAllowed notAllowed) {
      DenialResponse.closeIfBody(request, response);
      response.setHeader("Allow", notAllowed.allow());
      DenialResponse.write(response, 405, METHOD_NOT_ALLOWED_MESSAGE, null, List.of());
      return;
    }
    Route route = match instanceof RouteTable.Match.Found found ? found.route() : ((RouteTable.Match.Unlisted) match).otherwise();
    if (route == null) {
      chain.doFilter(request, response);
      return;
    }
    response.setHeader("X-Content-Type-Options", "nosniff");
    CorsPolicy cors = route.cors();
    if (cors != null) {
      // Origin is part of every answer on a browser route, so caches keep answers per origin.
      response.addHeader("Vary", "Origin");
      List<String> origins = Collections.list(request.getHeaders("Origin"));
      if (!origins.isEmpty()) {
        if (origins.size() == 1 && cors.allows(origins.get(0))) {
          response.setHeader("Access-Control-Allow-Origin", origins.get(0));
          // read on the actual answer, not the preflight: the agent caches its configuration by it
          response.setHeader("Access-Control-Expose-Headers", "Etag");
        } else {
          DenialResponse.closeIfBody(request, response);
          DenialResponse.write(response, 403, "origin: '" + String.join(", ", origins) + "' is not allowed", null, List.of());
          return;
        }
      }
    }
    String client = addresses.resolve(request.getRemoteAddr(), name -> Collections.list(request.getHeaders(name)));
    List<String> authorization = Collections.list(request.getHeaders("Authorization"));

    if (!authorization.isEmpty() && !request.isSecure() && !allowPlainHttp
        && (authenticator.secretTokenEnabled() || authenticator.apiKeysEnabled())) {
      deny(request, response, new AuthResult.Forbidden(PLAIN_HTTP_MESSAGE));
      return;
    }

    CompletableFuture<AuthResult> pending = authenticator.authenticateAsync(authorization);
    if (pending.isDone() || !async || !request.isAsyncSupported()) {
      proceedOrDeny(request, response, chain, decide(route, pending.join(), client));
      return;
    }
    AsyncContext ac = request.startAsync();
    ac.setTimeout(asyncTimeout.toMillis());
    AtomicBoolean finished = new AtomicBoolean();
    ac.addListener(new AsyncListener() {
      @Override
      public void onTimeout(AsyncEvent event) throws IOException {
        if (finished.compareAndSet(false, true)) {
          deny(request, response, new AuthResult.Unavailable(Duration.ofSeconds(1), "no answer within the async timeout"));
          ac.complete();
        }
      }

      @Override
      public void onComplete(AsyncEvent event) {}

      @Override
      public void onError(AsyncEvent event) {}

      @Override
      public void onStartAsync(AsyncEvent event) {}
    });
    pending.whenComplete((result, failure) -> {
      if (!finished.compareAndSet(false, true)) {
        return;
      }
      RequestAuthorization decision = decide(route, result, client);
      if (decision.result() instanceof AuthResult.Denied denied && route.access() != Access.OPTIONAL) {
        // This is the backend's thread: a client that does not read must stall a container thread, not it.
        try {
          ac.start(() -> {
            try {
              deny(request, response, denied);
            } catch (IOException | RuntimeException e) {
              LOG.debug("could not send a denial: {}", e.getClass().getSimpleName());
            } finally {
              ac.complete();
            }
          });
        } catch (IllegalStateException e) {
          LOG.debug("the request ended before its denial: {}", e.getClass().getSimpleName());
        }
      } else {
        request.setAttribute(RequestAuthorization.ATTRIBUTE, decision);
        try {
          ac.dispatch();
        } catch (IllegalStateException e) {
          LOG.debug("the request ended before its answer: {}", e.getClass().getSimpleName());
        }
      }
    });
  }

  /** Answers a CORS preflight as APM Server does: 200, the origin echoed only when allowed. */
  private static void preflight(HttpServletRequest request, HttpServletResponse response, CorsPolicy cors) {
    DenialResponse.closeIfBody(request, response);
    response.setStatus(200);
    response.setHeader("X-Content-Type-Options", "nosniff");
    List<String> origins = Collections.list(request.getHeaders("Origin"));
    if (origins.size() == 1 && cors.allows(origins.get(0))) {
      response.setHeader("Access-Control-Allow-Origin", origins.get(0));
    }
    response.setHeader("Access-Control-Max-Age", "3600");
    response.setHeader("Vary", "Origin");
    response.setHeader("Access-Control-Allow-Methods", "POST, OPTIONS");
    response.setHeader("Access-Control-Allow-Headers", cors.allowHeaders());
    response.setHeader("Access-Control-Expose-Headers", "Etag");
    response.setContentLength(0);
  }

  private void proceedOrDeny(HttpServletRequest request, HttpServletResponse response, FilterChain chain, RequestAuthorization decision)
      throws IOException, ServletException {
    if (decision.result() instanceof AuthResult.Denied denied && decision.route() != null && decision.route().access() != Access.OPTIONAL) {
      deny(request, response, denied);
      return;
    }
    request.setAttribute(RequestAuthorization.ATTRIBUTE, decision);
    chain.doFilter(wrap(request, decision), response);
  }

  /** Answers a denial with this filter's challenges, closing the connection if the body is unread. */
  private void deny(HttpServletRequest request, HttpServletResponse response, AuthResult.Denied denied) throws IOException {
    DenialResponse.closeIfBody(request, response);
    DenialResponse.send(response, denied, challenges);
  }

  /** The decision for one request: the result to send, or to hand to the application. */
  RequestAuthorization decide(Route route, AuthResult result, String client) {
    AuthResult decided;
    if (result instanceof AuthResult.Authenticated ok && ok.method() == AuthMethod.ANONYMOUS) {
      decided = switch (route.access()) {
        case OPTIONAL -> MISSING;
        case CREDENTIALS -> Privilege.SOURCEMAP_WRITE.equals(route.privilege())
            ? new AuthResult.Forbidden(AuthResult.Forbidden.ANONYMOUS_SOURCEMAP)
            : MISSING;
        case ANONYMOUS_WHEN_ENABLED -> {
          AuthResult.RateLimited limited = rateLimiter.tryAcquire(client, 1);
          yield limited != null ? limited : authorize(ok, route);
        }
      };
    } else {
      decided = authorize(result, route);
    }
    if (decided instanceof AuthResult.Denied denied) {
      LOG.debug("{} {} from {}: {} {}", route.methods(), route.path(), client, denied.status(), denied.message());
    }
    return new RequestAuthorization(decided, route, client, anonymousPolicy, rateLimiter);
  }

  private static AuthResult authorize(AuthResult result, Route route) {
    Privilege needed = route.privilege();
    return needed == null ? result : result.authorize(needed);
  }

  private static HttpServletRequest wrap(HttpServletRequest request, RequestAuthorization decision) {
    if (!(decision.result() instanceof AuthResult.Authenticated ok)) {
      return request;
    }
    Principal principal = decision.principal();
    String authType = switch (ok.method()) {
      case API_KEY -> "ApiKey";
      case SECRET_TOKEN -> "Bearer";
      case ANONYMOUS, NONE -> null;
    };
    return new HttpServletRequestWrapper(request) {
      @Override
      public Principal getUserPrincipal() {
        return principal;
      }

      @Override
      public @Nullable String getAuthType() {
        return authType;
      }

      @Override
      public boolean isUserInRole(String role) {
        return ok.has(Privilege.of(role));
      }
    };
  }

  @Override
  public String toString() {
    return "IntakeAuthFilter[" + authenticator + ", " + routes.routes().size() + " routes]";
  }

  /** Configures an {@link IntakeAuthFilter}. */
  public static final class Builder {
    private final Authenticator authenticator;
    private RouteTable routes = RouteTable.apm();
    private AnonymousPolicy anonymousPolicy = AnonymousPolicy.defaults();
    private @Nullable AnonymousRateLimiter rateLimiter;
    private ClientAddressResolver addresses = ClientAddressResolver.direct();
    private String realm = "intake";
    private boolean allowPlainHttp;
    private boolean serverTls = true;
    private boolean async = true;
    private Duration asyncTimeout = Duration.ofSeconds(30);

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
     * 1000 clients).
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
     * 403, whatever their validity).
     *
     * @param allow true to accept them, for example on a loopback-only development server
     * @return this builder
     */
    public Builder allowCredentialsOverPlainHttp(boolean allow) {
      this.allowPlainHttp = allow;
      return this;
    }

    /**
     * Whether the server terminates TLS (default true). When false and credentials are configured,
     * the filter logs the specification's warnings at start.
     *
     * @param tls whether the server listens with TLS
     * @return this builder
     */
    public Builder serverTls(boolean tls) {
      this.serverTls = tls;
      return this;
    }

    /**
     * Whether a request that waits for an API-key lookup releases its container thread (default
     * true, for requests that support async processing).
     *
     * @param async false to always wait on the container thread
     * @return this builder
     */
    public Builder async(boolean async) {
      this.async = async;
      return this;
    }

    /**
     * How long an async request may wait for its lookup before a 503 (default 30 s; the backend's
     * own deadline normally answers first).
     *
     * @param timeout the timeout
     * @return this builder
     */
    public Builder asyncTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("the async timeout must be positive");
      }
      this.asyncTimeout = timeout;
      return this;
    }

    /**
     * Builds the filter.
     *
     * @return the filter
     */
    public IntakeAuthFilter build() {
      return new IntakeAuthFilter(this);
    }
  }
}
