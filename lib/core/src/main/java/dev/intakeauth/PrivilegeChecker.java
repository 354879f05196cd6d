package dev.intakeauth;

import dev.intakeauth.internal.Retry;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;

/**
 * The backend SPI: "which of these privileges does this API key hold?"
 *
 * <p>Implementations: the Elasticsearch checker (module {@code intake-auth-elasticsearch}),
 * {@link InMemoryKeyStore}, and {@link CachingPrivilegeChecker}, which wraps any other.
 *
 * <p>Contract: the answer's privileges are a subset of {@code scope.privileges()}; a key the backend
 * rejects is {@link CheckResult#UNKNOWN_KEY}; every failure to get an answer is a
 * {@link CheckResult.Unavailable}, not an exception. Implementations are thread-safe and never put
 * the secret into logs, exceptions or results.
 */
public interface PrivilegeChecker {

  /**
   * Asks, without blocking, which of {@code scope}'s privileges the key holds.
   *
   * @param credential the agent's credential, to be presented to the backend as it is
   * @param scope the application, resource and privileges to ask about
   * @return the answer; a future that completes exceptionally is read as {@link CheckResult.Unavailable}
   */
  CompletableFuture<CheckResult> checkAsync(ApiKeyCredential credential, ApplicationPrivileges scope);

  /**
   * Asks, without blocking, on behalf of an identified client. A checker that shares a budget among
   * clients (see {@link CachingPrivilegeChecker}) charges the client for the lookup; the default
   * ignores the client and calls {@link #checkAsync(ApiKeyCredential, ApplicationPrivileges)}.
   *
   * @param credential the agent's credential, to be presented to the backend as it is
   * @param scope the application, resource and privileges to ask about
   * @param client an opaque identity of the client that sent the credential (for example its
   *     address, grouped by network), or null when unknown
   * @return the answer; a future that completes exceptionally is read as {@link CheckResult.Unavailable}
   */
  default CompletableFuture<CheckResult> checkAsync(
      ApiKeyCredential credential, ApplicationPrivileges scope, @Nullable String client) {
    return checkAsync(credential, scope);
  }

  /**
   * Asks, blocking until the answer is known, on behalf of an identified client. The default ignores
   * the client and calls {@link #check(ApiKeyCredential, ApplicationPrivileges)}.
   *
   * @param credential the agent's credential
   * @param scope the application, resource and privileges to ask about
   * @param client an opaque identity of the client, or null when unknown
   * @return the answer
   */
  default CheckResult check(ApiKeyCredential credential, ApplicationPrivileges scope, @Nullable String client) {
    return check(credential, scope);
  }

  /**
   * Asks, blocking until the answer is known. The default waits for {@link #checkAsync}.
   *
   * @param credential the agent's credential
   * @param scope the application, resource and privileges to ask about
   * @return the answer
   */
  default CheckResult check(ApiKeyCredential credential, ApplicationPrivileges scope) {
    CompletableFuture<CheckResult> future = checkAsync(credential, scope);
    try {
      return future.join();
    } catch (CompletionException | java.util.concurrent.CancellationException e) {
      return unavailable(e);
    }
  }

  /**
   * The answer for a backend failure that surfaced as an exception. Keeps only the exception's type:
   * messages of HTTP clients may quote the request.
   *
   * @param failure the failure
   * @return an unavailable answer
   */
  static CheckResult.Unavailable unavailable(Throwable failure) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    return new CheckResult.Unavailable(Retry.MINIMUM, "backend failed: " + cause.getClass().getName());
  }
}
