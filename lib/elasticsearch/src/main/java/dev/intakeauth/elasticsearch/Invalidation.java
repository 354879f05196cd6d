package dev.intakeauth.elasticsearch;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * What an invalidation by {@link ApiKeyManager#invalidate} did.
 *
 * @param invalidated ids invalidated now
 * @param previouslyInvalidated ids that were invalidated already
 * @param errorCount errors Elasticsearch reported
 */
public record Invalidation(List<String> invalidated, List<String> previouslyInvalidated, int errorCount) {

  /**
   * Copies the lists.
   *
   * @param invalidated ids invalidated now
   * @param previouslyInvalidated ids that were invalidated already
   * @param errorCount errors Elasticsearch reported
   */
  public Invalidation {
    invalidated = List.copyOf(invalidated);
    previouslyInvalidated = List.copyOf(previouslyInvalidated);
  }

  /** From the answer of {@code DELETE /_security/api_key}. */
  static Invalidation from(JsonNode answer) {
    return new Invalidation(SecurityJson.texts(answer.path("invalidated_api_keys")), SecurityJson.texts(answer.path("previously_invalidated_api_keys")),
        answer.path("error_count").asInt());
  }
}
