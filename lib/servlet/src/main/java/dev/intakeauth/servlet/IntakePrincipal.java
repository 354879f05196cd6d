package dev.intakeauth.servlet;

import dev.intakeauth.AuthMethod;
import dev.intakeauth.AuthResult;
import dev.intakeauth.Privilege;
import java.security.Principal;
import java.util.Objects;
import java.util.Set;

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
   * How the caller authenticated.
   *
   * @return the method
   */
  public AuthMethod method() {
    return result.method();
  }

  /**
   * What the caller may do.
   *
   * @return the privileges
   */
  public Set<Privilege> privileges() {
    return result.privileges();
  }

  /**
   * The whole outcome.
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
