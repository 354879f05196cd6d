package dev.intakeauth.spring;

import dev.intakeauth.BackendHealth;
import dev.intakeauth.CachingPrivilegeChecker;
import java.util.Objects;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * The health of the API-key backend for Spring Boot 3.x (on 4.x, {@link IntakeAuthBoot4HealthIndicator}), as {@code intakeAuth} under Actuator's {@code /health}: DOWN
 * while the circuit breaker in front of Elasticsearch is open (keys not in the cache are answered 503
 * without asking it), UP otherwise, with the breaker's state, the last success and failure, and how
 * many answers the cache holds. It only reads {@link CachingPrivilegeChecker#health()}: no request
 * is sent to Elasticsearch.
 */
public final class IntakeAuthHealthIndicator extends AbstractHealthIndicator {

  private final CachingPrivilegeChecker checker;

  /**
   * Makes the indicator.
   *
   * @param checker the checker whose health it reports
   */
  public IntakeAuthHealthIndicator(CachingPrivilegeChecker checker) {
    super("intake-auth health check failed");
    this.checker = Objects.requireNonNull(checker, "checker");
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    BackendHealth health = checker.health();
    if (IntakeAuthHealthContributor.up(health)) {
      builder.up();
    } else {
      builder.down();
    }
    builder.withDetails(IntakeAuthHealthContributor.details(health));
  }
}
