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
 * privilege. Made by {@link RouteTable.Builder}; read through {@link RequestAuthorization#route()}.
 */
public final class Route {

  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Z-]+");

  private final Set<String> methods;
  private final String path;
  private final @Nullable Privilege privilege;
  private final Access access;
  private final @Nullable CorsPolicy cors;

  /** Normalizes the methods to upper case and checks the path. */
  Route(Set<String> methods, String path, @Nullable Privilege privilege, Access access, @Nullable CorsPolicy cors) {
    this.access = Objects.requireNonNull(access, "access");
    if (methods.isEmpty()) {
      throw new IllegalArgumentException("a route needs at least one method");
    }
    this.methods = methods.stream().map(m -> m.strip().toUpperCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    if (this.methods.stream().anyMatch(m -> !m.equals("*") && !TOKEN.matcher(m).matches())) {
      throw new IllegalArgumentException("a route's methods are HTTP method names");
    }
    if (path == null || !path.startsWith("/")) {
      throw new IllegalArgumentException("a route's path starts with /");
    }
    this.path = path;
    this.privilege = privilege;
    this.cors = cors;
  }

  /** A route that is not for browsers. */
  Route(Set<String> methods, String path, @Nullable Privilege privilege, Access access) {
    this(methods, path, privilege, access, null);
  }

  /**
   * The HTTP methods.
   *
   * @return upper case; {@code *} for any
   */
  public Set<String> methods() {
    return methods;
  }

  /**
   * The exact path, without the context path.
   *
   * @return such as {@code /intake/v2/events}; {@code /*} for the fallback of unlisted paths
   */
  public String path() {
    return path;
  }

  /**
   * The privilege the request needs.
   *
   * @return the privilege, or null when any caller with access will do
   */
  public @Nullable Privilege privilege() {
    return privilege;
  }

  /**
   * Who may use the route.
   *
   * @return the access
   */
  public Access access() {
    return access;
  }

  /**
   * The browser origins that may call the route.
   *
   * @return the policy, or null when it is not for browsers (then {@code Origin} is ignored and
   *     {@code OPTIONS} is a method like any other)
   */
  public @Nullable CorsPolicy cors() {
    return cors;
  }

  /** Whether this route serves a request. */
  boolean matches(String method, String requestPath) {
    return path.equals(requestPath) && (methods.contains(method) || methods.contains("*"));
  }

  @Override
  public String toString() {
    return "Route[" + methods + " " + path + ", " + privilege + ", " + access + (cors != null ? ", " + cors : "") + "]";
  }
}
