package dev.intakeauth;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * A snapshot of how a {@link CachingPrivilegeChecker}'s backend is doing, for health checks.
 *
 * @param breaker the circuit breaker's state: {@link BreakerState#OPEN} means lookups of keys not in
 *     the cache are answered 503 without asking the backend
 * @param lastSuccess when the backend last answered (granted or unknown key), or null if it never has
 * @param lastFailure when a backend call last failed or timed out, or null if none has
 * @param cachedAnswers about how many answers the cache holds
 */
public record BackendHealth(BreakerState breaker, @Nullable Instant lastSuccess, @Nullable Instant lastFailure, long cachedAnswers) {}
