package dev.intakeauth.elasticsearch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.intakeauth.ApiKeyCredential;
import java.io.IOException;
import java.io.InputStream;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.RequestOptions;
import org.elasticsearch.client.Response;
import org.elasticsearch.client.ResponseException;
import org.elasticsearch.client.RestClient;
import org.jspecify.annotations.Nullable;

/**
 * The transport of key management: one JSON request over the administrator's REST client, its
 * answer read as JSON, and every failure turned into a {@link KeyManagementException}.
 */
final class SecurityApi implements AutoCloseable {

  private final RestClient client;
  private final String hosts;
  private final boolean adminUsesApiKey;

  SecurityApi(ElasticsearchConnection admin) {
    this.client = admin.newClient();
    this.hosts = admin.hostsText();
    this.adminUsesApiKey = admin.authenticatesWithApiKey();
  }

  /** Whether the administrator's credentials are an API key (which Elasticsearch lets create only keys without privileges). */
  boolean adminUsesApiKey() {
    return adminUsesApiKey;
  }

  /** A request with the administrator's credentials. */
  JsonNode call(String method, String path, @Nullable String body) {
    return send(new Request(method, path), body, false);
  }

  /** A request with {@code credential} in place of the administrator's: Elasticsearch answers about that key. */
  JsonNode callAs(ApiKeyCredential credential, String method, String path, String body) {
    Request request = new Request(method, path);
    RequestOptions.Builder options = RequestOptions.DEFAULT.toBuilder();
    options.addHeader("Authorization", credential.authorizationValue());
    request.setOptions(options);
    return send(request, body, true);
  }

  private JsonNode send(Request request, @Nullable String body, boolean verifying) {
    if (body != null) {
      request.setJsonEntity(body);
    }
    Response response;
    try {
      response = client.performRequest(request);
    } catch (ResponseException e) {
      throw ElasticsearchError.of(e.getResponse()).toException(verifying);
    } catch (IOException e) {
      throw new KeyManagementException(KeyManagementException.Kind.UNREACHABLE,
          "Elasticsearch is unreachable at " + hosts + ": " + ElasticsearchConnection.describe(e));
    }
    try (InputStream in = response.getEntity().getContent()) {
      return SecurityJson.read(in);
    } catch (IOException | RuntimeException e) {
      throw new KeyManagementException(KeyManagementException.Kind.ELASTICSEARCH_ERROR, "Elasticsearch sent an answer that cannot be read");
    }
  }

  /** Closes the REST client. */
  @Override
  public void close() {
    try {
      client.close();
    } catch (IOException e) {
      // nothing left to do
    }
  }
}
