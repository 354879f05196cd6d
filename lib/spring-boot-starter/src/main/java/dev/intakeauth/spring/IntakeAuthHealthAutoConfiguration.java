package dev.intakeauth.spring;

import dev.intakeauth.CachingPrivilegeChecker;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * When Actuator is present and API keys are on: the {@code intakeAuth} health indicator, in the
 * health API of the Spring Boot line the application runs (3.x: {@link IntakeAuthHealthIndicator};
 * 4.x: {@link IntakeAuthBoot4HealthIndicator}). Each is looked at only when its API is on the class path.
 */
@AutoConfiguration(after = IntakeAuthAutoConfiguration.class)
@ConditionalOnBean(CachingPrivilegeChecker.class)
public class IntakeAuthHealthAutoConfiguration {

  /** Used by Spring. */
  public IntakeAuthHealthAutoConfiguration() {}

  /** Spring Boot 3.x. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
  static class Boot3 {

    /**
     * The indicator; Actuator names it {@code intakeAuth} after the bean.
     *
     * @param checker the API-key checker
     * @return the indicator
     */
    @Bean
    @ConditionalOnMissingBean(name = "intakeAuthHealthIndicator")
    IntakeAuthHealthIndicator intakeAuthHealthIndicator(CachingPrivilegeChecker checker) {
      return new IntakeAuthHealthIndicator(checker);
    }
  }

  /** Spring Boot 4.x. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
  static class Boot4 {

    /**
     * The indicator; Actuator names it {@code intakeAuth} after the bean.
     *
     * @param checker the API-key checker
     * @return the indicator
     */
    @Bean
    @ConditionalOnMissingBean(name = "intakeAuthHealthIndicator")
    IntakeAuthBoot4HealthIndicator intakeAuthHealthIndicator(CachingPrivilegeChecker checker) {
      return new IntakeAuthBoot4HealthIndicator(checker);
    }
  }
}
