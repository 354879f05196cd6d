/**
 * intake-auth for Micrometer: {@link dev.intakeauth.micrometer.IntakeAuthMetrics} hears what the
 * library does through core's {@link dev.intakeauth.AuthListener} and publishes it as meters with
 * conventional names and bounded tags.
 */
// micrometer-core is an automatic module (micrometer.core); MeterBinder and Tag are part of this module's API.
@SuppressWarnings("requires-transitive-automatic")
module dev.intakeauth.micrometer {
  requires transitive dev.intakeauth.core;
  requires transitive micrometer.core;
  requires static org.jspecify;

  exports dev.intakeauth.micrometer;
}
