package dev.intakeauth.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.intakeauth.AuthListener;
import dev.intakeauth.AuthResult;
import dev.intakeauth.Authenticator;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.micrometer.IntakeAuthMetrics;
import dev.intakeauth.servlet.IntakeAuthFilter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.endpoint.SanitizableData;
import org.springframework.boot.actuate.endpoint.Sanitizer;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The auto-configuration's conditions and property binding, without a server. */
class IntakeAuthAutoConfigurationTest {

  private final WebApplicationContextRunner runner = new WebApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(IntakeAuthAutoConfiguration.class, IntakeAuthSecurityAutoConfiguration.class,
          IntakeAuthMetricsAutoConfiguration.class, IntakeAuthHealthAutoConfiguration.class,
          IntakeAuthSanitizingAutoConfiguration.class));

  @Test
  void apmServersUnderscoreNamesAndKebabCaseBothBind() {
    runner.withPropertyValues("apm-server.auth.secret_token=abc", "apm-server.auth.api_key.limit=7",
            "apm-server.auth.anonymous.allow_agent=rum-js", "apm-server.auth.anonymous.rate_limit.event_limit=5",
            "intake-auth.trusted-proxies=10.0.0.0/8", "intake-auth.api_key.cache_lifetime=2m")
        .run(context -> {
          ApmServerProperties apm = context.getBean(ApmServerProperties.class);
          assertThat(apm.auth().secretToken()).isEqualTo("abc");
          assertThat(apm.auth().apiKey().limit()).isEqualTo(7);
          assertThat(apm.auth().anonymous().allowAgent()).containsExactly("rum-js");
          assertThat(apm.auth().anonymous().rateLimit().eventLimit()).isEqualTo(5);
          IntakeAuthProperties own = context.getBean(IntakeAuthProperties.class);
          assertThat(own.trustedProxies()).containsExactly("10.0.0.0/8");
          assertThat(own.apiKey().cacheLifetime()).hasMinutes(2);
          assertThat(own.filter().urlPatterns()).isEqualTo(IntakeAuthProperties.APM_ROUTES);
          assertThat(apm.toString()).doesNotContain("abc");
          assertThat(context.getBean(Authenticator.class).authenticate("Bearer abc")).isInstanceOf(AuthResult.Authenticated.class);
        });
  }

  @Test
  void secretsNeverShowInTheSettingsToString() {
    runner.withPropertyValues("apm-server.auth.secret_token=tok-1", "intake-auth.auth.secret_tokens=tok-2,tok-3",
            "apm-server.auth.api_key.elasticsearch.password=pw-1", "apm-server.auth.api_key.elasticsearch.api_key=key-1")
        .run(context -> {
          String shown = context.getBean(ApmServerProperties.class) + " " + context.getBean(IntakeAuthProperties.class);
          assertThat(shown).doesNotContain("tok-1", "tok-2", "tok-3", "pw-1", "key-1");
          Authenticator auth = context.getBean(Authenticator.class);
          assertThat(auth.authenticate("Bearer tok-3")).isInstanceOf(AuthResult.Authenticated.class);
        });
  }

  @Test
  void anApplicationThatShowsActuatorValuesStillNeverShowsTheSecrets() {
    runner.run(context -> {
      // As the env and configprops endpoints do with management.endpoint.*.show-values=always.
      Sanitizer sanitizer = new Sanitizer(context.getBeanProvider(SanitizingFunction.class).orderedStream().toList());
      for (String key : List.of("apm-server.auth.secret_token", "apm-server.auth.secretToken", "APM_SERVER_AUTH_SECRET_TOKEN",
          "intake-auth.auth.secret_tokens", "intake-auth.auth.secret-tokens[1]", "intake-auth.auth.secretTokens",
          "apm-server.auth.api_key.elasticsearch.password", "apm-server.auth.apiKey.elasticsearch.apiKey",
          "APM_SERVER_AUTH_API_KEY_ELASTICSEARCH_API_KEY")) {
        assertThat(sanitizer.sanitize(new SanitizableData(null, key, "s3cret-value"), true)).as(key).isEqualTo(SanitizableData.SANITIZED_VALUE);
      }
      assertThat(sanitizer.sanitize(new SanitizableData(null, "apm-server.auth.api_key.limit", "7"), true)).isEqualTo("7");
      assertThat(sanitizer.sanitize(new SanitizableData(null, "apm-server.auth.api_key.elasticsearch.username", "admin"), true))
          .isEqualTo("admin");
    });
  }

  @Test
  void theFilterIsRegisteredOnTheApmRoutesAheadOfSpringSecurity() {
    runner.withPropertyValues("apm-server.auth.secret_token=abc").run(context -> {
      @SuppressWarnings("unchecked")
      FilterRegistrationBean<IntakeAuthFilter> intake = context.getBean("intakeAuthFilterRegistration", FilterRegistrationBean.class);
      assertThat(intake.getUrlPatterns()).containsExactlyInAnyOrderElementsOf(IntakeAuthProperties.APM_ROUTES).doesNotContain("/", "/*");
      assertThat(intake.getOrder()).isEqualTo(-110).isLessThan(-100);
      assertThat(intake.isAsyncSupported()).isTrue();
      @SuppressWarnings("unchecked")
      FilterRegistrationBean<IntakeSecurityContextFilter> security =
          context.getBean("intakeSecurityContextFilterRegistration", FilterRegistrationBean.class);
      assertThat(security.getOrder()).isEqualTo(-109);
      assertThat(security.getUrlPatterns()).isEqualTo(intake.getUrlPatterns());
      // No API keys: no checker, so no health indicator; no registry: no meters.
      assertThat(context).doesNotHaveBean(CachingPrivilegeChecker.class).doesNotHaveBean("intakeAuthHealthIndicator")
          .doesNotHaveBean(IntakeAuthMetrics.class);
    });
  }

  @Test
  void theApplicationsOwnBeansWin() {
    runner.withUserConfiguration(OwnBeans.class).withPropertyValues("apm-server.auth.secret_token=abc").run(context -> {
      assertThat(context.getBean(Authenticator.class)).isSameAs(context.getBean(OwnBeans.class).authenticator);
      assertThat(context.getBean(Authenticator.class).authenticate("Bearer abc")).isNotInstanceOf(AuthResult.Authenticated.class);
      assertThat(context.getBean(Authenticator.class).authenticate("Bearer mine")).isInstanceOf(AuthResult.Authenticated.class);
    });
  }

  @Test
  void turnedOffEverythingBacksOff() {
    runner.withPropertyValues("intake-auth.enabled=false", "apm-server.auth.secret_token=abc")
        .run(context -> assertThat(context).doesNotHaveBean(IntakeAuthFilter.class).doesNotHaveBean(Authenticator.class)
            .doesNotHaveBean(IntakeSecurityContextFilter.class));
  }

  @Test
  void withARegistryTheMetricsAreTheListenerAndFollowTheChecker() {
    runner.withBean(SimpleMeterRegistry.class).withPropertyValues("apm-server.auth.api_key.enabled=true",
            "apm-server.auth.api_key.elasticsearch.hosts=127.0.0.1:9", "intake-auth.api_key.limit_per_client=3")
        .run(context -> {
          assertThat(context).hasSingleBean(IntakeAuthMetrics.class).hasSingleBean(CachingPrivilegeChecker.class)
              .hasBean("intakeAuthHealthIndicator");
          assertThat(context.getBean(AuthListener.class)).isSameAs(context.getBean(IntakeAuthMetrics.class));
          SimpleMeterRegistry registry = context.getBean(SimpleMeterRegistry.class);
          // Spring Boot's actuator binds MeterBinder beans; here the binder is bound by hand.
          context.getBean(IntakeAuthMetrics.class).bindTo(registry);
          assertThat(registry.find("intake.auth.breaker.state").gauge()).isNotNull();
        });
  }

  @Test
  void settingsThatCannotWorkStopTheStartWithTheSettingsName() {
    runner.withPropertyValues("apm-server.auth.anonymous.enabled=true").run(context ->
        assertThat(context).hasFailed().getFailure().hasStackTraceContaining("apm-server.auth.anonymous.enabled"));
    runner.withPropertyValues("apm-server.auth.api_key.enabled=true").run(context ->
        assertThat(context).hasFailed().getFailure().hasStackTraceContaining("apm-server.auth.api_key.elasticsearch.hosts"));
    runner.withPropertyValues("apm-server.auth.secret_token=abc", "intake-auth.trusted_proxies=not-an-address").run(context ->
        assertThat(context).hasFailed().getFailure().hasStackTraceContaining("intake-auth.trusted_proxies"));
  }

  @Test
  void anonymousFollowsRumWhenACredentialIsConfigured() {
    runner.withPropertyValues("apm-server.auth.secret_token=abc", "apm-server.rum.enabled=true").run(context -> {
      ApmServerProperties apm = context.getBean(ApmServerProperties.class);
      assertThat(IntakeAuthAutoConfiguration.anonymousEnabled(apm, context.getBean(Authenticator.class))).isTrue();
    });
    runner.withPropertyValues("apm-server.rum.enabled=true").run(context -> {
      ApmServerProperties apm = context.getBean(ApmServerProperties.class);
      assertThat(IntakeAuthAutoConfiguration.anonymousEnabled(apm, context.getBean(Authenticator.class))).isFalse();
    });
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnBeans {
    final Authenticator authenticator = Authenticator.builder().secretTokens(List.of("mine")).build();

    @Bean
    Authenticator myAuthenticator() {
      return authenticator;
    }
  }

}
