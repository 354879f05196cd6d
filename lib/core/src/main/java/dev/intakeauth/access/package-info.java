/**
 * The decision for one request, whatever its transport: {@link dev.intakeauth.access.AccessControl}
 * matches it against a {@link dev.intakeauth.access.RouteTable}, applies the CORS, plain-HTTP and
 * anonymous rules, authenticates it and answers one {@link dev.intakeauth.access.Decision}, which a
 * transport adapter (a servlet filter, a gRPC interceptor) only translates.
 */
@NullMarked
package dev.intakeauth.access;

import org.jspecify.annotations.NullMarked;
