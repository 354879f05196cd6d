package dev.intakeauth.spring;

import dev.intakeauth.BackendHealth;
import dev.intakeauth.BreakerState;
import dev.intakeauth.CachingPrivilegeChecker;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What the {@code intakeAuth} health indicators of both Spring Boot lines report, read from
 * {@link CachingPrivilegeChecker#health()} without asking Elasticsearch.
 */
final class IntakeAuthHealthContributor {

  private IntakeAuthHealthContributor() {}

  /** DOWN only while the breaker is open: keys not in the cache are then answered 503. */
  static boolean up(BackendHealth health) {
    return health.breaker() != BreakerState.OPEN;
  }

  /** The breaker's state, the last success and failure, and the cache's size. */
  static Map<String, Object> details(BackendHealth health) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("breaker", health.breaker().name().toLowerCase(Locale.ROOT));
    details.put("cachedAnswers", health.cachedAnswers());
    if (health.lastSuccess() != null) {
      details.put("lastSuccess", health.lastSuccess().toString());
    }
    if (health.lastFailure() != null) {
      details.put("lastFailure", health.lastFailure().toString());
    }
    return details;
  }
}
