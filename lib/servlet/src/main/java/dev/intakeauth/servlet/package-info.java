/**
 * A Jakarta Servlet 6 filter for intake servers: {@link dev.intakeauth.servlet.IntakeAuthFilter}
 * hands each request to a {@link dev.intakeauth.access.AccessControl}, answers denials with the
 * specification's status, JSON body and headers, and hands the application a
 * {@link dev.intakeauth.access.RequestAuthorization}.
 */
@NullMarked
package dev.intakeauth.servlet;

import org.jspecify.annotations.NullMarked;
