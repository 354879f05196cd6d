package dev.intakeauth.elasticsearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.ApplicationPrivileges;
import dev.intakeauth.Privilege;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.RequestOptions;
import org.elasticsearch.client.Response;
import org.elasticsearch.client.ResponseException;
import org.elasticsearch.client.RestClient;
import org.jspecify.annotations.Nullable;

/**
 * Manages the API keys agents and intake servers use, with an administrator's connection (basic
 * auth, or an API key with {@code manage_own_api_key} or {@code manage_api_key}).
 *
 * <ul>
 *   <li>agent keys: {@link #createAgentKey}, with the application's role descriptor and metadata
 *       {@code {"application":"apm"}} so that Kibana lists them among its agent keys; the caller's
 *       privileges are checked first and the missing ones named;
 *   <li>{@link #info}, {@link #agentKeys}, {@link #invalidate}, {@link #verify};
 *   <li>server keys for an intake server's own output ({@link #createServerKey}), also in the Beats
 *       format {@code id:api_key};
 *   <li>the role for people who create agent keys ({@link #createManagerRole}).
 * </ul>
 *
 * Every failure is a {@link KeyManagementException} whose message can be shown as it is. Secrets are
 * never logged. Close the manager to close its REST client.
 */
public final class ApiKeyManager implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern EXPIRATION = Pattern.compile("[1-9][0-9]{0,8}(ms|s|m|h|d)");

  private final RestClient client;
  private final String hosts;
  private final ApplicationPrivileges application;
  private final Clock clock;

  private ApiKeyManager(RestClient client, String hosts, ApplicationPrivileges application, Clock clock) {
    this.client = client;
    this.hosts = hosts;
    this.application = application;
    this.clock = clock;
  }

  /**
   * A manager for the APM application.
   *
   * @param admin a connection with an administrator's credentials (only {@link #verify} works without)
   * @return the manager
   */
  public static ApiKeyManager create(ElasticsearchConnection admin) {
    return create(admin, ApplicationPrivileges.APM);
  }

  /**
   * A manager for another application's privileges.
   *
   * @param admin a connection with an administrator's credentials (only {@link #verify} works without)
   * @param application the application and its privileges
   * @return the manager
   */
  public static ApiKeyManager create(ElasticsearchConnection admin, ApplicationPrivileges application) {
    return new ApiKeyManager(admin.newClient(), admin.hostsText(), application, Clock.systemUTC());
  }

  /** A key just created. Show the secret once; {@code toString()} never does. */
  public static final class CreatedKey {
    private final String id;
    private final String name;
    private final @Nullable Instant expiration;
    private final String apiKey;

    CreatedKey(String id, String name, @Nullable Instant expiration, String apiKey) {
      this.id = id;
      this.name = name;
      this.expiration = expiration;
      this.apiKey = apiKey;
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
      return Base64.getEncoder().encodeToString((id + ":" + apiKey).getBytes(StandardCharsets.UTF_8));
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

  /**
   * What Elasticsearch knows about a key. No secret.
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

  /**
   * What an invalidation did.
   *
   * @param invalidated ids invalidated now
   * @param previouslyInvalidated ids that were invalidated already
   * @param errorCount errors Elasticsearch reported
   */
  public record Invalidation(List<String> invalidated, List<String> previouslyInvalidated, int errorCount) {}

  /**
   * Which keys: by id or by name (exactly one).
   *
   * @param id a key id, or null
   * @param name a key name, or null
   */
  public record KeySelector(@Nullable String id, @Nullable String name) {
    /**
     * Checks that exactly one is given; a blank one counts as not given and becomes null.
     *
     * @param id a key id, or null
     * @param name a key name, or null
     */
    public KeySelector {
      id = id == null || id.isBlank() ? null : id;
      name = name == null || name.isBlank() ? null : name;
      if ((id == null) == (name == null)) {
        throw new KeyManagementException(KeyManagementException.Kind.INVALID_ARGUMENT, "give either a key id or a key name (exactly one)");
      }
    }

    /**
     * By id.
     *
     * @param id the key id
     * @return the selector
     */
    public static KeySelector byId(String id) {
      return new KeySelector(id, null);
    }

    /**
     * By name.
     *
     * @param name the key name
     * @return the selector
     */
    public static KeySelector byName(String name) {
      return new KeySelector(null, name);
    }
  }

  /**
   * Creates an agent key, after checking that the caller may.
   *
   * @param name the key's name
   * @param privileges privileges of the application; empty means all of them
   * @param expiration such as {@code 1d}, {@code 12h}, {@code 30m}; null for never
   * @return the key, with its secret
   * @throws KeyManagementException for a bad argument, missing privileges, wrong credentials, an unreachable cluster
   */
  public CreatedKey createAgentKey(String name, Collection<Privilege> privileges, @Nullable String expiration) {
    requireName(name);
    checkExpiration(expiration);
    List<Privilege> granted = privileges.isEmpty() ? application.privileges() : known(privileges);
    List<String> missing = missingToGrant(granted);
    if (!missing.isEmpty()) {
      throw new KeyManagementException(KeyManagementException.Kind.MISSING_PRIVILEGES,
          "the user creating the key lacks these privileges: " + String.join(", ", missing), missing);
    }
    ObjectNode role = JSON.createObjectNode();
    role.putArray("applications").add(applicationPrivileges(granted, "*"));
    ObjectNode descriptors = JSON.createObjectNode();
    descriptors.set(application.application(), role);
    return create(name, descriptors, expiration);
  }

  /**
   * Creates a key for an intake server's own output to Elasticsearch.
   *
   * @param name the key's name
   * @param roles the role descriptors; empty means writer, source maps and agent configuration
   * @param expiration such as {@code 30d}; null for never
   * @return the key; {@link CreatedKey#beatsFormat()} is what the server's output setting takes
   */
  public CreatedKey createServerKey(String name, Collection<ServerKeyRole> roles, @Nullable String expiration) {
    requireName(name);
    checkExpiration(expiration);
    Collection<ServerKeyRole> chosen = roles.isEmpty() ? List.of(ServerKeyRole.WRITER, ServerKeyRole.SOURCEMAP, ServerKeyRole.AGENT_CONFIG) : roles;
    ObjectNode descriptors = JSON.createObjectNode();
    for (ServerKeyRole r : new LinkedHashSet<>(chosen)) {
      descriptors.set(r.descriptorName(), parse(r.descriptorJson()));
    }
    return create(name, descriptors, expiration);
  }

  /**
   * Keys by id or name.
   *
   * @param which the id or name
   * @param validOnly only keys that are neither invalidated nor expired
   * @return the keys, possibly none
   */
  public List<KeyInfo> info(KeySelector which, boolean validOnly) {
    String query = which.id() != null ? "id=" + encode(which.id()) : "name=" + encode(Objects.requireNonNull(which.name()));
    return keys("/_security/api_key?" + query, validOnly);
  }

  /**
   * The agent keys this administrator can see: keys whose metadata names the application.
   *
   * @param validOnly only keys that are neither invalidated nor expired
   * @return the keys
   */
  public List<KeyInfo> agentKeys(boolean validOnly) {
    List<KeyInfo> out = new ArrayList<>();
    for (KeyInfo k : keys("/_security/api_key", validOnly)) {
      if (application.application().equals(k.metadataApplication())) {
        out.add(k);
      }
    }
    return out;
  }

  /**
   * Invalidates keys by id or name.
   *
   * @param which the id or name
   * @return what was invalidated
   */
  public Invalidation invalidate(KeySelector which) {
    ObjectNode body = JSON.createObjectNode();
    if (which.id() != null) {
      body.putArray("ids").add(which.id());
    } else {
      body.put("name", which.name());
    }
    JsonNode r = call("DELETE", "/_security/api_key", body.toString(), null);
    return new Invalidation(texts(r.path("invalidated_api_keys")), texts(r.path("previously_invalidated_api_keys")), r.path("error_count").asInt());
  }

  /**
   * Checks a credential against privileges, asking Elasticsearch with that credential itself.
   *
   * @param credential the key to check
   * @param privileges the privileges; empty means all of the application's
   * @return an answer per privilege, in the order asked
   * @throws KeyManagementException {@link KeyManagementException.Kind#INVALID_CREDENTIALS} for an unknown, invalidated or expired key
   */
  public Map<Privilege, Boolean> verify(ApiKeyCredential credential, Collection<Privilege> privileges) {
    List<Privilege> asked = privileges.isEmpty() ? application.privileges() : known(privileges);
    JsonNode r = call("POST", "/_security/user/_has_privileges", hasPrivilegesBody(null, asked, application.resource()), credential.authorizationValue());
    JsonNode resource = r.path("application").path(application.application()).path(application.resource());
    Map<Privilege, Boolean> out = new LinkedHashMap<>();
    for (Privilege p : asked) {
      out.put(p, resource.path(p.name()).asBoolean(false));
    }
    return out;
  }

  /**
   * Which of these privileges the administrator lacks to create a key that grants them (and
   * {@code manage_own_api_key}).
   *
   * @param privileges the privileges the key would grant
   * @return missing privileges, such as {@code manage_own_api_key} or {@code apm:event:write}; empty when none
   */
  public List<String> missingToGrant(Collection<Privilege> privileges) {
    JsonNode r = call("POST", "/_security/user/_has_privileges", hasPrivilegesBody("manage_own_api_key", privileges, "*"), null);
    List<String> missing = new ArrayList<>();
    if (!r.path("cluster").path("manage_own_api_key").asBoolean(false)) {
      missing.add("manage_own_api_key");
    }
    JsonNode resource = r.path("application").path(application.application()).path("*");
    for (Privilege p : privileges) {
      if (!resource.path(p.name()).asBoolean(false)) {
        missing.add(application.application() + ":" + p.name());
      }
    }
    return missing;
  }

  /**
   * Creates (or updates) the role for people who create agent keys: {@code manage_own_api_key} and
   * the application's privileges, plus Kibana's APM feature in a space when one is given.
   *
   * @param roleName such as {@code apm_agent_key_role}
   * @param kibanaSpace a Kibana space such as {@code default}, or null to leave Kibana out
   * @return true if the role was created, false if it existed and was updated
   */
  public boolean createManagerRole(String roleName, @Nullable String kibanaSpace) {
    requireName(roleName);
    ObjectNode body = JSON.createObjectNode();
    body.putArray("cluster").add("manage_own_api_key");
    ArrayNode apps = body.putArray("applications");
    apps.add(applicationPrivileges(application.privileges(), "*"));
    if (kibanaSpace != null) {
      ObjectNode kibana = apps.addObject().put("application", "kibana-.kibana");
      kibana.putArray("privileges").add("feature_apm.all");
      kibana.putArray("resources").add("space:" + kibanaSpace);
    }
    JsonNode r = call("PUT", "/_security/role/" + encode(roleName), body.toString(), null);
    return r.path("role").path("created").asBoolean(false);
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

  @Override
  public String toString() {
    return "ApiKeyManager[" + application.application() + "]";
  }

  private CreatedKey create(String name, ObjectNode descriptors, @Nullable String expiration) {
    ObjectNode body = JSON.createObjectNode().put("name", name);
    if (expiration != null) {
      body.put("expiration", expiration);
    }
    body.set("role_descriptors", descriptors);
    body.set("metadata", JSON.createObjectNode().put("application", application.application()));
    JsonNode r;
    try {
      r = call("POST", "/_security/api_key", body.toString(), null);
    } catch (KeyManagementException e) {
      if (e.getMessage().contains("derived api keys")) {
        throw new KeyManagementException(KeyManagementException.Kind.INVALID_ARGUMENT,
            "Elasticsearch does not let an API key create keys that carry privileges; create keys with a user's credentials");
      }
      throw e;
    }
    Instant expires = r.hasNonNull("expiration") ? Instant.ofEpochMilli(r.get("expiration").asLong()) : null;
    return new CreatedKey(r.path("id").asText(), r.path("name").asText(name), expires, r.path("api_key").asText());
  }

  private List<KeyInfo> keys(String path, boolean validOnly) {
    JsonNode r;
    try {
      r = call("GET", path, null, null);
    } catch (KeyManagementException e) {
      if (e.kind() == KeyManagementException.Kind.ELASTICSEARCH_ERROR && e.getMessage().contains(" 404")) {
        return List.of();
      }
      throw e;
    }
    Instant now = clock.instant();
    List<KeyInfo> out = new ArrayList<>();
    for (JsonNode k : r.path("api_keys")) {
      KeyInfo info = new KeyInfo(k.path("id").asText(), k.path("name").asText(""), textOrNull(k.get("username")), textOrNull(k.get("realm")),
          k.hasNonNull("creation") ? Instant.ofEpochMilli(k.get("creation").asLong()) : null,
          k.hasNonNull("expiration") ? Instant.ofEpochMilli(k.get("expiration").asLong()) : null,
          k.path("invalidated").asBoolean(false), textOrNull(k.path("metadata").get("application")));
      if (!validOnly || info.validAt(now)) {
        out.add(info);
      }
    }
    return out;
  }

  private String hasPrivilegesBody(@Nullable String clusterPrivilege, Collection<Privilege> privileges, String resource) {
    ObjectNode body = JSON.createObjectNode();
    if (clusterPrivilege != null) {
      body.putArray("cluster").add(clusterPrivilege);
    }
    body.putArray("application").add(applicationPrivileges(privileges, resource));
    return body.toString();
  }

  /** {@code {"application": ..., "privileges": [...], "resources": [resource]}}, as roles and _has_privileges take it. */
  private ObjectNode applicationPrivileges(Collection<Privilege> privileges, String resource) {
    ObjectNode app = JSON.createObjectNode().put("application", application.application());
    ArrayNode names = app.putArray("privileges");
    privileges.forEach(p -> names.add(p.name()));
    app.putArray("resources").add(resource);
    return app;
  }

  /** One request; {@code as} replaces the administrator's credentials (for verify). */
  private JsonNode call(String method, String path, @Nullable String body, @Nullable String as) {
    Request request = new Request(method, path);
    if (body != null) {
      request.setJsonEntity(body);
    }
    if (as != null) {
      RequestOptions.Builder options = RequestOptions.DEFAULT.toBuilder();
      options.addHeader("Authorization", as);
      request.setOptions(options);
    }
    Response response;
    try {
      response = client.performRequest(request);
    } catch (ResponseException e) {
      throw fromStatus(e.getResponse(), as != null);
    } catch (IOException e) {
      throw new KeyManagementException(KeyManagementException.Kind.UNREACHABLE,
          "Elasticsearch is unreachable at " + hosts + ": " + ElasticsearchConnection.describe(e));
    }
    try (InputStream in = response.getEntity().getContent()) {
      return JSON.readTree(in);
    } catch (IOException | RuntimeException e) {
      throw new KeyManagementException(KeyManagementException.Kind.ELASTICSEARCH_ERROR, "Elasticsearch sent an answer that cannot be read");
    }
  }

  private static KeyManagementException fromStatus(Response response, boolean verifying) {
    int status = response.getStatusLine().getStatusCode();
    if (status == 401) {
      return verifying
          ? new KeyManagementException(KeyManagementException.Kind.INVALID_CREDENTIALS, "the credentials are not valid: the key is unknown, invalidated or expired")
          : new KeyManagementException(KeyManagementException.Kind.UNAUTHORIZED, "Elasticsearch refused the administrator's credentials (401)");
    }
    String reason = "";
    try (InputStream in = response.getEntity().getContent()) {
      JsonNode error = JSON.readTree(in).path("error");
      String text = error.isTextual() ? error.asText() : error.path("reason").asText("");
      reason = text.isEmpty() ? "" : ": " + (text.length() > 300 ? text.substring(0, 300) + "..." : text);
    } catch (IOException | RuntimeException e) {
      // no readable reason
    }
    if (status == 403) {
      return new KeyManagementException(KeyManagementException.Kind.MISSING_PRIVILEGES, "Elasticsearch answered 403" + reason);
    }
    return new KeyManagementException(KeyManagementException.Kind.ELASTICSEARCH_ERROR, "Elasticsearch answered " + status + reason);
  }

  private List<Privilege> known(Collection<Privilege> privileges) {
    List<Privilege> out = new ArrayList<>();
    for (Privilege p : privileges) {
      if (!application.contains(p)) {
        throw new KeyManagementException(KeyManagementException.Kind.INVALID_ARGUMENT,
            "unknown privilege; known: " + String.join(", ", application.privileges().stream().map(Privilege::name).toList()));
      }
      if (!out.contains(p)) {
        out.add(p);
      }
    }
    return out;
  }

  private static void checkExpiration(@Nullable String expiration) {
    if (expiration != null && !EXPIRATION.matcher(expiration).matches()) {
      throw new KeyManagementException(KeyManagementException.Kind.INVALID_ARGUMENT,
          "bad expiration: expected a number and a unit, such as 1d, 12h, 30m, 45s");
    }
  }

  private static void requireName(String name) {
    if (name == null || name.isBlank()) {
      throw new KeyManagementException(KeyManagementException.Kind.INVALID_ARGUMENT, "a name is required");
    }
  }

  private static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static @Nullable String textOrNull(@Nullable JsonNode n) {
    return n == null || n.isNull() ? null : n.asText();
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
