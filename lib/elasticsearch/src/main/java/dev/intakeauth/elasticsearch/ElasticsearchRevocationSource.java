package dev.intakeauth.elasticsearch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.intakeauth.RevocationSource;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.elasticsearch.client.Cancellable;
import org.elasticsearch.client.HttpAsyncResponseConsumerFactory;
import org.elasticsearch.client.Node;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.RequestOptions;
import org.elasticsearch.client.Response;
import org.elasticsearch.client.ResponseException;
import org.elasticsearch.client.ResponseListener;
import org.elasticsearch.client.RestClient;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link RevocationSource} over Elasticsearch's query API keys endpoint
 * ({@code POST /_security/_query/api_key}, Elasticsearch 7.15 and later), for a
 * {@link dev.intakeauth.RevocationFeed} in front of an {@link ElasticsearchPrivilegeChecker}. It asks
 * with the intake server's own credential, never an agent's, and one request answers for up to a
 * chunk of ids: only the keys among them that are invalidated, or whose expiration has passed by
 * Elasticsearch's clock, come back, and only their ids.
 *
 * <p>The credential needs a cluster privilege that shows every user's API keys: {@code read_security}
 * on Elasticsearch 8.x (the least; 7.17 does not have it) or {@code manage_api_key} (7.17 and 8.x).
 * With only {@code manage_own_api_key}, Elasticsearch answers about the credential's own keys and
 * silently leaves out the others: they would be revoked only when their cache lifetime ends. The
 * source therefore checks the credential's privileges once with {@code _has_privileges} and logs a
 * warning that names the missing privilege. Because only revoked keys are returned, a key the
 * credential cannot see, a key Elasticsearch has deleted (invalidated keys are deleted after a
 * retention period, days by default) and an id that never existed are all left alone: a narrow view
 * can make the feed miss revocations, never evict every answer.
 *
 * <pre>{@code
 * ElasticsearchConnection server = ElasticsearchConnection.builder()
 *     .hosts("https://es1:9200")
 *     .apiKey(System.getenv("INTAKE_SERVER_API_KEY"))
 *     .build();
 * RevocationFeed feed = RevocationFeed.builder(apiKeys, ElasticsearchRevocationSource.create(server)).build().start();
 * }</pre>
 *
 * <p>Thread-safe. Close it to close the REST client it made.
 */
