package dev.intakeauth.spring;

import dev.intakeauth.BackendHealth;
import dev.intakeauth.CachingPrivilegeChecker;
import java.util.Objects;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * {@link IntakeAuthHealthIndicator} for Spring Boot 4.x, whose health API moved to the
 * {@code spring-boot-health} module: the same status and details as {@code intakeAuth}.
 */
public final class IntakeAuthBoot4HealthIndicator extends AbstractHealthIndicator {

  private final CachingPrivilegeChecker checker;

  /**
   * Makes the indicator.
   *
   * @param checker the checker whose health it reports
   */
  public IntakeAuthBoot4HealthIndicator(CachingPrivilegeChecker checker) {
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
