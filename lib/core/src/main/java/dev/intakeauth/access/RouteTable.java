package dev.intakeauth.access;

import dev.intakeauth.Privilege;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Which privilege each path and method needs, whether anonymous callers may use it, and which
 * browser origins may call it. The path is matched first: a method that none of the path's routes
 * lists is a 405 (except a CORS preflight {@code OPTIONS} on a route with a {@link CorsPolicy}),
 * never a weaker default. Among the routes of a path, the first that lists the method wins. A
 * request to a path no route names is handled by {@link Builder#otherwise}: by default it needs a
 * valid credential (any privilege), so a path forgotten in the table is never open.
 */
public final class RouteTable {

  private final List<Route> routes;
  private final Map<String, PathRoutes> byPath;
  private final @Nullable Route otherwise;

  private RouteTable(List<Route> routes, @Nullable Route otherwise) {
    this.routes = List.copyOf(routes);
    this.otherwise = otherwise;
    Map<String, List<Route>> grouped = new LinkedHashMap<>();
    for (Route r : this.routes) {
      grouped.computeIfAbsent(r.path(), p -> new ArrayList<>()).add(r);
    }
    Map<String, PathRoutes> paths = new LinkedHashMap<>();
    grouped.forEach((path, rs) -> paths.put(path, new PathRoutes(rs)));
    this.byPath = Map.copyOf(paths);
  }

  /**
   * The routes of an APM-compatible intake server, with APM Server's default CORS policy (any
   * origin) on the browser routes.
   *
   * <table>
   *   <caption>APM routes</caption>
   *   <tr><th>Route</th><th>Privilege</th><th>Anonymous</th><th>CORS</th></tr>
   *   <tr><td>{@code POST /intake/v2/events}</td><td>{@code event:write}</td><td>no</td><td>no</td></tr>
   *   <tr><td>{@code POST /intake/v2/rum/events}, {@code /intake/v3/rum/events}</td><td>{@code event:write}</td><td>when enabled</td><td>yes</td></tr>
   *   <tr><td>{@code GET/POST /config/v1/agents}</td><td>{@code config_agent:read}</td><td>no</td><td>no</td></tr>
   *   <tr><td>{@code GET/POST /config/v1/rum/agents}</td><td>{@code config_agent:read}</td><td>when enabled</td><td>yes</td></tr>
   *   <tr><td>{@code POST /v1/traces}, {@code /v1/metrics}, {@code /v1/logs} (OTLP/HTTP)</td><td>{@code event:write}</td><td>when enabled;
   *       per resource through {@link RequestAuthorization#authorizeOtelResource}</td><td>no</td></tr>
   *   <tr><td>{@code POST /assets/v1/sourcemaps}</td><td>{@code sourcemap:write}</td><td>never</td><td>no</td></tr>
   *   <tr><td>{@code GET/HEAD /}</td><td>none</td><td>optional: the application sees who asked</td><td>no</td></tr>
   * </table>
   *
   * Other methods on these paths are 405; other paths need a valid credential. As in APM Server, the
   * OTLP routes take anonymous callers only when anonymous access is on, and carry no CORS policy.
   *
   * @return the table
   */
  public static RouteTable apm() {
    return apm(CorsPolicy.anyOrigin());
  }

  /**
   * The routes of {@link #apm()}, with this CORS policy on the browser routes.
   *
   * @param cors the policy, such as {@code CorsPolicy.of(List.of("https://*.example.com"), List.of())}
   * @return the table
   */
  public static RouteTable apm(CorsPolicy cors) {
    Objects.requireNonNull(cors, "cors");
    return builder()
        .route(Set.of("POST"), "/intake/v2/events", Privilege.EVENT_WRITE, Access.CREDENTIALS)
        .route(Set.of("POST"), "/intake/v2/rum/events", Privilege.EVENT_WRITE, Access.ANONYMOUS_WHEN_ENABLED, cors)
        .route(Set.of("POST"), "/intake/v3/rum/events", Privilege.EVENT_WRITE, Access.ANONYMOUS_WHEN_ENABLED, cors)
        .route(Set.of("GET", "POST"), "/config/v1/agents", Privilege.AGENT_CONFIG_READ, Access.CREDENTIALS)
        .route(Set.of("GET", "POST"), "/config/v1/rum/agents", Privilege.AGENT_CONFIG_READ, Access.ANONYMOUS_WHEN_ENABLED, cors)
        .route(Set.of("POST"), "/v1/traces", Privilege.EVENT_WRITE, Access.ANONYMOUS_WHEN_ENABLED)
        .route(Set.of("POST"), "/v1/metrics", Privilege.EVENT_WRITE, Access.ANONYMOUS_WHEN_ENABLED)
        .route(Set.of("POST"), "/v1/logs", Privilege.EVENT_WRITE, Access.ANONYMOUS_WHEN_ENABLED)
        .route(Set.of("POST"), "/assets/v1/sourcemaps", Privilege.SOURCEMAP_WRITE, Access.CREDENTIALS)
        .route(Set.of("GET", "HEAD"), "/", null, Access.OPTIONAL)
        .build();
  }

  /**
   * Starts an empty table.
   *
   * @return a builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * How a request is to be handled.
   *
   * @param method the request's method
   * @param path the request's path within the application
   * @return the route, a preflight, a 405, or the fallback for paths the table does not name
   */
  Match resolve(String method, String path) {
    PathRoutes forPath = byPath.get(path);
    if (forPath == null) {
      return new Match.Unlisted(otherwise);
    }
    for (Route r : forPath.routes) {
      if (r.matches(method, path)) {
        return new Match.Found(r);
      }
    }
    if ("OPTIONS".equals(method) && forPath.cors != null) {
      return new Match.Preflight(forPath.cors);
    }
    return new Match.MethodNotAllowed(forPath.allow);
  }

  /**
   * The routes, in order.
   *
   * @return the routes
   */
  List<Route> routes() {
    return routes;
  }

  @Override
  public String toString() {
    return "RouteTable" + routes;
  }

  /** The outcome of {@link #resolve}. */
  sealed interface Match {

    /**
     * A route lists the path and method.
     *
     * @param route the first such route
     */
    record Found(Route route) implements Match {}

    /**
     * A CORS preflight: {@code OPTIONS} on a path whose routes do not list it, but one of which has
     * a CORS policy. Answered before any authentication.
     *
     * @param cors the policy of the first route of the path that has one
     */
    record Preflight(CorsPolicy cors) implements Match {}

    /**
     * The path is in the table, the method is not: 405.
     *
     * @param allow the value of the {@code Allow} header, such as {@code GET, POST, OPTIONS}
     */
    record MethodNotAllowed(String allow) implements Match {}

    /**
     * No route names the path.
     *
     * @param otherwise the fallback route, or null when such requests pass untouched
     */
    record Unlisted(@Nullable Route otherwise) implements Match {}
  }

  private static final class PathRoutes {
    final List<Route> routes;
    final @Nullable CorsPolicy cors;
    final String allow;

    PathRoutes(List<Route> routes) {
      this.routes = List.copyOf(routes);
      this.cors = routes.stream().map(Route::cors).filter(Objects::nonNull).findFirst().orElse(null);
      Set<String> methods = new TreeSet<>();
      routes.forEach(r -> methods.addAll(r.methods()));
      methods.remove("OPTIONS");
      StringBuilder b = new StringBuilder(String.join(", ", methods));
      if (cors != null || routes.stream().anyMatch(r -> r.methods().contains("OPTIONS"))) {
        b.append(b.isEmpty() ? "" : ", ").append("OPTIONS");
      }
      this.allow = b.toString();
    }
  }

  /** Builds a {@link RouteTable}. */
  public static final class Builder {
    private final List<Route> routes = new ArrayList<>();
    private @Nullable Route otherwise = new Route(Set.of("*"), "/*", null, Access.CREDENTIALS);

    private Builder() {}

    /**
     * Adds a route that is not for browsers.
     *
     * @param methods HTTP methods
     * @param path the exact path
     * @param privilege the privilege needed, or null for none in particular
     * @param access who may use it
     * @return this builder
     */
    public Builder route(Set<String> methods, String path, @Nullable Privilege privilege, Access access) {
      routes.add(new Route(methods, path, privilege, access));
      return this;
    }

    /**
     * Adds a route that browsers may call from the origins the policy allows.
     *
     * @param methods HTTP methods
     * @param path the exact path
     * @param privilege the privilege needed, or null for none in particular
     * @param access who may use it
     * @param cors the CORS policy
     * @return this builder
     */
    public Builder route(Set<String> methods, String path, @Nullable Privilege privilege, Access access, CorsPolicy cors) {
      routes.add(new Route(methods, path, privilege, access, Objects.requireNonNull(cors, "cors")));
      return this;
    }

    /**
     * How requests to paths that no route names are treated.
     *
     * @param access {@link Access#CREDENTIALS} (the default) to require a valid credential,
     *     {@link Access#OPTIONAL} to check one if sent; null to pass them to the application untouched
     * @return this builder
     */
    public Builder otherwise(@Nullable Access access) {
      otherwise = access == null ? null : new Route(Set.of("*"), "/*", null, access);
      return this;
    }

    /**
     * Builds the table.
     *
     * @return the table
     */
    public RouteTable build() {
      return new RouteTable(routes, otherwise);
    }
  }
}
