package dev.intakeauth;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The one answer to "who is this, and may they do X?": either {@link Authenticated} or a
 * {@link Denied} with its HTTP status and the message for the client.
 *
 * <p>Adapters (a servlet filter, a gRPC interceptor, an intake server's own code) map these to their
 * protocol in one place:
 *
 * <pre>{@code
 * AuthResult result = authenticator.authenticate(headers).authorize(Privilege.EVENT_WRITE);
 * if (result instanceof AuthResult.Authenticated ok) {
 *   proceed(ok);
 * } else if (result instanceof AuthResult.Denied denied) {
 *   respond(denied.status(), denied.message());
 * }
 * }</pre>
 *
 * No result ever carries a secret.
 */
public sealed interface AuthResult permits AuthResult.Authenticated, AuthResult.Denied {

  /**
   * The HTTP status this result maps to: 200 for {@link Authenticated}.
   *
   * @return the status code
   */
  int status();

  /**
   * Maps this result and the privilege a request needs to the final decision: an
   * {@link Authenticated} that holds the privilege stays as it is, one that lacks it becomes a
   * {@link Forbidden} with the specification's message, and a {@link Denied} stays denied.
   *
   * @param needed the privilege the request needs
   * @return the final decision
   */
  default AuthResult authorize(Privilege needed) {
    if (this instanceof Authenticated ok && !ok.has(needed)) {
      return Forbidden.lacking(ok.method(), needed);
    }
    return this;
  }

  /**
   * A caller that was let in.
   *
   * @param method how
   * @param privileges what it may do
   * @param keyId the API key id, for {@link AuthMethod#API_KEY}
   * @param username the owner the backend reported, where known
   */
  record Authenticated(
      AuthMethod method, Set<Privilege> privileges, @Nullable String keyId, @Nullable String username)
      implements AuthResult {

    /**
     * Copies the privileges.
     *
     * @param method how
     * @param privileges what it may do
     * @param keyId the API key id, or null
     * @param username the owner, or null
     */
    public Authenticated {
      Objects.requireNonNull(method, "method");
      privileges = Set.copyOf(privileges);
    }

    /**
     * Whether the caller holds this privilege.
     *
     * @param privilege the privilege
     * @return true if held
     */
    public boolean has(Privilege privilege) {
      return privileges.contains(privilege);
    }

    @Override
    public int status() {
      return 200;
    }
  }

  /** A request that does not go through: the status and message to answer with. */
  sealed interface Denied extends AuthResult
      permits Unauthorized, Forbidden, RateLimited, Unavailable, InvalidRequest {

    /**
     * The message for the client, without any secret. Send it as {@code {"error": message}}.
     *
     * @return the message
     */
    String message();
  }

  /**
   * 401: no usable credential.
   *
   * @param reason why, for logs and metrics
   * @param message the message for the client
   */
  record Unauthorized(Reason reason, String message) implements Denied {

    /** The generic message for a credential that is well-formed but not valid. */
    public static final String AUTHENTICATION_FAILED = "authentication failed";

    /** Why a request was not authenticated. */
    public enum Reason {
      /** No header, and anonymous access is not enabled. */
      MISSING,
      /** A header that is not {@code <scheme> <token>}. */
      MALFORMED_HEADER,
      /** A scheme other than {@code Bearer} or {@code ApiKey}. */
      UNKNOWN_SCHEME,
      /** An {@code ApiKey} token that is not canonical base64. */
      IMPROPERLY_ENCODED,
      /** An {@code ApiKey} token that is not {@code id:secret}. */
      IMPROPERLY_FORMATTED,
      /** A header value over the maximum length. */
      TOO_LONG,
      /** A scheme this server does not accept (no secret token set, or API keys disabled). */
      METHOD_DISABLED,
      /** A wrong secret token, or an API key that is unknown, invalidated or expired. */
      INVALID_CREDENTIALS,
      /** An API key that holds none of the application's privileges. */
      NO_PRIVILEGES
    }

    @Override
    public int status() {
      return 401;
    }
  }

  /**
   * 403: authenticated, but not allowed to do this.
   *
   * @param message the message for the client
   */
  record Forbidden(String message) implements Denied {

    /** The message for anonymous source-map uploads. */
    public static final String ANONYMOUS_SOURCEMAP =
        "unauthorized: anonymous access not permitted for sourcemap uploads";

    static Forbidden lacking(AuthMethod method, Privilege needed) {
      if (method == AuthMethod.ANONYMOUS) {
        return new Forbidden(
            needed.equals(Privilege.SOURCEMAP_WRITE)
                ? ANONYMOUS_SOURCEMAP
                : "unauthorized: anonymous access not permitted for action \"" + needed.name() + "\"");
      }
      return new Forbidden("unauthorized: API Key not permitted action \"" + needed.name() + "\"");
    }

    @Override
    public int status() {
      return 403;
    }
  }

  /**
   * 429: too many requests from this client.
   *
   * @param retryAfter when the client may try again
   */
  record RateLimited(Duration retryAfter) implements Denied {

    private static final String MESSAGE = "too many requests: rate limit exceeded";

    /**
     * Checks for null.
     *
     * @param retryAfter when to try again
     */
    public RateLimited {
      Objects.requireNonNull(retryAfter, "retryAfter");
    }

    @Override
    public String message() {
      return MESSAGE;
    }

    @Override
    public int status() {
      return 429;
    }
  }

  /**
   * 503: the answer cannot be known now (the backend is down or slow, or the budget of new keys is
   * spent).
   *
   * @param retryAfter when the client may try again
   * @param detail what went wrong, for logs only; never secret, never sent to the client
   */
  record Unavailable(Duration retryAfter, String detail) implements Denied {

    private static final String MESSAGE = "service unavailable";

    /**
     * Checks for null.
     *
     * @param retryAfter when to try again
     * @param detail what went wrong, for logs
     */
    public Unavailable {
      Objects.requireNonNull(retryAfter, "retryAfter");
      Objects.requireNonNull(detail, "detail");
    }

    @Override
    public String message() {
      return MESSAGE;
    }

    @Override
    public int status() {
      return 503;
    }
  }

  /**
   * 400: the request itself is not acceptable, for example differing duplicate headers.
   *
   * @param message the message for the client
   */
  record InvalidRequest(String message) implements Denied {
    @Override
    public int status() {
      return 400;
    }
  }
}
