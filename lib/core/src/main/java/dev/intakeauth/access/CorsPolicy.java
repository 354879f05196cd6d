package dev.intakeauth.access;

import dev.intakeauth.internal.LogSafe;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Which browser origins may call a route, as APM Server's {@code rum.allow_origins} and
 * {@code rum.allow_headers}. Attached to routes in a {@link RouteTable}; {@link AccessControl} then
 * answers preflight {@code OPTIONS} requests itself, before any authentication, and refuses requests
 * from origins the policy does not allow with a 403.
 *
 * <p>Origin patterns are globs matched against the whole {@code Origin} header, case-insensitively:
 * {@code *} stands for any run of characters, {@code ?} for one; every other character is literal.
 * Only a well-formed serialized origin ({@code scheme://host[:port]}, as browsers send) can match a
 * glob, so a value with a path, query, user info, white space or control characters never does,
 * whatever the pattern. The opaque origin {@code null} (sandboxed frames, {@code file:} pages) is
 * allowed only by the pattern {@code null} or by the lone pattern {@code *}.
 *
 * <p>The allowed origin is echoed, never {@code *}, with {@code Vary: Origin};
 * {@code Access-Control-Allow-Credentials} is never sent, so browsers send no cookies.
 */
public final class CorsPolicy {

  /** The headers a browser agent may always send. */
  private static final List<String> DEFAULT_HEADERS = List.of("Content-Type", "Content-Encoding", "Accept");

  /** A serialized origin: scheme, host name or bracketed IPv6 literal, optional port. */
  private static final Pattern ORIGIN = Pattern.compile(
      "[a-z][a-z0-9+.-]*://(?:[a-z0-9_-]+(?:\\.[a-z0-9_-]+)*\\.?|\\[[0-9a-f:.]+\\])(?::[0-9]{1,5})?");
  /** An HTTP token (RFC 9110), for header names. */
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  private static final CorsPolicy ANY_ORIGIN = new CorsPolicy(List.of("*"), List.of());

  private final List<String> origins;
  /** The patterns other than {@code *} and {@code null}, lower case. */
  private final List<String> globs;
  private final boolean anyOrigin;
  private final boolean nullOrigin;
  private final String allowHeaders;

  private CorsPolicy(List<String> origins, List<String> extraHeaders) {
    List<String> o = new ArrayList<>();
    List<String> g = new ArrayList<>();
    boolean any = false;
    boolean opaque = false;
    for (String raw : origins) {
      Objects.requireNonNull(raw, "origin pattern");
      String p = asciiLowerCase(raw.strip());
      if (p == null || p.isEmpty()) {
        throw new IllegalArgumentException(
            "an origin pattern is non-empty printable ASCII, without white space (write international host names in punycode, xn--)");
      }
      o.add(p);
      if (p.equals("*")) {
        any = true;
      } else if (p.equals("null")) {
        opaque = true;
      } else {
        g.add(p);
      }
    }
    Set<String> headers = new LinkedHashSet<>(DEFAULT_HEADERS);
    for (String h : extraHeaders) {
      Objects.requireNonNull(h, "header");
      String name = h.strip();
      if (!TOKEN.matcher(name).matches()) {
        throw new IllegalArgumentException("an allowed header must be a header name (letters, digits and -), not '" + LogSafe.text(name) + "'");
      }
      if (headers.stream().noneMatch(name::equalsIgnoreCase)) {
        headers.add(name);
      }
    }
    this.origins = List.copyOf(o);
    this.globs = List.copyOf(g);
    this.anyOrigin = any;
    this.nullOrigin = opaque || any;
    this.allowHeaders = String.join(", ", headers);
  }

  /**
   * APM Server's default: every origin ({@code ['*']}), the default headers.
   *
   * @return the policy
   */
  public static CorsPolicy anyOrigin() {
    return ANY_ORIGIN;
  }

  /**
   * A policy for these origins and extra headers.
   *
   * @param origins glob patterns such as {@code https://*.example.com}, {@code *} for any origin;
   *     empty allows no cross-origin request
   * @param extraHeaders headers allowed besides {@code Content-Type}, {@code Content-Encoding} and
   *     {@code Accept}, such as {@code X-Tenant}
   * @return the policy
   * @throws IllegalArgumentException if a pattern is not printable ASCII or a header is not a header name
   */
  public static CorsPolicy of(List<String> origins, List<String> extraHeaders) {
    return new CorsPolicy(origins, extraHeaders);
  }

  /**
   * Whether a request's {@code Origin} is allowed.
   *
   * @param origin the header's value
   * @return true when a pattern allows it; never for a malformed value
   */
  boolean allows(@Nullable String origin) {
    if (origin == null || origin.length() > 2048) {
      return false;
    }
    String o = asciiLowerCase(origin);
    if (o == null) {
      return false;
    }
    if (o.equals("null")) {
      return nullOrigin;
    }
    if (!ORIGIN.matcher(o).matches()) {
      return false;
    }
    if (anyOrigin) {
      return true;
    }
    for (String g : globs) {
      if (globMatches(g, o)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The value of {@code Access-Control-Allow-Headers} in a preflight answer.
   *
   * @return {@code Content-Type, Content-Encoding, Accept} and the extra headers
   */
  String allowHeaders() {
    return allowHeaders;
  }

  /** Lower case for printable ASCII only: {@code toLowerCase} would fold the Kelvin sign into {@code k}. */
  private static @Nullable String asciiLowerCase(String s) {
    char[] out = new char[s.length()];
    for (int i = 0; i < out.length; i++) {
      char c = s.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return null;
      }
      out[i] = c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
    }
    return new String(out);
  }

  /**
   * Whether a glob matches all of a text. Not a regular expression: a backtracking matcher takes time
   * that grows with the length of the text to the power of the number of stars, and the text is an
   * unauthenticated {@code Origin} answered before any rate limit. This one keeps only the last star
   * to fall back to, so it takes at most {@code text.length() * glob.length()} steps.
   */
  static boolean globMatches(String glob, String text) {
    int g = 0;
    int t = 0;
    int star = -1;
    int resume = 0;
    while (t < text.length()) {
      if (g < glob.length() && glob.charAt(g) == '*') {
        star = g++;
        resume = t;
      } else if (g < glob.length() && (glob.charAt(g) == '?' || glob.charAt(g) == text.charAt(t))) {
        g++;
        t++;
      } else if (star >= 0) {
        // The last star takes one more character; earlier stars never need to take back any.
        g = star + 1;
        t = ++resume;
      } else {
        return false;
      }
    }
    while (g < glob.length() && glob.charAt(g) == '*') {
      g++;
    }
    return g == glob.length();
  }


  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof CorsPolicy p && p.origins.equals(origins) && p.allowHeaders.equals(allowHeaders);
  }

  @Override
  public int hashCode() {
    return Objects.hash(origins, allowHeaders);
  }

  @Override
  public String toString() {
    return "CorsPolicy[origins=" + origins + ", headers=" + allowHeaders + "]";
  }
}
