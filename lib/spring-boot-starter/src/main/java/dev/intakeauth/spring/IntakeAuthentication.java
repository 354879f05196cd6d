package dev.intakeauth.spring;

import dev.intakeauth.AuthMethod;
import dev.intakeauth.AuthResult;
import dev.intakeauth.Privilege;
import dev.intakeauth.servlet.IntakePrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;

/**
 * A caller that intake-auth let in with a secret token or an API key, as Spring Security sees it:
 * authenticated, with one authority per privilege, named as the privilege
 * ({@code event:write}, {@code config_agent:read}, {@code sourcemap:write}), so that
 * {@code hasAuthority('event:write')} holds when the caller may send events. The principal is the
 * filter's {@link IntakePrincipal}; the credentials are never kept.
 */
public final class IntakeAuthentication extends AbstractAuthenticationToken {

  private static final long serialVersionUID = 1L;

  /** The key of the anonymous tokens made by {@link #of}. */
  public static final String ANONYMOUS_KEY = "intake-auth";

  /** Spring Security's authority of anonymous callers, added to anonymous intake callers. */
  public static final String ROLE_ANONYMOUS = "ROLE_ANONYMOUS";

  private final transient IntakePrincipal principal;

  private IntakeAuthentication(IntakePrincipal principal, List<GrantedAuthority> authorities) {
    super(authorities);
    this.principal = principal;
    super.setAuthenticated(true);
  }

  /**
   * The Spring Security view of a caller the filter let in. A secret token or an API key gives an
   * authenticated {@link IntakeAuthentication}; an anonymous caller (or any caller when no credential
   * is configured) gives an {@link AnonymousAuthenticationToken} with the privileges it was given and
   * {@value #ROLE_ANONYMOUS}, so that {@code isAuthenticated()} stays false for it.
   *
   * @param principal the filter's principal
   * @return the authentication
   */
  public static Authentication of(IntakePrincipal principal) {
    Objects.requireNonNull(principal, "principal");
    AuthResult.Authenticated result = principal.result();
    List<GrantedAuthority> authorities = new ArrayList<>();
    for (Privilege p : result.privileges()) {
      authorities.add(new SimpleGrantedAuthority(p.name()));
    }
    authorities.sort(java.util.Comparator.comparing(GrantedAuthority::getAuthority));
    if (result.method() == AuthMethod.API_KEY || result.method() == AuthMethod.SECRET_TOKEN) {
      return new IntakeAuthentication(principal, authorities);
    }
    authorities.add(new SimpleGrantedAuthority(ROLE_ANONYMOUS));
    return new AnonymousAuthenticationToken(ANONYMOUS_KEY, principal, authorities);
  }

  /**
   * How the caller authenticated.
   *
   * @return {@link AuthMethod#SECRET_TOKEN} or {@link AuthMethod#API_KEY}
   */
  public AuthMethod method() {
    return principal.result().method();
  }

  /**
   * Never a credential: the secret token or API key is not kept.
   *
   * @return an empty string
   */
  @Override
  public Object getCredentials() {
    return "";
  }

  @Override
  public IntakePrincipal getPrincipal() {
    return principal;
  }

  /**
   * Refuses to mark this authentication as trusted from outside: only {@link #of} makes one.
   *
   * @param authenticated must be false
   * @throws IllegalArgumentException if true
   */
  @Override
  public void setAuthenticated(boolean authenticated) {
    if (authenticated) {
      throw new IllegalArgumentException("an IntakeAuthentication is made authenticated by IntakeAuthentication.of only");
    }
    super.setAuthenticated(false);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IntakeAuthentication other && super.equals(other) && other.principal.equals(principal);
  }

  @Override
  public int hashCode() {
    return 31 * super.hashCode() + principal.hashCode();
  }
}
