/**
 * A Jakarta Servlet 6 filter for intake servers: {@link dev.intakeauth.servlet.IntakeAuthFilter}
 * authorizes each request by a {@link dev.intakeauth.servlet.RouteTable}, answers denials with the
 * specification's status, JSON body and headers, and hands the application a
 * {@link dev.intakeauth.servlet.RequestAuthorization}.
 */
@NullMarked
package dev.intakeauth.servlet;

import org.jspecify.annotations.NullMarked;
