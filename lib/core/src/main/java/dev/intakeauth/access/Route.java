package dev.intakeauth.access;

import dev.intakeauth.Privilege;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
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
 * @param cors the browser origins that may call it, or null when it is not for browsers (then
 *     {@code Origin} is ignored and {@code OPTIONS} is a method like any other)
 */
public record Route(Set<String> methods, String path, @Nullable Privilege privilege, Access access, @Nullable CorsPolicy cors) {

  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Z-]+");

  /**
   * Normalizes the methods to upper case and checks the path.
   *
   * @param methods HTTP methods
   * @param path the exact path, starting with {@code /}
   * @param privilege the privilege, or null
   * @param access who may use the route
   * @param cors the CORS policy, or null
   */
  public Route {
    Objects.requireNonNull(access, "access");
    if (methods.isEmpty()) {
      throw new IllegalArgumentException("a route needs at least one method");
    }
    methods = methods.stream().map(m -> m.strip().toUpperCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    if (methods.stream().anyMatch(m -> !m.equals("*") && !TOKEN.matcher(m).matches())) {
      throw new IllegalArgumentException("a route's methods are HTTP method names");
    }
    if (path == null || !path.startsWith("/")) {
      throw new IllegalArgumentException("a route's path starts with /");
    }
  }

  /**
   * A route that is not for browsers.
   *
   * @param methods HTTP methods
   * @param path the exact path, starting with {@code /}
   * @param privilege the privilege, or null
   * @param access who may use the route
   */
  public Route(Set<String> methods, String path, @Nullable Privilege privilege, Access access) {
    this(methods, path, privilege, access, null);
  }

  /**
   * Whether this route serves a request.
   *
   * @param method the request's method
   * @param requestPath the request's path within the application
   * @return true on a match
   */
  boolean matches(String method, String requestPath) {
    return path.equals(requestPath) && (methods.contains(method) || methods.contains("*"));
  }
}
