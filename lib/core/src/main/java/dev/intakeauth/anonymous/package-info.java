/**
 * Anonymous access for agents that cannot keep a secret (browser agents): the agent and service
 * allow-lists ({@link dev.intakeauth.anonymous.AnonymousPolicy}), the per-client rate limit
 * ({@link dev.intakeauth.anonymous.AnonymousRateLimiter}) and the client's address behind trusted
 * proxies ({@link dev.intakeauth.anonymous.ClientAddressResolver}).
 */
@NullMarked
package dev.intakeauth.anonymous;

import org.jspecify.annotations.NullMarked;
