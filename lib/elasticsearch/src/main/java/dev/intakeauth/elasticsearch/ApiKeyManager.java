package dev.intakeauth.elasticsearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.ApplicationPrivileges;
import dev.intakeauth.Privilege;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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

  private static final String API_KEY = "/_security/api_key";
  private static final String HAS_PRIVILEGES = "/_security/user/_has_privileges";
  private static final String MANAGE_OWN_API_KEY = "manage_own_api_key";

  private final SecurityApi api;
  private final ApplicationPrivileges application;

  private ApiKeyManager(SecurityApi api, ApplicationPrivileges application) {
    this.api = api;
    this.application = application;
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
    return new ApiKeyManager(new SecurityApi(admin), application);
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
    KeyArguments.requireName(name);
    KeyArguments.checkExpiration(expiration);
    List<Privilege> granted = KeyArguments.privilegesOf(application, privileges);
    List<String> missing = missingToGrant(granted);
    if (!missing.isEmpty()) {
      throw new KeyManagementException(KeyManagementException.Kind.MISSING_PRIVILEGES,
          "the user creating the key lacks these privileges: " + String.join(", ", missing), missing);
    }
    return create(name, SecurityJson.agentKeyRoles(application.application(), granted), expiration);
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
    KeyArguments.requireName(name);
    KeyArguments.checkExpiration(expiration);
    Collection<ServerKeyRole> chosen = roles.isEmpty() ? List.of(ServerKeyRole.WRITER, ServerKeyRole.SOURCEMAP, ServerKeyRole.AGENT_CONFIG) : roles;
    return create(name, SecurityJson.serverKeyRoles(chosen), expiration);
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
    return keys(API_KEY + "?" + query, validOnly);
  }

  /**
   * The agent keys this administrator can see: keys whose metadata names the application.
   *
   * @param validOnly only keys that are neither invalidated nor expired
   * @return the keys
   */
  public List<KeyInfo> agentKeys(boolean validOnly) {
    List<KeyInfo> out = new ArrayList<>();
    for (KeyInfo k : keys(API_KEY, validOnly)) {
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
    return Invalidation.from(api.call("DELETE", API_KEY, SecurityJson.invalidate(which)));
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
    List<Privilege> asked = KeyArguments.privilegesOf(application, privileges);
    JsonNode answer = api.callAs(credential, "POST", HAS_PRIVILEGES,
        SecurityJson.hasPrivileges(null, application.application(), asked, application.resource()));
    Map<Privilege, Boolean> out = new LinkedHashMap<>();
    for (Privilege p : asked) {
      out.put(p, held(answer, application.resource(), p));
    }
    return out;
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
    KeyArguments.requireName(roleName);
    JsonNode answer = api.call("PUT", "/_security/role/" + encode(roleName),
        SecurityJson.managerRole(application.application(), application.privileges(), kibanaSpace));
    return answer.path("role").path("created").asBoolean(false);
  }

  /** Closes the REST client. */
  @Override
  public void close() {
    api.close();
  }

  @Override
  public String toString() {
    return "ApiKeyManager[" + application.application() + "]";
  }

  /**
   * Which of these privileges the administrator lacks to create a key that grants them (and
   * {@code manage_own_api_key}), such as {@code apm:event:write}.
   */
  private List<String> missingToGrant(Collection<Privilege> privileges) {
    JsonNode answer = api.call("POST", HAS_PRIVILEGES, SecurityJson.hasPrivileges(MANAGE_OWN_API_KEY, application.application(), privileges, "*"));
    List<String> missing = new ArrayList<>();
    if (!answer.path("cluster").path(MANAGE_OWN_API_KEY).asBoolean(false)) {
      missing.add(MANAGE_OWN_API_KEY);
    }
    for (Privilege p : privileges) {
      if (!held(answer, "*", p)) {
        missing.add(application.application() + ":" + p.name());
      }
    }
    return missing;
  }

  /** Whether a {@code _has_privileges} answer grants the privilege on the resource; a missing answer is no. */
  private boolean held(JsonNode answer, String resource, Privilege p) {
    return answer.path("application").path(application.application()).path(resource).path(p.name()).asBoolean(false);
  }

  private CreatedKey create(String name, ObjectNode roles, @Nullable String expiration) {
    JsonNode answer;
    try {
      answer = api.call("POST", API_KEY, SecurityJson.createKey(name, expiration, roles, application.application()));
    } catch (KeyManagementException e) {
      if (api.adminUsesApiKey() && e.answered(400, ElasticsearchError.ILLEGAL_ARGUMENT)) {
        // Every key made here carries privileges, and Elasticsearch refuses those to a caller that is itself an API key.
        throw new KeyManagementException(KeyManagementException.Kind.INVALID_ARGUMENT,
            "Elasticsearch does not let an API key create keys that carry privileges; create keys with a user's credentials");
      }
      throw e;
    }
    return CreatedKey.from(answer, name);
  }

  private List<KeyInfo> keys(String path, boolean validOnly) {
    JsonNode answer;
    try {
      answer = api.call("GET", path, null);
    } catch (KeyManagementException e) {
      if (e.answered(404, ElasticsearchError.RESOURCE_NOT_FOUND)) {
        return List.of();
      }
      throw e;
    }
    Instant now = Instant.now();
    List<KeyInfo> out = new ArrayList<>();
    for (JsonNode k : answer.path("api_keys")) {
      KeyInfo info = KeyInfo.from(k);
      if (!validOnly || info.validAt(now)) {
        out.add(info);
      }
    }
    return out;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
