/** Fakes for unit tests of code that uses intake-auth. */
module dev.intakeauth.testing {
  requires transitive dev.intakeauth.core;
  requires static transitive org.jspecify;

  exports dev.intakeauth.testing;
}
