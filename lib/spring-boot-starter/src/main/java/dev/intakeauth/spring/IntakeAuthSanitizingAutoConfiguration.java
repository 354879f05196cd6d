package dev.intakeauth.spring;

import java.util.List;
import java.util.Locale;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * When Actuator is present: masks intake-auth's secrets (the secret tokens, the Elasticsearch
 * password and API key) in the {@code env} and {@code configprops} endpoints. Spring Boot masks every
 * value only while {@code show-values} is {@code never}; once an application shows values, Boot masks
 * nothing by itself, and its "likely sensitive" helpers miss a list such as
 * {@code intake-auth.auth.secret_tokens[0]}.
 */
@AutoConfiguration
@ConditionalOnClass(SanitizingFunction.class)
public class IntakeAuthSanitizingAutoConfiguration {

  /** The secret settings' names, lower case without separators or list indexes, as their last part. */
  private static final List<String> SECRET_ENDINGS =
      List.of("authsecrettoken", "authsecrettokens", "elasticsearchpassword", "elasticsearchapikey");

  /** Used by Spring. */
  public IntakeAuthSanitizingAutoConfiguration() {}

  /**
   * The function Actuator applies to each value it shows.
   *
   * @return the function
   */
  @Bean
  @ConditionalOnMissingBean(name = "intakeAuthSanitizingFunction")
  public SanitizingFunction intakeAuthSanitizingFunction() {
    return data -> isSecret(data.getKey()) ? data.withSanitizedValue() : data;
  }

  /**
   * Whether a property is one of intake-auth's secrets, in any of the forms Spring binds
   * ({@code apm-server.auth.secret_token}, {@code apm-server.auth.secretToken},
   * {@code APM_SERVER_AUTH_SECRET_TOKEN}, {@code intake-auth.auth.secret-tokens[1]}).
   *
   * @param key the property's name
   * @return whether its value must not be shown
   */
  static boolean isSecret(String key) {
    String k = key.toLowerCase(Locale.ROOT).replaceAll("\\[[0-9]*\\]", "").replaceAll("[^a-z0-9]", "");
    return (k.startsWith("apmserver") || k.startsWith("intakeauth")) && SECRET_ENDINGS.stream().anyMatch(k::endsWith);
  }
}
