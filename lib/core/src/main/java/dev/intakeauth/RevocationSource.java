package dev.intakeauth;

import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Where a {@link RevocationFeed} learns which API keys are no longer valid: a backend that can tell,
 * for a set of key ids, which of them have been invalidated or have expired (for example
 * {@code ElasticsearchRevocationSource} in {@code intake-auth-elasticsearch}).
 *
 * <p>An implementation answers only for the ids it was given, and only with ids it knows to be
 * revoked: an id it cannot see or does not know is left out, never reported, so that a partial view
 * of the keys can never evict every answer. It must be thread-safe; the feed never asks twice at
 * once.
 */
@FunctionalInterface
public interface RevocationSource {

  /**
   * Which of these key ids are invalidated or expired.
   *
   * @param keyIds the ids to ask about; never empty, at most the feed's chunk size
   * @return the revoked ones among {@code keyIds}; completes exceptionally when the backend could
   *     not answer (the exception's message is logged, so it must hold no secret)
   */
  CompletableFuture<Set<String>> revoked(Set<String> keyIds);
}
