package dev.intakeauth.elasticsearch;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * What Elasticsearch knows about an API key. No secret.
 *
 * @param id the key id
 * @param name the key's name
 * @param username who created it
 * @param realm the creator's realm
 * @param creation when it was created
 * @param expiration when it expires, or null for never
 * @param invalidated whether it was invalidated
 * @param metadataApplication the {@code application} of its metadata, or null
 */
public record KeyInfo(String id, String name, @Nullable String username, @Nullable String realm, @Nullable Instant creation,
    @Nullable Instant expiration, boolean invalidated, @Nullable String metadataApplication) {

  /** From one entry of the {@code api_keys} of {@code GET /_security/api_key}. */
  static KeyInfo from(JsonNode key) {
    return new KeyInfo(key.path("id").asText(), key.path("name").asText(""), SecurityJson.textOrNull(key.get("username")),
        SecurityJson.textOrNull(key.get("realm")), SecurityJson.instantOrNull(key.get("creation")),
        SecurityJson.instantOrNull(key.get("expiration")), key.path("invalidated").asBoolean(false),
        SecurityJson.textOrNull(key.path("metadata").get("application")));
  }

  /**
   * Whether the key can be used at this instant.
   *
   * @param now the instant
   * @return true if not invalidated and not expired
   */
  public boolean validAt(Instant now) {
    return !invalidated && (expiration == null || expiration.isAfter(now));
  }
}