public final class ElasticsearchRevocationSource implements RevocationSource, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ElasticsearchRevocationSource.class);
  private static final String PATH = "/_security/_query/api_key";
  private static final String HAS_PRIVILEGES = "/_security/user/_has_privileges";
  /** The cluster privileges that show every user's API keys, the least first. */
  static final String READ_SECURITY = "read_security";
  static final String MANAGE_API_KEY = "manage_api_key";
  /** An id comes back as {@code {"id":"..."}}; generous room per id, and for the envelope. */
  private static final int BYTES_PER_ID = 256;
  private static final int ENVELOPE_BYTES = 4096;

  private final RestClient client;
  private final boolean ownsClient;
  /** Null until the credential's privileges were checked; then whether it sees every user's keys. */
  private final AtomicReference<Boolean> seesEveryKey = new AtomicReference<>();

  private ElasticsearchRevocationSource(RestClient client, boolean ownsClient) {
    this.client = client;
    this.ownsClient = ownsClient;
  }

  /**
   * A source over its own REST client for this connection; {@link #close()} closes that client.
   *
   * @param connection where Elasticsearch is, with the intake server's own credential
   *     ({@link ElasticsearchConnection.Builder#apiKey} or {@link ElasticsearchConnection.Builder#basicAuth})
   * @return the source
   * @throws IllegalArgumentException if the connection has no credentials
   */
  public static ElasticsearchRevocationSource create(ElasticsearchConnection connection) {
    if (!connection.hasCredentials()) {
      throw new IllegalArgumentException("the revocation feed asks with the intake server's own credential: set apiKey or basicAuth on the connection");
    }
    return new ElasticsearchRevocationSource(connection.newClient(), true);
  }

  /**
   * Wraps a REST client the caller made and keeps owning: {@link #close()} leaves it open. The client
   * must send the intake server's own credential (a default {@code Authorization} header).
   *
   * @param client the client
   * @return the source
   */
  public static ElasticsearchRevocationSource using(RestClient client) {
    return new ElasticsearchRevocationSource(Objects.requireNonNull(client, "client"), false);
  }

  @Override
  public CompletableFuture<Set<String>> revoked(Set<String> keyIds) {
    if (keyIds.isEmpty()) {
      return CompletableFuture.completedFuture(Set.of());
    }
    if (seesEveryKey.get() == null) {
      checkPrivileges();
    }
    Request request = new Request("POST", PATH);
    // Only the ids: the rest of each key's record (owner, role descriptors) is not needed here.
    request.addParameter("filter_path", "total,api_keys.id");
    request.setJsonEntity(SecurityJson.revokedAmong(keyIds));
    RequestOptions.Builder options = RequestOptions.DEFAULT.toBuilder();
    options.setHttpAsyncResponseConsumerFactory(
        new HttpAsyncResponseConsumerFactory.HeapBufferedResponseConsumerFactory(ENVELOPE_BYTES + BYTES_PER_ID * keyIds.size()));
    request.setOptions(options);
    return send(request, response -> read(response, keyIds));
  }

  /**
   * Whether the credential was found to see every user's API keys: true or false once checked, null
   * before (the check runs with the first question, and again after it could not be made).
   *
   * @return the result of the check, or null
   */
  public @Nullable Boolean seesEveryKey() {
    return seesEveryKey.get();
  }

  /** Asks once whether the credential holds a privilege that shows every user's keys, and warns if not. */
  private void checkPrivileges() {
    hasClusterPrivileges(List.of(READ_SECURITY, MANAGE_API_KEY)).handle((held, failure) -> {
      if (failure instanceof ResponseException re && re.getResponse().getStatusLine().getStatusCode() == 400) {
        // 7.17 does not know read_security.
        return hasClusterPrivileges(List.of(MANAGE_API_KEY));
      }
      return failure != null ? CompletableFuture.<Boolean>failedFuture(failure) : CompletableFuture.completedFuture(held);
    }).thenCompose(f -> f).whenComplete((held, failure) -> {
      if (held == null) {
        // Not known: checked again with the next question.
        return;
      }
      if (seesEveryKey.compareAndSet(null, held) && !held) {
        LOG.warn("Revocation feed: the intake server's Elasticsearch credential sees only its own API keys, so keys of other users"
            + " are revoked here only when their cache lifetime ends. Grant it the cluster privilege read_security (Elasticsearch 8.x)"
            + " or manage_api_key (7.17).");
      }
    });
  }

  private CompletableFuture<Boolean> hasClusterPrivileges(List<String> privileges) {
    Request request = new Request("POST", HAS_PRIVILEGES);
    request.setJsonEntity(SecurityJson.clusterPrivileges(privileges));
    return send(request, response -> {
      JsonNode json = json(response);
      boolean any = false;
      for (String p : privileges) {
        any |= json.path("cluster").path(p).asBoolean(false);
      }
      return any;
    });
  }

  private interface Reader<T> {
    T read(Response response) throws IOException;
  }

  private <T> CompletableFuture<T> send(Request request, Reader<T> reader) {
    CompletableFuture<T> answer = new CompletableFuture<>();
    Cancellable call;
    try {
      call = client.performRequestAsync(request, new ResponseListener() {
        @Override
        public void onSuccess(Response response) {
          try {
            answer.complete(reader.read(response));
          } catch (IOException | RuntimeException e) {
            answer.completeExceptionally(new IllegalStateException("Elasticsearch sent an answer to " + request.getEndpoint() + " that cannot be read"));
          }
        }

        @Override
        public void onFailure(Exception exception) {
          answer.completeExceptionally(exception instanceof ResponseException re ? failure(re) : new IllegalStateException(
              "Elasticsearch unreachable (" + ElasticsearchConnection.describe(exception) + ")"));
        }
      });
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(new IllegalStateException("request could not be sent: " + e.getClass().getSimpleName()));
    }
    answer.whenComplete((r, e) -> {
      if (answer.isCancelled()) {
        call.cancel();
      }
    });
    return answer;
  }

  /** The failure of an answer with an error status, in words that say what to do, with the request kept for the privilege check. */
  private static Exception failure(ResponseException e) {
    Response response = e.getResponse();
    int status = response.getStatusLine().getStatusCode();
    String endpoint = response.getRequestLine().getUri();
    if (endpoint.contains(HAS_PRIVILEGES) && status == 400) {
      return e;
    }
    ElasticsearchError error = ElasticsearchError.of(response);
    String message = switch (status) {
      case 401 -> "Elasticsearch refused the intake server's credential (401)";
      case 403 -> "the intake server's credential may not query API keys (403): grant it the cluster privilege read_security"
          + " (Elasticsearch 8.x) or manage_api_key (7.17)";
      case 404, 405 -> "Elasticsearch answered " + status + " to the query API keys request: it needs Elasticsearch 7.15 or later";
      default -> "Elasticsearch answered " + status + (error.type() != null ? " (" + error.type() + ")" : "");
    };
    return new IllegalStateException(message);
  }

  private static Set<String> read(Response response, Set<String> asked) throws IOException {
    JsonNode json = json(response);
    JsonNode keys = json.path("api_keys");
    if (!json.path("total").isNumber() || !(keys.isMissingNode() || keys.isArray())) {
      // filter_path leaves out an empty list, never the total.
      throw new IOException("not a query API keys answer");
    }
    Set<String> revoked = new HashSet<>();
    for (JsonNode key : keys) {
      String id = key.path("id").asText(null);
      if (id != null && asked.contains(id)) {
        revoked.add(id);
      }
    }
    if (json.path("total").asLong() > revoked.size()) {
      // Cannot happen with size equal to the ids asked about; a partial answer still evicts what it names.
      LOG.debug("query API keys: {} matches, {} returned", json.path("total").asLong(), revoked.size());
    }
    return revoked;
  }

  private static JsonNode json(Response response) throws IOException {
    if (response.getEntity() == null) {
      throw new IOException("no body");
    }
    try (InputStream in = response.getEntity().getContent()) {
      return SecurityJson.read(in);
    }
  }

  /** Closes the REST client, unless it was passed in with {@link #using(RestClient)}. */
  @Override
  public void close() {
    if (ownsClient) {
      ElasticsearchConnection.closeQuietly(client);
    }
  }

  @Override
  public String toString() {
    return "ElasticsearchRevocationSource" + ElasticsearchConnection.hostsOf(client);
  }
}
