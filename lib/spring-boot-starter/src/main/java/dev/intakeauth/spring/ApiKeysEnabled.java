package dev.intakeauth.spring;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches when {@code apm-server.auth.api_key.enabled} is true, read through Spring's binder so that
 * APM Server's underscore form and kebab case both count.
 */
final class ApiKeysEnabled implements Condition {

  @Override
  public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
    return Binder.get(context.getEnvironment()).bind("apm-server.auth.api-key.enabled", Boolean.class).orElse(false);
  }
}
