package dev.intakeauth;

import dev.intakeauth.internal.Retry;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

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
