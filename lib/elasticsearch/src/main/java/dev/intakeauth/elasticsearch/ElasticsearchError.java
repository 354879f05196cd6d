package dev.intakeauth.elasticsearch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.intakeauth.internal.LogSafe;
import java.io.IOException;
import java.io.InputStream;
import org.elasticsearch.client.Response;
import org.jspecify.annotations.Nullable;

/**
 * An error answer of Elasticsearch: its HTTP status and the {@code error.type} and
 * {@code error.reason} of its JSON body ({@code {"error":{"type":...,"reason":...},"status":...}}).
 * Failures are told apart by status and type, never by the words of the reason, which vary between
 * versions and may quote what the caller sent.
 *
 * @param status the HTTP status
 * @param type such as {@code illegal_argument_exception}; null when the body is not Elasticsearch's
 * @param reason the reason, made printable and bounded; empty when there is none
 */
record ElasticsearchError(int status, @Nullable String type, String reason) {

  /** A request Elasticsearch refuses as it stands, such as an API key creating keys that carry privileges. */
  static final String ILLEGAL_ARGUMENT = "illegal_argument_exception";

  /** Nothing matched, as a key query that finds no key may be answered. */
  static final String RESOURCE_NOT_FOUND = "resource_not_found_exception";

  private static final int MAX_REASON = 300;

  /** Reads the status and, if the body is Elasticsearch's error JSON, its type and reason. */
  static ElasticsearchError of(Response response) {
    int status = response.getStatusLine().getStatusCode();
    JsonNode error = null;
    if (response.getEntity() != null) {
      try (InputStream in = response.getEntity().getContent()) {
        error = SecurityJson.read(in).path("error");
      } catch (IOException | RuntimeException e) {
        // not JSON: no type, no reason
      }
    }
    if (error == null) {
      return new ElasticsearchError(status, null, "");
    }
    // Some answers carry the reason as a plain string: {"error":"..."}.
    String type = error.path("type").isTextual() ? error.path("type").asText() : null;
    String reason = error.isTextual() ? error.asText() : error.path("reason").asText("");
    return new ElasticsearchError(status, type, LogSafe.text(reason, MAX_REASON));
  }

  /**
   * The failure for a person: by status, the reason appended.
   *
   * @param verifying whether the request carried the credential being verified rather than the administrator's
   */
  KeyManagementException toException(boolean verifying) {
    KeyManagementException.Kind kind;
    String message;
    if (status == 401) {
      kind = verifying ? KeyManagementException.Kind.INVALID_CREDENTIALS : KeyManagementException.Kind.UNAUTHORIZED;
      message = verifying
          ? "the credentials are not valid: the key is unknown, invalidated or expired"
          : "Elasticsearch refused the administrator's credentials (401)";
    } else {
      kind = status == 403 ? KeyManagementException.Kind.MISSING_PRIVILEGES : KeyManagementException.Kind.ELASTICSEARCH_ERROR;
      message = "Elasticsearch answered " + status + (reason.isEmpty() ? "" : ": " + reason);
    }
    return new KeyManagementException(kind, message, status, type);
  }
}
