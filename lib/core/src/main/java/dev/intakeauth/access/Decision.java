package dev.intakeauth.access;

import dev.intakeauth.AuthResult;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * What to do with a request, as {@link AccessControl#decide} answers it. A transport maps each kind
 * to its protocol and sets the response headers exactly as listed (a name that appears twice is sent
 * twice, such as two {@code WWW-Authenticate} challenges); it decides nothing itself.
 */
public sealed interface Decision permits Decision.Proceed, Decision.Deny, Decision.Preflight, Decision.PassThrough, Decision.Pending {

  /** The request goes on to the application. */
  final class Proceed implements Decision {
    private final RequestAuthorization authorization;
    private final List<Map.Entry<String, String>> headers;

    Proceed(RequestAuthorization authorization, List<Map.Entry<String, String>> headers) {
      this.authorization = authorization;
      this.headers = headers;
    }

    /**
     * What the application may ask about the caller.
     *
     * @return the authorization
     */
    public RequestAuthorization authorization() {
      return authorization;
    }

    /**
     * The response headers to set before the application answers.
     *
     * @return name and value, in order
     */
    public List<Map.Entry<String, String>> headers() {
      return headers;
    }
  }

  /**
   * The request is refused: answer with this status, the message as the error body, and these
   * headers. They are every header of the answer: {@code WWW-Authenticate} on 401, {@code Allow} on
   * 405, {@code Retry-After} on 429 and 503, and the CORS headers of a browser route.
   */
  final class Deny implements Decision {
    private final int status;
    private final String message;
    private final List<Map.Entry<String, String>> headers;

    Deny(int status, String message, List<Map.Entry<String, String>> headers) {
      this.status = status;
      this.message = message;
      this.headers = List.copyOf(headers);
    }

    /**
     * The answer to a denial that the application reaches itself, such as the 403 of
     * {@link RequestAuthorization#authorizeEvent} or the 429 of {@link RequestAuthorization#acquireEvents}.
     *
     * @param denied the denial
     * @return its status, message and headers ({@code Retry-After} where it has one; no challenge)
     */
    public static Deny of(AuthResult.Denied denied) {
      return new Deny(denied.status(), denied.message(), ResponseHeaders.denial(ResponseHeaders.BASE, denied, List.of()));
    }

    /**
     * The status.
     *
     * @return 400, 401, 403, 405, 429 or 503
     */
    public int status() {
      return status;
    }

    /**
     * The message for the client.
     *
     * @return the message, never a secret
     */
    public String message() {
      return message;
    }

    /**
     * The response headers.
     *
     * @return name and value, in order
     */
    public List<Map.Entry<String, String>> headers() {
      return headers;
    }

    @Override
    public String toString() {
      return "Deny[" + status + " " + message + "]";
    }
  }

  /** A CORS preflight, answered before any authentication: status 200, an empty body, these headers. */
  final class Preflight implements Decision {
    private final List<Map.Entry<String, String>> headers;

    Preflight(List<Map.Entry<String, String>> headers) {
      this.headers = List.copyOf(headers);
    }

    /**
     * The response headers.
     *
     * @return name and value, in order
     */
    public List<Map.Entry<String, String>> headers() {
      return headers;
    }
  }

  /** A path the route table leaves alone: hand the request on untouched, with no header set. */
  final class PassThrough implements Decision {
    static final PassThrough INSTANCE = new PassThrough();

    private PassThrough() {}
  }

  /**
   * The answer waits for an API key's lookup in its backend. The future completes with one of the
   * other kinds (never another {@code Pending}) on the backend's thread, and never exceptionally; a
   * transport writes a denial on a thread of its own.
   */
  final class Pending implements Decision {
    private final CompletableFuture<Decision> decision;
    private final Deny timeout;

    Pending(CompletableFuture<Decision> decision, Deny timeout) {
      this.decision = decision;
      this.timeout = timeout;
    }

    /**
     * The decision to come.
     *
     * @return a future that never completes with a {@code Pending}
     */
    public CompletableFuture<Decision> decision() {
      return decision;
    }

    /**
     * The answer for a transport that stops waiting first, or whose future failed.
     *
     * @return a 503 with {@code Retry-After}
     */
    public Deny timeout() {
      return timeout;
    }
  }
}
