package dev.intakeauth.servlet;

import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.PrivilegeChecker;
import java.time.Duration;

/** Test backends behind the cache the authenticator takes. */
final class Backends {

  private Backends() {}

  /**
   * The backend behind a cache whose budgets and deadline no test here reaches: these tests are of
   * the filter, and the cache's limits have their own.
   */
  static CachingPrivilegeChecker cached(PrivilegeChecker backend) {
    return CachingPrivilegeChecker.builder(backend)
        .newKeysPerMinute(1_000_000)
        .newKeysPerClientPerMinute(1_000_000)
        .deadline(Duration.ofMinutes(1))
        .build();
  }
}
