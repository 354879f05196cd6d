package dev.intakeauth;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** A backend's answer about one API key: its privileges, "unknown key", or "cannot tell now". */
public sealed interface CheckResult permits CheckResult.Granted, CheckResult.UnknownKey, CheckResult.Unavailable {

  /** The answer for an unknown, invalidated or expired key. */
  UnknownKey UNKNOWN_KEY = new UnknownKey();

  /**
   * The key is valid and holds these privileges (possibly none) of those asked for.
   *
   * @param privileges the privileges held, a subset of those asked for
   * @param username the key's owner, where the backend knows it
   */
  record Granted(Set<Privilege> privileges, @Nullable String username) implements CheckResult {
    /**
     * Copies the privileges.
     *
     * @param privileges the privileges held
     * @param username the owner, or null
     */
    public Granted {
      privileges = Set.copyOf(privileges);
    }
  }

  /** The key is unknown, invalidated or expired (Elasticsearch answered 401). */
  record UnknownKey() implements CheckResult {}

  /**
   * The backend cannot answer now. Never cached. The fields are those of
   * {@link AuthResult.Unavailable}, in the same order.
   *
   * @param retryAfter a hint for when asking again may succeed
   * @param detail what went wrong, for logs; never contains the secret
   */
  record Unavailable(Duration retryAfter, String detail) implements CheckResult {
    /**
     * Checks for null.
     *
     * @param retryAfter the retry hint
     * @param detail what went wrong
     */
    public Unavailable {
      Objects.requireNonNull(retryAfter, "retryAfter");
      Objects.requireNonNull(detail, "detail");
    }
  }
}
