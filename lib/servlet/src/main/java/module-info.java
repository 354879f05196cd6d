/**
 * intake-auth for Jakarta Servlet 6: {@link dev.intakeauth.servlet.IntakeAuthFilter} authorizes each
 * request of an intake server, blocking or async. The servlet API is the container's to provide.
 */
module dev.intakeauth.servlet {
  requires transitive dev.intakeauth.core;
  requires transitive jakarta.servlet;
  requires com.fasterxml.jackson.core;
  requires org.slf4j;
  requires static org.jspecify;

  exports dev.intakeauth.servlet;
}
