package dev.intakeauth.spring;

import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.micrometer.IntakeAuthMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * When intake-auth-micrometer and a {@link MeterRegistry} are present: an {@link IntakeAuthMetrics}
 * bean, which is both the listener of the filter, the API-key checker and the anonymous rate limiter
 * (they take the one {@code AuthListener} bean) and a {@code MeterBinder} that Spring Boot binds to
 * every registry. Its gauges follow the API-key checker when there is one.
 */
@AutoConfiguration(before = IntakeAuthAutoConfiguration.class, afterName = {
    // Spring Boot 3.x
    "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration",
    "org.springframework.boot.actuate.autoconfigure.metrics.export.simple.SimpleMetricsExportAutoConfiguration",
    // Spring Boot 4.x
    "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
    "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"})
@ConditionalOnClass({IntakeAuthMetrics.class, MeterRegistry.class})
@ConditionalOnBean(MeterRegistry.class)
public class IntakeAuthMetricsAutoConfiguration {

  /** Used by Spring. */
  public IntakeAuthMetricsAutoConfiguration() {}

  /**
   * The meters: {@code intake.auth.requests}, {@code intake.auth.backend.calls}, the API-key cache
   * ({@code cache.gets} ... tagged {@code cache=intake.auth.api_keys}) and more; see
   * {@link IntakeAuthMetrics}.
   *
   * @return the binder and listener
   */
  @Bean
  @ConditionalOnMissingBean
  public IntakeAuthMetrics intakeAuthMetrics() {
    return IntakeAuthMetrics.builder().build();
  }

  /**
   * Adds the gauges that read the API-key checker once every singleton exists (the checker is built
   * with the metrics as its listener, so it comes after them).
   *
   * @param metrics the metrics
   * @param checker the checker, if API keys are on
   * @return the callback
   */
  @Bean
  @ConditionalOnMissingBean(name = "intakeAuthMetricsMonitor")
  public SmartInitializingSingleton intakeAuthMetricsMonitor(IntakeAuthMetrics metrics, ObjectProvider<CachingPrivilegeChecker> checker) {
    return () -> checker.ifAvailable(metrics::monitor);
  }
}
