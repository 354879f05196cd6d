package dev.intakeauth.spring;

import dev.intakeauth.CachingPrivilegeChecker;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * When Actuator (Spring Boot 3.x) is present and API keys are on: the {@code intakeAuth} health
 * indicator ({@link IntakeAuthHealthIndicator}).
 */
@AutoConfiguration(after = IntakeAuthAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(CachingPrivilegeChecker.class)
public class IntakeAuthHealthAutoConfiguration {

  /** Used by Spring. */
  public IntakeAuthHealthAutoConfiguration() {}

  /**
   * The indicator; Actuator names it {@code intakeAuth} after the bean.
   *
   * @param checker the API-key checker
   * @return the indicator
   */
  @Bean
  @ConditionalOnMissingBean(name = "intakeAuthHealthIndicator")
  public IntakeAuthHealthIndicator intakeAuthHealthIndicator(CachingPrivilegeChecker checker) {
    return new IntakeAuthHealthIndicator(checker);
  }
}
