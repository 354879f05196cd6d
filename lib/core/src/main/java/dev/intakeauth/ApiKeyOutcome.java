package dev.intakeauth;

import org.jspecify.annotations.Nullable;

/**
 * The request outcome a backend's settled answer about an API key stands for, made in this one
 * place for the cache (which makes it once per cached answer, so that a hit allocates nothing) and
 * for the authenticator (for answers that did not come from the cache).
 */
final class ApiKeyOutcome {

  private ApiKeyOutcome() {}

  /**
   * The outcome: the key's privileges, or 401 for an unknown key or one that holds none of the
   * privileges asked about. Null for "unavailable", whose outcome is not fixed.
   *
   * @param keyId the key id, not secret
   * @param check the backend's answer
   * @return the outcome, or null for {@link CheckResult.Unavailable}
   */
  static @Nullable AuthResult of(@Nullable String keyId, CheckResult check) {
    if (check instanceof CheckResult.Granted granted) {
      return granted.privileges().isEmpty()
          ? failed(AuthResult.Unauthorized.Reason.NO_PRIVILEGES)
          : new AuthResult.Authenticated(AuthMethod.API_KEY, granted.privileges(), keyId, granted.username());
    }
    // A fresh outcome per answer, not a shared constant, so that the cache holds a right and a wrong
    // secret's answers alike (see the constant-time section of benchmarks/RESULTS.md).
    return check instanceof CheckResult.UnknownKey ? failed(AuthResult.Unauthorized.Reason.INVALID_CREDENTIALS) : null;
  }

  /**
   * A 401 with the generic message, which does not say what was wrong with the credential.
   *
   * @param reason why, for logs and metrics
   * @return a new outcome
   */
  static AuthResult.Unauthorized failed(AuthResult.Unauthorized.Reason reason) {
    return new AuthResult.Unauthorized(reason, AuthResult.Unauthorized.AUTHENTICATION_FAILED);
  }
}
