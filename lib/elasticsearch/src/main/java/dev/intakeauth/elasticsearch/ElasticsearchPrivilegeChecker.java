package dev.intakeauth.elasticsearch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.ApplicationPrivileges;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.CheckResult;
import dev.intakeauth.Privilege;
import dev.intakeauth.PrivilegeChecker;
import dev.intakeauth.internal.Retry;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.elasticsearch.client.Cancellable;
import org.elasticsearch.client.Node;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.RequestOptions;
import org.elasticsearch.client.Response;
import org.elasticsearch.client.ResponseException;
import org.elasticsearch.client.ResponseListener;
import org.elasticsearch.client.RestClient;
import org.jspecify.annotations.Nullable;

/**
 * A {@link PrivilegeChecker} that asks Elasticsearch which application privileges an API key holds,
 * with {@code POST /_security/user/_has_privileges} sent with the agent's own {@code Authorization}
 * header, never the server's. All privileges of the scope are asked at once, so one answer serves
 * every later check once cached.
 *
 * <p>Elasticsearch answering 401 means the key is unknown, invalidated or expired. Every other
 * failure (refused or timed-out connections, 403, 429, 5xx, redirects, a body that cannot be read)
 * means unavailable, and never carries the credential: reasons name the status or the exception
 * type only.
 *
 * <pre>{@code
 * ElasticsearchConnection es = ElasticsearchConnection.builder()
 *     .hosts("https://es1:9200", "https://es2:9200")
 *     .caCertificate(Path.of("ca.pem"))
 *     .build();
 * CachingPrivilegeChecker apiKeys = ElasticsearchPrivilegeChecker.create(es).cached();  // close() closes the client
 * Authenticator auth = Authenticator.builder().apiKeys(apiKeys).build();
 * }</pre>
 *
 * <p>Works with Elasticsearch 7.17 and 8.x. Thread-safe. Close it to close the REST client it made.
 */
public final class ElasticsearchPrivilegeChecker implements PrivilegeChecker, AutoCloseable {

  private static final String PATH = "/_security/user/_has_privileges";

  private final RestClient client;
  private final boolean ownsClient;
  private final Map<ApplicationPrivileges, String> bodies = new java.util.concurrent.ConcurrentHashMap<>();

  private ElasticsearchPrivilegeChecker(RestClient client, boolean ownsClient) {
    this.client = client;
    this.ownsClient = ownsClient;
  }

  /**
   * A checker over its own REST client for this connection; {@link #close()} closes that client.
   *
   * @param connection where Elasticsearch is; it must carry no credentials of its own
   * @return the checker
   * @throws IllegalArgumentException if the connection has credentials: only the agent's are sent
   */
  public static ElasticsearchPrivilegeChecker create(ElasticsearchConnection connection) {
    if (connection.hasCredentials()) {
      throw new IllegalArgumentException("API key checks send the agent's own credential; use a connection without credentials");
    }
    return new ElasticsearchPrivilegeChecker(connection.newClient(), true);
  }

  /**
   * Wraps a REST client the caller made and keeps owning: {@link #close()} leaves it open. The client
   * must not add credentials of its own to requests (no default {@code Authorization} header, no
   * credentials provider), or Elasticsearch could authenticate the server instead of the agent.
   *
   * @param client the client
   * @return the checker
   */
  public static ElasticsearchPrivilegeChecker using(RestClient client) {
    return new ElasticsearchPrivilegeChecker(Objects.requireNonNull(client, "client"), false);
  }

