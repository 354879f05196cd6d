package dev.intakeauth.access;

import dev.intakeauth.AuthResult;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * What to do with a request, as {@link AccessControl#decide} answers it. A transport maps each kind
 * to its protocol and sets the response headers exactly as listed (a name that appears twice is sent
 * twice, such as two {@code WWW-Authenticate} challenges); it decides nothing itself.
 */
public sealed interface Decision {

  /**
   * The request goes on to the application.
   *
   * @param authorization what the application may ask about the caller
   * @param headers the response headers to set before the application answers
   */
  record Proceed(RequestAuthorization authorization, List<Map.Entry<String, String>> headers) implements Decision {

    /**
     * Checks for null and copies the headers.
     *
     * @param authorization what the application may ask
     * @param headers the response headers
     */
    public Proceed {
      Objects.requireNonNull(authorization, "authorization");
      headers = List.copyOf(headers);
    }
  }

  /**
   * The request is refused: answer with this status, the message as the error body, and these
   * headers. It carries every header of the answer: {@code WWW-Authenticate} on 401, {@code Allow}
   * on 405, {@code Retry-After} on 429 and 503, and the CORS headers of a browser route.
   *
   * @param status 400, 401, 403, 405, 429 or 503
   * @param message the message for the client, never a secret
   * @param headers the response headers
   */
  record Deny(int status, String message, List<Map.Entry<String, String>> headers) implements Decision {

    /**
     * Checks for null and copies the headers.
     *
     * @param status the status
     * @param message the message
     * @param headers the response headers
     */
    public Deny {
      Objects.requireNonNull(message, "message");
      headers = List.copyOf(headers);
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
  }

  /**
   * A CORS preflight, answered before any authentication: status 200, an empty body, these headers.
   *
   * @param headers the response headers
   */
  record Preflight(List<Map.Entry<String, String>> headers) implements Decision {

    /**
     * Copies the headers.
     *
     * @param headers the response headers
     */
    public Preflight {
      headers = List.copyOf(headers);
    }
  }

  /** A path the route table leaves alone: hand the request on untouched, with no header set. */
  record PassThrough() implements Decision {}

  /**
   * The answer waits for an API key's lookup in its backend. The future completes with one of the
   * other kinds (never another {@code Pending}) on the backend's thread, and never exceptionally; a
   * transport writes a denial on a thread of its own.
   *
   * @param decision the decision to come
   * @param timeout the answer for a transport that stops waiting first (a 503)
   */
  record Pending(CompletableFuture<Decision> decision, Deny timeout) implements Decision {

    /**
     * Checks for null.
     *
     * @param decision the decision to come
     * @param timeout the answer on timeout
     */
    public Pending {
      Objects.requireNonNull(decision, "decision");
      Objects.requireNonNull(timeout, "timeout");
    }
  }
}
