package dev.intakeauth.elasticsearch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.internal.Base64Credentials;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * An API key just created by {@link ApiKeyManager}. Show the secret once; {@code toString()} never
 * does. Not a record: a record would print and compare its fields, and one of them is the secret.
 */
public final class CreatedKey {

  private final String id;
  private final String name;
  private final @Nullable Instant expiration;
  private final String apiKey;

  private CreatedKey(String id, String name, @Nullable Instant expiration, String apiKey) {
    this.id = id;
    this.name = name;
    this.expiration = expiration;
    this.apiKey = apiKey;
  }

  /** From the answer of {@code POST /_security/api_key}; {@code requestedName} when it names none. */
  static CreatedKey from(JsonNode answer, String requestedName) {
    return new CreatedKey(answer.path("id").asText(), answer.path("name").asText(requestedName),
        SecurityJson.instantOrNull(answer.get("expiration")), answer.path("api_key").asText());
  }

  /**
   * The key id.
   *
   * @return the id
   */
  public String id() {
    return id;
  }

  /**
   * The key's name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * When the key expires.
   *
   * @return the instant, or null for never
   */
  public @Nullable Instant expiration() {
    return expiration;
  }

  /**
   * The secret.
   *
   * @return the {@code api_key}
   */
  public String apiKey() {
    return apiKey;
  }

  /**
   * What agents send after {@code Authorization: ApiKey }.
   *
   * @return {@code base64(id:api_key)}
   */
  public String encoded() {
    return Base64Credentials.encode(id, apiKey);
  }

  /**
   * The Beats format, for an intake server's own output settings.
   *
   * @return {@code id:api_key}
   */
  public String beatsFormat() {
    return id + ":" + apiKey;
  }

  /**
   * The credential, for checking it.
   *
   * @return the credential
   */
  public ApiKeyCredential credential() {
    return ApiKeyCredential.of(id, apiKey);
  }

  @Override
  public String toString() {
    return "CreatedKey[id=" + id + ", name=" + name + ", secret=***]";
  }
}
