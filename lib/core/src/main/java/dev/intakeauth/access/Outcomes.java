package dev.intakeauth.access;

import dev.intakeauth.AuthMethod;
import dev.intakeauth.AuthResult;
import dev.intakeauth.Outcome;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * How a decision of {@link AccessControl} is reported to its listener: the {@link Outcome} of each
 * answer and the {@link AuthMethod} of the caller, in one place.
 */
final class Outcomes {

  /** The length of both recognised schemes, {@code Bearer} and {@code ApiKey}. */
  private static final int SCHEME_LENGTH = 6;

  private Outcomes() {}

  /**
   * The outcome of a result the authenticator, the route's privilege or the anonymous path gave. (The
   * three refusals {@link AccessControl} makes before authentication have an outcome each of their
   * own: {@link Outcome#METHOD_NOT_ALLOWED}, {@link Outcome#ORIGIN_NOT_ALLOWED}, {@link Outcome#PLAIN_HTTP}.)
   *
   * @param result the final result, as sent (or, on an {@link Access#OPTIONAL} route, as handed on)
   * @param method the caller's method, as {@link #method} tells it
   */
  static Outcome of(AuthResult result, @Nullable AuthMethod method) {
    if (result instanceof AuthResult.Authenticated) {
      return Outcome.AUTHENTICATED;
    }
    if (result instanceof AuthResult.Unauthorized unauthorized) {
      return switch (unauthorized.reason()) {
        case MISSING -> Outcome.MISSING;
        case MALFORMED_HEADER, IMPROPERLY_ENCODED, IMPROPERLY_FORMATTED -> Outcome.MALFORMED;
        case TOO_LONG -> Outcome.TOO_LONG;
        case UNKNOWN_SCHEME -> Outcome.UNKNOWN_SCHEME;
        case METHOD_DISABLED -> Outcome.METHOD_DISABLED;
        case INVALID_CREDENTIALS -> Outcome.INVALID_CREDENTIALS;
        case NO_PRIVILEGES -> Outcome.NO_PRIVILEGES;
      };
    }
    if (result instanceof AuthResult.Forbidden) {
      // After authentication a 403 is a missing privilege: an anonymous caller's, or a credential's.
      return method == AuthMethod.ANONYMOUS ? Outcome.ANONYMOUS_NOT_PERMITTED : Outcome.LACKING_PRIVILEGE;
    }
    if (result instanceof AuthResult.RateLimited) {
      return Outcome.RATE_LIMITED;
    }
    if (result instanceof AuthResult.Unavailable) {
      return Outcome.UNAVAILABLE;
    }
    return Outcome.INVALID_REQUEST;
  }

  /**
   * The caller's method: an authenticated caller's own; otherwise read from the header, cheaply and
   * without allocating: {@link AuthMethod#ANONYMOUS} when it carries no credential,
   * {@link AuthMethod#SECRET_TOKEN} or {@link AuthMethod#API_KEY} when its (single) value starts
   * with {@code Bearer} or {@code ApiKey} and a space, and null otherwise (another scheme, no space,
   * or differing values).
   *
   * @param result the result, or null before authentication
   * @param authorization every value of the request's {@code Authorization} header
   */
  static @Nullable AuthMethod method(@Nullable AuthResult result, List<String> authorization) {
    if (result instanceof AuthResult.Authenticated authenticated) {
      return authenticated.method();
    }
    int n = authorization.size();
    if (n == 0) {
      return AuthMethod.ANONYMOUS;
    }
    String value = authorization.get(0);
    for (int i = 1; i < n; i++) {
      if (!value.equals(authorization.get(i))) {
        return null;
      }
    }
    int start = 0;
    while (start < value.length() && (value.charAt(start) == ' ' || value.charAt(start) == '\t')) {
      start++;
    }
    if (start == value.length()) {
      return AuthMethod.ANONYMOUS;
    }
    if (value.length() - start <= SCHEME_LENGTH || value.charAt(start + SCHEME_LENGTH) != ' ') {
      return null;
    }
    if (isScheme(value, start, "bearer")) {
      return AuthMethod.SECRET_TOKEN;
    }
    return isScheme(value, start, "apikey") ? AuthMethod.API_KEY : null;
  }

  /**
   * Whether the value has this scheme at {@code start}, ASCII letters in any case only (as the
   * header's parser reads it: {@code Api\u212Aey}, with a Kelvin sign, is no {@code ApiKey}).
   */
  private static boolean isScheme(String value, int start, String lowerCase) {
    for (int i = 0; i < SCHEME_LENGTH; i++) {
      if ((value.charAt(start + i) | 0x20) != lowerCase.charAt(i)) {
        return false;
      }
    }
    return true;
  }
}
