package dev.intakeauth.servlet;

import dev.intakeauth.Privilege;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * One row of a {@link RouteTable}: requests with one of these methods to this exact path need this
 * privilege.
 *
 * @param methods HTTP methods, upper case
 * @param path the exact path, without the context path, such as {@code /intake/v2/events}
 * @param privilege the privilege the request needs, or null when any caller with access will do
 * @param access who may use the route
 */
public record Route(Set<String> methods, String path, @Nullable Privilege privilege, Access access) {

  /**
   * Normalizes the methods to upper case and checks the path.
   *
   * @param methods HTTP methods
   * @param path the exact path, starting with {@code /}
   * @param privilege the privilege, or null
   * @param access who may use the route
   */
  public Route {
    Objects.requireNonNull(access, "access");
    if (methods.isEmpty()) {
      throw new IllegalArgumentException("a route needs at least one method");
    }
    methods = methods.stream().map(m -> m.strip().toUpperCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    if (path == null || !path.startsWith("/")) {
      throw new IllegalArgumentException("a route's path starts with /");
    }
  }

  /**
   * Whether this route serves a request.
   *
   * @param method the request's method
   * @param requestPath the request's path within the application
   * @return true on a match
   */
  public boolean matches(String method, String requestPath) {
    return path.equals(requestPath) && methods.contains(method);
  }
}
