package dev.intakeauth.servlet;

import dev.intakeauth.AuthListener;
import dev.intakeauth.AuthResult;
import dev.intakeauth.Authenticator;
import dev.intakeauth.Privilege;
import dev.intakeauth.access.AccessControl;
import dev.intakeauth.access.CorsPolicy;
import dev.intakeauth.access.Decision;
import dev.intakeauth.access.RequestAuthorization;
import dev.intakeauth.access.RequestView;
import dev.intakeauth.access.RouteTable;
import dev.intakeauth.anonymous.AnonymousPolicy;
import dev.intakeauth.anonymous.AnonymousRateLimiter;
import dev.intakeauth.anonymous.ClientAddressResolver;
import dev.intakeauth.internal.Require;
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
import java.util.Collection;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts an {@link AccessControl} in front of an intake server's servlets: it hands each request to
 * it and writes its {@link Decision}, the denials as {@link DenialResponse} does.
 *
 * <pre>{@code
 * IntakeAuthFilter filter = IntakeAuthFilter.builder(authenticator).anonymous(true).build();   // the APM routes
 * context.addFilter(new FilterHolder(filter), "/*", EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));
 * }</pre>
 *
 * <p>Requests that go through reach the application with a {@link RequestAuthorization} in the
 * request attribute {@link #ATTRIBUTE} and an {@link IntakePrincipal} as {@code getUserPrincipal()};
 * {@code isUserInRole("event:write")} tells whether a privilege is held. What is decided, and in
 * which order (routes and 405, CORS preflight and origins, credentials over plain HTTP, anonymous
 * access and its rate limit), is {@link AccessControl}'s; the builder's settings go to it.
 *
 * <p>When an API key has to be looked up in its backend and the request supports async processing,
 * the filter starts async processing instead of holding the container thread, and dispatches the
 * request again once the answer is in (map the filter for {@link DispatcherType#ASYNC} too). A
 * denial is written on a container thread ({@link AsyncContext#start}), never on the thread that
 * completed the lookup, so a client that stops reading cannot stall the backend's threads.
 * Otherwise it waits, bounded by the backend's deadline. Cache hits never wait. A denial of a
 * request whose body is unread closes the connection after the answer.
 *
 * <p>Behind a proxy that terminates TLS, have the container honour its forwarded scheme: credentials
 * that arrive over plain HTTP ({@code isSecure()} false) are refused unless
 * {@link Builder#allowCredentialsOverPlainHttp} says otherwise.
 */
public final class IntakeAuthFilter implements Filter {

  /**
   * The request attribute that holds the {@link RequestAuthorization}. Its value is the name it had
   * when that class was part of this package, so that applications that spelled it out keep working.
   */
  public static final String ATTRIBUTE = "dev.intakeauth.servlet.RequestAuthorization";

  /** Where an async lookup leaves the answer's headers for the dispatch that comes back. */
  private static final String HEADERS_ATTRIBUTE = IntakeAuthFilter.class.getName() + ".headers";

  /** The headers of an answer that is written on the async dispatch. */
  private record AnswerHeaders(List<Map.Entry<String, String>> headers) {}

  private static final Logger LOG = LoggerFactory.getLogger(IntakeAuthFilter.class);

  private final AccessControl access;
  private final Authenticator authenticator;
  private final boolean allowPlainHttp;
  private final boolean serverTls;
  private final boolean async;
  private final Duration asyncTimeout;

  private IntakeAuthFilter(Builder b) {
    this.access = b.access.build();
    this.authenticator = b.authenticator;
    this.allowPlainHttp = b.allowPlainHttp;
    this.serverTls = b.serverTls;
    this.async = b.async;
    this.asyncTimeout = b.asyncTimeout;
  }

  /**
   * Starts a builder: the APM routes, anonymous access off, no trusted proxy, credentials over TLS
   * only, async lookups.
   *
   * @param authenticator the authenticator
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
    if (request.getDispatcherType() != DispatcherType.REQUEST && request.getAttribute(ATTRIBUTE) instanceof RequestAuthorization decided) {
      // Our own async dispatch, or a forward or include after the decision: it stands. On a new
      // request it is never trusted: whatever put it there, this filter decides.
      if (request.getAttribute(HEADERS_ATTRIBUTE) instanceof AnswerHeaders pending) {
        // Set here, on the container's thread, not on the thread that finished the lookup.
        request.removeAttribute(HEADERS_ATTRIBUTE);
        DenialResponse.setHeaders(response, pending.headers());
      }
      chain.doFilter(wrap(request, decided), response);
      return;
    }
    if (request.getDispatcherType() != DispatcherType.REQUEST && request.getDispatcherType() != DispatcherType.ASYNC) {
      chain.doFilter(request, response);
      return;
    }
    Decision decision = access.decide(new View(request));
    if (decision instanceof Decision.Pending pending) {
      if (async && request.isAsyncSupported()) {
        awaitAsync(request, response, pending);
        return;
      }
      decision = pending.decision().join();
    }
    answer(request, response, chain, decision);
  }

  /** Writes a decision on the container's thread. */
  private static void answer(HttpServletRequest request, HttpServletResponse response, FilterChain chain, Decision decision)
      throws IOException, ServletException {
    if (decision instanceof Decision.Proceed proceed) {
      DenialResponse.setHeaders(response, proceed.headers());
      request.setAttribute(ATTRIBUTE, proceed.authorization());
      chain.doFilter(wrap(request, proceed.authorization()), response);
    } else if (decision instanceof Decision.Deny deny) {
      deny(request, response, deny);
    } else if (decision instanceof Decision.Preflight preflight) {
      DenialResponse.closeIfBody(request, response);
      response.setStatus(200);
      DenialResponse.replaceHeaders(response, preflight.headers());
      response.setContentLength(0);
    } else {
      chain.doFilter(request, response);
    }
  }

  /** Releases the container thread while the lookup runs, then dispatches or denies. */
  private void awaitAsync(HttpServletRequest request, HttpServletResponse response, Decision.Pending pending) {
    AsyncContext ac = request.startAsync();
    ac.setTimeout(asyncTimeout.toMillis());
    AtomicBoolean finished = new AtomicBoolean();
    ac.addListener(new AsyncListener() {
      @Override
      public void onTimeout(AsyncEvent event) throws IOException {
        if (finished.compareAndSet(false, true)) {
          deny(request, response, pending.timeout());
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
    pending.decision().whenComplete((decision, failure) -> {
      if (!finished.compareAndSet(false, true)) {
        return;
      }
      if (decision instanceof Decision.Proceed proceed) {
        // This is the backend's thread, while the container may still be unwinding the first
        // dispatch: the response is left alone until the async dispatch comes back through here.
        request.setAttribute(HEADERS_ATTRIBUTE, new AnswerHeaders(proceed.headers()));
        request.setAttribute(ATTRIBUTE, proceed.authorization());
        try {
          ac.dispatch();
        } catch (IllegalStateException e) {
          LOG.debug("the request ended before its answer: {}", e.getClass().getSimpleName());
        }
        return;
      }
      Decision.Deny denied = decision instanceof Decision.Deny d ? d : pending.timeout();
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
    });
  }

  /** Answers a denial, closing the connection if the body is unread. */
  private static void deny(HttpServletRequest request, HttpServletResponse response, Decision.Deny deny) throws IOException {
    DenialResponse.closeIfBody(request, response);
    DenialResponse.write(response, deny);
  }

  private static HttpServletRequest wrap(HttpServletRequest request, RequestAuthorization decision) {
    if (!(decision.result() instanceof AuthResult.Authenticated ok)) {
      return request;
    }
    Principal principal = new IntakePrincipal(ok);
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
    return "IntakeAuthFilter[" + access + "]";
  }

  /** A servlet request as {@link AccessControl} reads it. */
  private static final class View implements RequestView {
    private final HttpServletRequest request;

    View(HttpServletRequest request) {
      this.request = request;
    }

    @Override
    public String method() {
      return request.getMethod();
    }

    @Override
    public String path() {
      String path = Objects.requireNonNullElse(request.getServletPath(), "") + Objects.requireNonNullElse(request.getPathInfo(), "");
      return path.isEmpty() ? "/" : path;
    }

    @Override
    public List<String> headers(String name) {
      Enumeration<String> values = request.getHeaders(name);
      return values == null || !values.hasMoreElements() ? List.of() : Collections.list(values);
    }

    @Override
    public String remoteAddress() {
      return request.getRemoteAddr();
    }

    @Override
    public boolean secure() {
      return request.isSecure();
    }
  }

  /**
   * Configures an {@link IntakeAuthFilter}: the settings of its {@link AccessControl}, and how the
   * filter waits for lookups.
   */
  public static final class Builder {
    private final Authenticator authenticator;
    private final AccessControl.Builder access;
    private boolean allowPlainHttp;
    private boolean serverTls = true;
    private boolean async = true;
    private Duration asyncTimeout = Duration.ofSeconds(30);

    private Builder(Authenticator authenticator) {
      this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
      this.access = AccessControl.builder(authenticator);
    }

    /**
     * The routes (default {@link RouteTable#apm()}); see {@link AccessControl.Builder#routes}.
     *
     * @param routes the table, such as {@code RouteTable.apm(CorsPolicy.of(origins, headers))} for
     *     other {@link CorsPolicy} settings
     * @return this builder
     */
    public Builder routes(RouteTable routes) {
      access.routes(routes);
      return this;
    }

    /**
     * Lets requests with no credential in anonymously on the routes that allow it (default off);
     * see {@link AccessControl.Builder#anonymous}.
     *
     * @param enabled whether anonymous access is on
     * @return this builder
     */
    public Builder anonymous(boolean enabled) {
      access.anonymous(enabled);
      return this;
    }

    /**
     * What anonymous callers may do; see {@link AccessControl.Builder#anonymousPrivileges}.
     *
     * @param privileges the privileges; {@code sourcemap:write} is never granted anonymously
     * @return this builder
     */
    public Builder anonymousPrivileges(Collection<Privilege> privileges) {
      access.anonymousPrivileges(privileges);
      return this;
    }

    /**
     * The agent and service allow-lists for anonymous events (default {@link AnonymousPolicy#defaults()}).
     *
     * @param policy the policy
     * @return this builder
     */
    public Builder anonymousPolicy(AnonymousPolicy policy) {
      access.anonymousPolicy(policy);
      return this;
    }

    /**
     * The per-client rate limit of anonymous requests; see {@link AccessControl.Builder#rateLimiter}.
     *
     * @param limiter the limiter
     * @return this builder
     */
    public Builder rateLimiter(AnonymousRateLimiter limiter) {
      access.rateLimiter(limiter);
      return this;
    }

    /**
     * How the client's address is found (default: the connection's own address).
     *
     * @param resolver for example {@code ClientAddressResolver.trusting(List.of("10.0.0.0/8"))}
     * @return this builder
     */
    public Builder clientAddresses(ClientAddressResolver resolver) {
      access.clientAddresses(resolver);
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
      access.realm(realm);
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
      access.allowCredentialsOverPlainHttp(allow);
      this.allowPlainHttp = allow;
      return this;
    }

    /**
     * Where each request's outcome is reported (default none); see {@link AccessControl.Builder#listener}.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder listener(AuthListener listener) {
      access.listener(listener);
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
      this.asyncTimeout = Require.positive(timeout, "asyncTimeout");
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
