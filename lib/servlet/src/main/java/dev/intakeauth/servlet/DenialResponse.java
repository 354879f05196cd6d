package dev.intakeauth.servlet;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.intakeauth.AuthResult;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Writes a denial the way the specification says: the status, the JSON body
 * {@code {"error": "..."}}, {@code Retry-After} on 429 and 503, {@code WWW-Authenticate} challenges
 * on 401, and {@code X-Content-Type-Options: nosniff}. The filter uses it; an application uses it for
 * the 403 and 429 of {@link RequestAuthorization#authorizeEvent} and
 * {@link RequestAuthorization#acquireEvents}.
 */
public final class DenialResponse {

  private DenialResponse() {}

  /**
   * Sends a denial that carries no challenge (403, 429, 503, 400).
   *
   * @param response the response, not yet committed
   * @param denied the denial
   * @throws IOException if the body cannot be written
   */
  public static void send(HttpServletResponse response, AuthResult.Denied denied) throws IOException {
    send(response, denied, List.of());
  }

  /**
   * Sends a denial for a request whose body may be unread: the connection is then closed after the
   * answer ({@code Connection: close}) instead of reading an unauthorized body or leaving its rest
   * on a connection the client would reuse.
   *
   * @param request the request
   * @param response the response, not yet committed
   * @param denied the denial
   * @throws IOException if the body cannot be written
   */
  public static void send(HttpServletRequest request, HttpServletResponse response, AuthResult.Denied denied) throws IOException {
    closeIfBody(request, response);
    send(response, denied, List.of());
  }

  static void closeIfBody(HttpServletRequest request, HttpServletResponse response) {
    if (request.getContentLengthLong() > 0 || request.getHeader("Transfer-Encoding") != null) {
      response.setHeader("Connection", "close");
    }
  }

  /**
   * Sends a denial, with these {@code WWW-Authenticate} challenges when it is a 401.
   *
   * @param response the response, not yet committed
   * @param denied the denial
   * @param challenges such as {@code Bearer realm="intake"}
   * @throws IOException if the body cannot be written
   */
  public static void send(HttpServletResponse response, AuthResult.Denied denied, List<String> challenges) throws IOException {
    write(response, denied.status(), denied.message(), retryAfter(denied), denied.status() == 401 ? challenges : List.of());
  }

  /** Writes a status with the JSON error body and the headers every answer of the filter carries. */
  static void write(HttpServletResponse response, int status, String message, @Nullable Duration retryAfter, List<String> challenges)
      throws IOException {
    if (response.isCommitted()) {
      return;
    }
    response.resetBuffer();
    response.setStatus(status);
    response.setHeader("X-Content-Type-Options", "nosniff");
    response.setHeader("Cache-Control", "no-store");
    for (String c : challenges) {
      response.addHeader("WWW-Authenticate", c);
    }
    if (retryAfter != null) {
      long seconds = Math.max(1, (retryAfter.toMillis() + 999) / 1000);
      response.setHeader("Retry-After", Long.toString(seconds));
    }
    byte[] body = body(message).getBytes(StandardCharsets.UTF_8);
    response.setContentType("application/json");
    response.setCharacterEncoding("UTF-8");
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
    response.flushBuffer();
  }

  /**
   * The JSON body for a message.
   *
   * @param message the message
   * @return {@code {"error":"<message>"}}, escaped
   */
  public static String body(String message) {
    return "{\"error\":\"" + new String(JsonStringEncoder.getInstance().quoteAsString(message)) + "\"}";
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
