package dev.intakeauth.spring;

import dev.intakeauth.servlet.IntakeAuthFilter;
import jakarta.servlet.DispatcherType;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.context.RequestAttributeSecurityContextRepository;

/**
 * When Spring Security is on the class path: registers {@link IntakeSecurityContextFilter} right
 * after the intake filter ({@code intake-auth.filter.order} + 1), on the same routes, so that the
 * caller reaches Spring Security as an {@link IntakeAuthentication} whose authorities are its
 * privileges.
 */
@AutoConfiguration(after = IntakeAuthAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass({SecurityContextHolder.class, RequestAttributeSecurityContextRepository.class})
@ConditionalOnBean(IntakeAuthFilter.class)
public class IntakeAuthSecurityAutoConfiguration {

  /** Used by Spring. */
  public IntakeAuthSecurityAutoConfiguration() {}

  /**
   * The filter that hands the caller to Spring Security.
   *
   * @param settings intake-auth's settings
   * @return the filter
   */
  @Bean
  @ConditionalOnMissingBean
  public IntakeSecurityContextFilter intakeSecurityContextFilter(IntakeAuthProperties settings) {
    return new IntakeSecurityContextFilter(settings.security().csrfExempt());
  }

  /**
   * Maps it right after the intake filter, for request and async dispatches (a lookup that waited
   * for Elasticsearch reaches the application on an async dispatch).
   *
   * @param filter the filter
   * @param settings intake-auth's settings
   * @return the registration
   */
  @Bean
  @ConditionalOnMissingBean(name = "intakeSecurityContextFilterRegistration")
  public FilterRegistrationBean<IntakeSecurityContextFilter> intakeSecurityContextFilterRegistration(IntakeSecurityContextFilter filter,
      IntakeAuthProperties settings) {
    FilterRegistrationBean<IntakeSecurityContextFilter> registration = new FilterRegistrationBean<>(filter);
    registration.setName("intakeSecurityContextFilter");
    registration.setUrlPatterns(settings.filter().urlPatterns());
    registration.setOrder(settings.filter().order() + 1);
    registration.setAsyncSupported(true);
    registration.setDispatcherTypes(DispatcherType.REQUEST, DispatcherType.ASYNC);
    return registration;
  }
}
