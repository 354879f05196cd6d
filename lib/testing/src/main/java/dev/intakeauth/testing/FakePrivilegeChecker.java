package dev.intakeauth.testing;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.ApplicationPrivileges;
import dev.intakeauth.CheckResult;
import dev.intakeauth.Privilege;
import dev.intakeauth.PrivilegeChecker;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A checker that grants exactly what the test says: a credential (id and secret) it was told about
 * gets its privileges, anything else is an unknown key. Counts its calls. Thread-safe.
 *
 * <pre>{@code
 * FakePrivilegeChecker keys = new FakePrivilegeChecker()
 *     .grant(TestCredentials.API_KEY, Privilege.EVENT_WRITE);
 * Authenticator auth = Authenticator.builder().apiKeys(CachingPrivilegeChecker.builder(keys).build()).build();
 * }</pre>
 */
public final class FakePrivilegeChecker implements PrivilegeChecker {

  private final Map<ApiKeyCredential, CheckResult.Granted> grants = new ConcurrentHashMap<>();
  private final AtomicInteger calls = new AtomicInteger();

  /** Starts with no keys. */
  public FakePrivilegeChecker() {}

  /**
   * Makes this credential valid with these privileges, replacing what it had.
   *
   * @param credential the credential (the secret matters: the same id with another secret stays unknown)
   * @param privileges its privileges, possibly none
   * @return this checker
   */
  public FakePrivilegeChecker grant(ApiKeyCredential credential, Privilege... privileges) {
    return grant(credential, null, List.of(privileges));
  }

  /**
   * Makes this credential valid with these privileges and owner.
   *
   * @param credential the credential
   * @param username the owner to report, or null
   * @param privileges its privileges
   * @return this checker
   */
  public FakePrivilegeChecker grant(ApiKeyCredential credential, @Nullable String username, Collection<Privilege> privileges) {
    grants.put(credential, new CheckResult.Granted(Set.copyOf(privileges), username));
    return this;
  }

  /**
   * Makes this credential unknown again, as an invalidated key.
   *
   * @param credential the credential
   * @return this checker
   */
  public FakePrivilegeChecker revoke(ApiKeyCredential credential) {
    grants.remove(credential);
    return this;
  }

  /**
   * How many times this checker was asked.
   *
   * @return the number of calls
   */
  public int calls() {
    return calls.get();
  }

  @Override
  public CompletableFuture<CheckResult> checkAsync(ApiKeyCredential credential, ApplicationPrivileges scope) {
    return CompletableFuture.completedFuture(check(credential, scope));
  }

  @Override
  public CheckResult check(ApiKeyCredential credential, ApplicationPrivileges scope) {
    calls.incrementAndGet();
    CheckResult.Granted granted = grants.get(credential);
    if (granted == null) {
      return CheckResult.UNKNOWN_KEY;
    }
    Set<Privilege> held = new LinkedHashSet<>(scope.privileges());
    held.retainAll(granted.privileges());
    return new CheckResult.Granted(held, granted.username());
  }

  @Override
  public String toString() {
    return "FakePrivilegeChecker[" + grants.size() + " keys]";
  }
}
