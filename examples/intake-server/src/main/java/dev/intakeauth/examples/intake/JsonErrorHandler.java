package dev.intakeauth.examples.intake;

import dev.intakeauth.servlet.DenialResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's error pages as {@code {"error": "<reason>"}}, for every error Jetty answers itself: a
 * malformed request, an exception thrown by a servlet, an unknown status. Jetty's own pages name the
 * exception and repeat its message; this names only the status.
 */
final class JsonErrorHandler extends ErrorHandler {

  private static final HttpField NOSNIFF = new HttpField("X-Content-Type-Options", "nosniff");

  @Override
  protected void generateResponse(Request request, Response response, int code, String message, Throwable cause, Callback callback) {
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.getHeaders().put(NOSNIFF);
    response.write(true, ByteBuffer.wrap(body(code)), callback);
  }

  static byte[] body(int code) {
    String reason = HttpStatus.getMessage(code);
    return DenialResponse.body(reason == null ? "error " + code : reason.toLowerCase(Locale.ROOT)).getBytes(StandardCharsets.UTF_8);
  }
}
