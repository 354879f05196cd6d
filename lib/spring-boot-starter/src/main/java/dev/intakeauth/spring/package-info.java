/**
 * intake-auth for Spring Boot: auto-configuration of {@link dev.intakeauth.servlet.IntakeAuthFilter}
 * on the APM routes from {@code apm-server.*} and {@code intake-auth.*} properties, with API keys
 * checked against Elasticsearch, Spring Security authorities, Micrometer meters and an Actuator
 * health indicator when those are present.
 */
@NullMarked
package dev.intakeauth.spring;

import org.jspecify.annotations.NullMarked;
