/**
 * Fakes for unit tests: {@link dev.intakeauth.testing.FakePrivilegeChecker} grants what the test
 * says, {@link dev.intakeauth.testing.FaultInjectingChecker} makes any backend hang, refuse or fail,
 * {@link dev.intakeauth.testing.ManualClock} moves time only when told, and
 * {@link dev.intakeauth.testing.TestCredentials} makes credentials and headers.
 */
@NullMarked
package dev.intakeauth.testing;

import org.jspecify.annotations.NullMarked;
