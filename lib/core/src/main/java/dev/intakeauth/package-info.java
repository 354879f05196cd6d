/**
 * The public API of intake-auth.
 *
 * <p>Start with {@link dev.intakeauth.Authenticator}: build one per server, then call
 * {@link dev.intakeauth.Authenticator#authenticate(java.util.List)} for each request and
 * {@link dev.intakeauth.AuthResult#authorize(dev.intakeauth.Privilege)} with the privilege the
 * route needs. Nothing here throws for bad input: every malformed or hostile header becomes a
 * defined {@link dev.intakeauth.AuthResult}.
 */
@NullMarked
package dev.intakeauth;

import org.jspecify.annotations.NullMarked;
