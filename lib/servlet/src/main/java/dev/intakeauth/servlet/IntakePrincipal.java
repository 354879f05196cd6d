package dev.intakeauth.servlet;

import dev.intakeauth.AuthResult;
import java.security.Principal;
import java.util.Objects;

/**
 * An authenticated caller, as {@code request.getUserPrincipal()} returns it. The name is the API
 * key id, {@code secret-token}, {@code anonymous} or {@code unrestricted}; never a secret.
 */
public final class IntakePrincipal implements Principal {

  private final AuthResult.Authenticated result;

  IntakePrincipal(AuthResult.Authenticated result) {
    this.result = Objects.requireNonNull(result);
  }

  @Override
  public String getName() {
    return switch (result.method()) {
      case API_KEY -> Objects.requireNonNullElse(result.keyId(), "api-key");
      case SECRET_TOKEN -> "secret-token";
      case ANONYMOUS -> "anonymous";
      case NONE -> "unrestricted";
    };
  }

  /**
   * The whole outcome: how the caller authenticated and what it may do.
   *
   * @return the outcome
   */
  public AuthResult.Authenticated result() {
    return result;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IntakePrincipal p && p.result.equals(result);
  }

  @Override
  public int hashCode() {
    return result.hashCode();
  }

  @Override
  public String toString() {
    return "IntakePrincipal[" + getName() + ", " + result.method() + "]";
  }
}
