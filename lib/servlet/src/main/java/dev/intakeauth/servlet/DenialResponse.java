package dev.intakeauth.servlet;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.intakeauth.AuthResult;
import dev.intakeauth.access.Decision;
import dev.intakeauth.access.RequestAuthorization;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Writes a denial the way the specification says: the status, the JSON body {@code {"error": "..."}}
 * and the headers {@link Decision.Deny} lists. The filter uses it; an application uses it for the 403
 * and 429 of {@link RequestAuthorization#authorizeEvent} and {@link RequestAuthorization#acquireEvents}.
 */
public final class DenialResponse {

  /** Headers whose earlier values, set before the filter, are kept (lower case). */
  private static final Set<String> ADDED = Set.of("vary", "www-authenticate");

  private DenialResponse() {}

  /**
   * Sends a denial that carries no challenge (403, 429, 503, 400).
   *
   * @param response the response, not yet committed
   * @param denied the denial
   * @throws IOException if the body cannot be written
   */
  public static void send(HttpServletResponse response, AuthResult.Denied denied) throws IOException {
    write(response, Decision.Deny.of(denied));
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
    send(response, denied);
  }

  static void closeIfBody(HttpServletRequest request, HttpServletResponse response) {
    if (request.getContentLengthLong() > 0 || request.getHeader("Transfer-Encoding") != null) {
      response.setHeader("Connection", "close");
    }
  }

  /** Sets a preflight's headers, each replacing any earlier value, as preflights always have. */
  static void replaceHeaders(HttpServletResponse response, List<Map.Entry<String, String>> headers) {
    headers.forEach(h -> response.setHeader(h.getKey(), h.getValue()));
  }

  /** Writes a refusal: its status, its headers and the JSON error body. */
  static void write(HttpServletResponse response, Decision.Deny deny) throws IOException {
    if (response.isCommitted()) {
      return;
    }
    response.resetBuffer();
    response.setStatus(deny.status());
    setHeaders(response, deny.headers());
    byte[] body = body(deny.message()).getBytes(StandardCharsets.UTF_8);
    response.setContentType("application/json");
    response.setCharacterEncoding("UTF-8");
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
    response.flushBuffer();
  }

  /**
   * Sets headers as listed: the first value of a name replaces any earlier one, the next are added.
   * {@code Vary} and {@code WWW-Authenticate} are always added to: a filter in front may have listed
   * its own (a compression filter's {@code Vary: Accept-Encoding}), and a cache or client needs both.
   */
  static void setHeaders(HttpServletResponse response, List<Map.Entry<String, String>> headers) {
    for (int i = 0; i < headers.size(); i++) {
      Map.Entry<String, String> h = headers.get(i);
      if (repeated(headers, i) || ADDED.contains(h.getKey().toLowerCase(Locale.ROOT))) {
        response.addHeader(h.getKey(), h.getValue());
      } else {
        response.setHeader(h.getKey(), h.getValue());
      }
    }
  }

  private static boolean repeated(List<Map.Entry<String, String>> headers, int index) {
    String name = headers.get(index).getKey();
    for (int i = 0; i < index; i++) {
      if (headers.get(i).getKey().equalsIgnoreCase(name)) {
        return true;
      }
    }
    return false;
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
}
