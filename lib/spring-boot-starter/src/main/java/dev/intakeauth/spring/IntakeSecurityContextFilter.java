package dev.intakeauth.spring;

import dev.intakeauth.servlet.IntakeAuthFilter;
import dev.intakeauth.servlet.IntakePrincipal;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.core.context.SecurityContextHolderStrategy;
import org.springframework.security.web.context.RequestAttributeSecurityContextRepository;
import org.springframework.security.web.csrf.CsrfFilter;

/**
 * Hands the caller that {@link IntakeAuthFilter} let in to Spring Security. It runs right after that
 * filter, on the same routes: the request's {@link IntakePrincipal} becomes an
 * {@link IntakeAuthentication} (see {@link IntakeAuthentication#of}), saved where Spring Security's
 * default security context repository looks first (a request attribute, through
 * {@link RequestAttributeSecurityContextRepository}) and set in the {@link SecurityContextHolder} for
 * the rest of the chain. Spring Security's filter chain, which comes after, then loads it: its
 * authorization rules and {@code @PreAuthorize("hasAuthority('event:write')")} see the privileges.
 *
 * <p>Nothing is kept in the HTTP session. A request that the filter did not let in never gets here.
 */
public final class IntakeSecurityContextFilter implements Filter {

  private final RequestAttributeSecurityContextRepository repository = new RequestAttributeSecurityContextRepository();
  private final boolean csrfExempt;

  /**
   * Makes the filter.
   *
   * @param csrfExempt whether the requests it hands over skip Spring Security's CSRF check: their
   *     credential is in a header that a browser never adds by itself
   */
  public IntakeSecurityContextFilter(boolean csrfExempt) {
    this.csrfExempt = csrfExempt;
  }

  @Override
  public void doFilter(ServletRequest req, ServletResponse resp, FilterChain chain) throws IOException, ServletException {
    // Only IntakeAuthFilter's request wrapper gives an IntakePrincipal: its constructor is not public.
    if (!(req instanceof HttpServletRequest request) || !(resp instanceof HttpServletResponse response)
        || !(request.getUserPrincipal() instanceof IntakePrincipal principal)) {
      chain.doFilter(req, resp);
      return;
    }
    SecurityContextHolderStrategy holder = SecurityContextHolder.getContextHolderStrategy();
    Authentication authentication = IntakeAuthentication.of(principal);
    SecurityContext context = holder.createEmptyContext();
    context.setAuthentication(authentication);
    repository.saveContext(context, request, response);
    if (csrfExempt) {
      CsrfFilter.skipRequest(request);
    }
    SecurityContext previous = holder.getContext();
    holder.setContext(context);
    try {
      chain.doFilter(request, response);
    } finally {
      if (previous.getAuthentication() == null) {
        holder.clearContext();
      } else {
        holder.setContext(previous);
      }
    }
  }

  @Override
  public String toString() {
    return "IntakeSecurityContextFilter[csrfExempt=" + csrfExempt + "]";
  }
}
