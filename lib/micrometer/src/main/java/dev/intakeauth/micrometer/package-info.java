/**
 * Micrometer meters for intake-auth: {@link dev.intakeauth.micrometer.IntakeAuthMetrics} is both the
 * {@link dev.intakeauth.AuthListener} given to each component's builder and the
 * {@link io.micrometer.core.instrument.binder.MeterBinder} bound to a registry.
 */
@NullMarked
package dev.intakeauth.micrometer;

import org.jspecify.annotations.NullMarked;
