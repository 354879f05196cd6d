package dev.intakeauth.servlet;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.intakeauth.AuthMethod;
import dev.intakeauth.AuthResult;
import dev.intakeauth.access.RequestAuthorization;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.security.Principal;

/**
 * The application behind the filter in tests: answers 202 with what it was told about the caller.
 * With {@code ?agent=&service=} it runs the per-event check, with {@code ?events=n} the rate limit.
 */
final class EchoServlet extends HttpServlet {

  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
    // Spelled out, as applications written against earlier versions do: the name must not change.
    RequestAuthorization auth = (RequestAuthorization) request.getAttribute("dev.intakeauth.servlet.RequestAuthorization");
    if (auth != null && (request.getParameter("agent") != null || request.getParameter("service") != null)) {
      AuthResult event = auth.authorizeEvent(request.getParameter("service"), request.getParameter("agent"));
      if (event instanceof AuthResult.Denied denied) {
        DenialResponse.send(request, response, denied);
        return;
      }
    }
    if (auth != null && request.getParameter("events") != null) {
      AuthResult.RateLimited limited = auth.acquireEvents(Integer.parseInt(request.getParameter("events")));
      if (limited != null) {
        DenialResponse.send(request, response, limited);
        return;
      }
    }
    Principal p = request.getUserPrincipal();
    ObjectNode body = JSON.createObjectNode();
    body.put("principal", p == null ? null : p.getName());
    body.put("authType", request.getAuthType());
    body.put("eventWriter", request.isUserInRole("event:write"));
    body.put("authenticated", auth != null && auth.result() instanceof AuthResult.Authenticated);
    body.put("anonymous", auth != null && auth.result() instanceof AuthResult.Authenticated a && a.method() == AuthMethod.ANONYMOUS);
    body.put("client", auth == null ? null : auth.clientAddress());
    body.put("thread", Thread.currentThread().getName());
    response.setStatus("/".equals(request.getRequestURI()) ? 200 : 202);
    response.setContentType("application/json");
    response.getWriter().write(body.toString());
  }
}