  @Override
  public CompletableFuture<CheckResult> checkAsync(ApiKeyCredential credential, ApplicationPrivileges scope) {
    Request request = new Request("POST", PATH);
    request.setJsonEntity(bodies.computeIfAbsent(scope, ElasticsearchPrivilegeChecker::body));
    RequestOptions.Builder options = RequestOptions.DEFAULT.toBuilder();
    options.addHeader("Authorization", credential.authorizationValue());
    request.setOptions(options);

    CompletableFuture<CheckResult> answer = new CompletableFuture<>();
    Cancellable call;
    try {
      call = client.performRequestAsync(request, new ResponseListener() {
        @Override
        public void onSuccess(Response response) {
          answer.complete(read(response, scope));
        }

        @Override
        public void onFailure(Exception exception) {
          answer.complete(failed(exception));
        }
      });
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(unavailable("request could not be sent: " + e.getClass().getSimpleName(), null));
    }
    answer.whenComplete((r, e) -> {
      if (answer.isCancelled()) {
        call.cancel();
      }
    });
    return answer;
  }

  /**
   * This checker behind the core's caching layer with its defaults (answers kept 60 s, 100 new keys
   * a minute, 3 s deadline, circuit breaker). Closing the result closes this checker.
   *
   * @return the caching checker
   */
  public CachingPrivilegeChecker cached() {
    return cached(b -> { });
  }

  /**
   * This checker behind the core's caching layer, with settings changed by {@code settings}.
   *
   * @param settings changes to the caching layer's defaults
   * @return the caching checker; closing it closes this checker
   */
  public CachingPrivilegeChecker cached(Consumer<CachingPrivilegeChecker.Builder> settings) {
    CachingPrivilegeChecker.Builder b = CachingPrivilegeChecker.builder(this);
    settings.accept(b);
    return b.build();
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
    return "ElasticsearchPrivilegeChecker" + ElasticsearchConnection.hostsOf(client);
  }

  private static String body(ApplicationPrivileges scope) {
    return SecurityJson.hasPrivileges(null, scope.application(), scope.privileges(), scope.resource());
  }

  private static CheckResult read(Response response, ApplicationPrivileges scope) {
    int status = response.getStatusLine().getStatusCode();
    if (status != 200) {
      return byStatus(status, response);
    }
    JsonNode json;
    try (InputStream in = response.getEntity().getContent()) {
      json = SecurityJson.read(in);
    } catch (IOException | RuntimeException e) {
      return unavailable("unreadable _has_privileges answer (" + e.getClass().getSimpleName() + ")", null);
    }
    JsonNode resource = json == null ? null : json.path("application").path(scope.application()).get(scope.resource());
    if (resource == null || !resource.isObject()) {
      return unavailable("_has_privileges answer without application " + scope.application() + " resource " + scope.resource(), null);
    }
    Set<Privilege> held = new LinkedHashSet<>();
    for (Privilege p : scope.privileges()) {
      JsonNode granted = resource.get(p.name());
      if (granted == null || !granted.isBoolean()) {
        return unavailable("_has_privileges answer without privilege " + p.name(), null);
      }
      if (granted.booleanValue()) {
        held.add(p);
      }
    }
    JsonNode username = json.get("username");
    return new CheckResult.Granted(held, username != null && username.isTextual() ? username.asText() : null);
  }

  private static CheckResult failed(Exception exception) {
    if (exception instanceof ResponseException re) {
      return byStatus(re.getResponse().getStatusLine().getStatusCode(), re.getResponse());
    }
    return unavailable("Elasticsearch unreachable (" + ElasticsearchConnection.describe(exception) + ")", null);
  }

  private static CheckResult byStatus(int status, Response response) {
    if (status == 401) {
      return CheckResult.UNKNOWN_KEY;
    }
    return unavailable("Elasticsearch answered " + status, response.getHeader("Retry-After"));
  }

  private static CheckResult.Unavailable unavailable(String reason, @Nullable String retryAfter) {
    Duration hint = Retry.MINIMUM;
    if (retryAfter != null) {
      try {
        hint = Retry.atLeastOneSecond(Duration.ofSeconds(Math.min(3600, Long.parseLong(retryAfter.strip()))));
      } catch (NumberFormatException e) {
        // an HTTP date or garbage: keep the default
      }
    }
    return new CheckResult.Unavailable(hint, reason);
  }
}
