package dev.intakeauth.servlet;

import dev.intakeauth.Privilege;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Which privilege each path and method needs, and whether anonymous callers may use it. The first
 * matching route wins. A request no route matches is handled by {@link Builder#otherwise}: by
 * default it needs a valid credential (any privilege), so a path forgotten in the table is never
 * open.
 */
public final class RouteTable {

  private final List<Route> routes;
  private final @Nullable Route otherwise;

  private RouteTable(List<Route> routes, @Nullable Route otherwise) {
    this.routes = List.copyOf(routes);
    this.otherwise = otherwise;
  }

  /**
   * The routes of an APM-compatible intake server.
   *
   * <table>
   *   <caption>APM routes</caption>
   *   <tr><th>Route</th><th>Privilege</th><th>Anonymous</th></tr>
   *   <tr><td>{@code POST /intake/v2/events}</td><td>{@code event:write}</td><td>no</td></tr>
   *   <tr><td>{@code POST /intake/v2/rum/events}, {@code /intake/v3/rum/events}</td><td>{@code event:write}</td><td>when enabled</td></tr>
   *   <tr><td>{@code GET/POST /config/v1/agents}</td><td>{@code config_agent:read}</td><td>no</td></tr>
   *   <tr><td>{@code GET /config/v1/rum/agents}</td><td>{@code config_agent:read}</td><td>when enabled</td></tr>
   *   <tr><td>{@code POST /assets/v1/sourcemaps}</td><td>{@code sourcemap:write}</td><td>never</td></tr>
   *   <tr><td>{@code GET/HEAD /}</td><td>none</td><td>optional: the application sees who asked</td></tr>
   * </table>
   *
   * Other requests need a valid credential.
   *
   * @return the table
   */
  public static RouteTable apm() {
    return builder()
        .route(Set.of("POST"), "/intake/v2/events", Privilege.EVENT_WRITE, Access.CREDENTIALS)
        .route(Set.of("POST"), "/intake/v2/rum/events", Privilege.EVENT_WRITE, Access.ANONYMOUS_WHEN_ENABLED)
        .route(Set.of("POST"), "/intake/v3/rum/events", Privilege.EVENT_WRITE, Access.ANONYMOUS_WHEN_ENABLED)
        .route(Set.of("GET", "POST"), "/config/v1/agents", Privilege.AGENT_CONFIG_READ, Access.CREDENTIALS)
        .route(Set.of("GET"), "/config/v1/rum/agents", Privilege.AGENT_CONFIG_READ, Access.ANONYMOUS_WHEN_ENABLED)
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
   * The route for a request.
   *
   * @param method the request's method
   * @param path the request's path within the application
   * @return the first matching route, else the fallback; null when unmatched requests pass untouched
   */
  public @Nullable Route match(String method, String path) {
    for (Route r : routes) {
      if (r.matches(method, path)) {
        return r;
      }
    }
    return otherwise;
  }

  /**
   * The routes, in order.
   *
   * @return the routes
   */
  public List<Route> routes() {
    return routes;
  }

  @Override
  public String toString() {
    return "RouteTable" + routes;
  }

  /** Builds a {@link RouteTable}. */
  public static final class Builder {
    private final List<Route> routes = new ArrayList<>();
    private @Nullable Route otherwise = new Route(Set.of("*"), "/*", null, Access.CREDENTIALS);

    private Builder() {}

    /**
     * Adds a route.
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
     * How requests that match no route are treated.
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
