package dev.intakeauth.access;

import dev.intakeauth.AuthResult;
import dev.intakeauth.internal.Retry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The response headers of every answer, named and valued in this one place. */
final class ResponseHeaders {

  /** Every answer of a route carries it, whatever its status. */
  static final Map.Entry<String, String> NOSNIFF = Map.entry("X-Content-Type-Options", "nosniff");
  /** Origin is part of every answer on a browser route, so that caches keep answers per origin. */
  static final Map.Entry<String, String> VARY_ORIGIN = Map.entry("Vary", "Origin");
  /** Read by browser agents, which cache their configuration by it. */
  static final Map.Entry<String, String> EXPOSE_ETAG = Map.entry("Access-Control-Expose-Headers", "Etag");
  static final Map.Entry<String, String> NO_STORE = Map.entry("Cache-Control", "no-store");

  static final List<Map.Entry<String, String>> BASE = List.of(NOSNIFF);
  static final List<Map.Entry<String, String>> BROWSER_BASE = List.of(NOSNIFF, VARY_ORIGIN);

  private ResponseHeaders() {}

  /** The headers of an answer to an allowed cross-origin request. */
  static List<Map.Entry<String, String>> allowedOrigin(String origin) {
    return List.of(NOSNIFF, VARY_ORIGIN, Map.entry("Access-Control-Allow-Origin", origin), EXPOSE_ETAG);
  }

  /** The headers of a preflight answer. */
  static List<Map.Entry<String, String>> preflight(CorsPolicy cors, @Nullable String allowedOrigin) {
    List<Map.Entry<String, String>> h = new ArrayList<>(7);
    h.add(NOSNIFF);
    if (allowedOrigin != null) {
      h.add(Map.entry("Access-Control-Allow-Origin", allowedOrigin));
    }
    h.add(Map.entry("Access-Control-Max-Age", "3600"));
    h.add(VARY_ORIGIN);
    h.add(Map.entry("Access-Control-Allow-Methods", "POST, OPTIONS"));
    h.add(Map.entry("Access-Control-Allow-Headers", cors.allowHeaders()));
    h.add(EXPOSE_ETAG);
    return h;
  }

  /** The headers of an answer to a denial: those of its route, then {@code Cache-Control: no-store}, the challenges on a 401, {@code Retry-After} where it has one. */
  static List<Map.Entry<String, String>> denial(List<Map.Entry<String, String>> route, AuthResult.Denied denied, List<String> challenges) {
    return denial(route, retryAfter(denied), denied.status() == 401 ? challenges : List.of());
  }

  /** The headers of a refusal: those of its route, {@code Cache-Control: no-store}, the challenges, and {@code Retry-After} when given. */
  static List<Map.Entry<String, String>> denial(List<Map.Entry<String, String>> route, @Nullable Duration retryAfter, List<String> challenges) {
    List<Map.Entry<String, String>> h = new ArrayList<>(route.size() + 2 + challenges.size());
    h.addAll(route);
    h.add(NO_STORE);
    for (String c : challenges) {
      h.add(Map.entry("WWW-Authenticate", c));
    }
    if (retryAfter != null) {
      h.add(Map.entry("Retry-After", Long.toString(Retry.wholeSeconds(retryAfter))));
    }
    return h;
  }

  private static @Nullable Duration retryAfter(AuthResult.Denied denied) {
    if (denied instanceof AuthResult.RateLimited r) {
      return r.retryAfter();
    }
    if (denied instanceof AuthResult.Unavailable u) {
      return u.retryAfter();
    }
    return null;
  }
}
