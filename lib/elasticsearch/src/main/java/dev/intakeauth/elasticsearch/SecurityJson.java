package dev.intakeauth.elasticsearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.intakeauth.Privilege;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The JSON of Elasticsearch's security APIs: request bodies, built with Jackson so that every name
 * and privilege is escaped, and small readers for the answers.
 */
final class SecurityJson {

  private static final ObjectMapper JSON = new ObjectMapper();

  private SecurityJson() {}

  /**
   * The body of {@code POST /_security/user/_has_privileges}, for one application and resource.
   *
   * @param clusterPrivilege a cluster privilege to ask about as well, or null
   */
  static String hasPrivileges(@Nullable String clusterPrivilege, String application, Collection<Privilege> privileges, String resource) {
    ObjectNode body = JSON.createObjectNode();
    if (clusterPrivilege != null) {
      body.putArray("cluster").add(clusterPrivilege);
    }
    body.putArray("application").add(applicationPrivileges(application, privileges, resource));
    return body.toString();
  }

  /** The role descriptors of an agent key: one role granting these privileges of the application on every resource. */
  static ObjectNode agentKeyRoles(String application, Collection<Privilege> privileges) {
    ObjectNode role = JSON.createObjectNode();
    role.putArray("applications").add(applicationPrivileges(application, privileges, "*"));
    ObjectNode descriptors = JSON.createObjectNode();
    descriptors.set(application, role);
    return descriptors;
  }

  /** The role descriptors of an intake server's own key, each role once. */
  static ObjectNode serverKeyRoles(Collection<ServerKeyRole> roles) {
    ObjectNode descriptors = JSON.createObjectNode();
    for (ServerKeyRole r : new LinkedHashSet<>(roles)) {
      descriptors.set(r.descriptorName(), parse(r.descriptorJson()));
    }
    return descriptors;
  }

  /** The body of {@code POST /_security/api_key}, with metadata naming the application (Kibana lists such keys). */
  static String createKey(String name, @Nullable String expiration, ObjectNode roleDescriptors, String application) {
    ObjectNode body = JSON.createObjectNode().put("name", name);
    if (expiration != null) {
      body.put("expiration", expiration);
    }
    body.set("role_descriptors", roleDescriptors);
    body.set("metadata", JSON.createObjectNode().put("application", application));
    return body.toString();
  }

  /** The body of {@code DELETE /_security/api_key}. */
  static String invalidate(KeySelector which) {
    ObjectNode body = JSON.createObjectNode();
    if (which.id() != null) {
      body.putArray("ids").add(which.id());
    } else {
      body.put("name", which.name());
    }
    return body.toString();
  }

  /**
   * The body of {@code PUT /_security/role/<name>} for people who create agent keys.
   *
   * @param kibanaSpace a Kibana space for its APM feature, or null to leave Kibana out
   */
  static String managerRole(String application, Collection<Privilege> privileges, @Nullable String kibanaSpace) {
    ObjectNode body = JSON.createObjectNode();
    body.putArray("cluster").add("manage_own_api_key");
    ArrayNode apps = body.putArray("applications");
    apps.add(applicationPrivileges(application, privileges, "*"));
    if (kibanaSpace != null) {
      ObjectNode kibana = apps.addObject().put("application", "kibana-.kibana");
      kibana.putArray("privileges").add("feature_apm.all");
      kibana.putArray("resources").add("space:" + kibanaSpace);
    }
    return body.toString();
  }

  /**
   * The body of {@code POST /_security/_query/api_key} that finds, among these ids, the keys that are
   * invalidated or whose expiration has passed by Elasticsearch's clock; as many hits as ids.
   */
  static String revokedAmong(Collection<String> ids) {
    ObjectNode body = JSON.createObjectNode().put("size", ids.size());
    ObjectNode bool = body.putObject("query").putObject("bool");
    ArrayNode values = bool.putArray("filter").addObject().putObject("ids").putArray("values");
    ids.forEach(values::add);
    ArrayNode should = bool.putArray("should");
    should.addObject().putObject("term").putObject("invalidated").put("value", true);
    should.addObject().putObject("range").putObject("expiration").put("lte", "now");
    bool.put("minimum_should_match", 1);
    return body.toString();
  }

  /** The body of {@code POST /_security/user/_has_privileges} for cluster privileges only. */
  static String clusterPrivileges(Collection<String> privileges) {
    ObjectNode body = JSON.createObjectNode();
    ArrayNode cluster = body.putArray("cluster");
    privileges.forEach(cluster::add);
    return body.toString();
  }

  /** {@code {"application": ..., "privileges": [...], "resources": [resource]}}, as roles and _has_privileges take it. */
  private static ObjectNode applicationPrivileges(String application, Collection<Privilege> privileges, String resource) {
    ObjectNode app = JSON.createObjectNode().put("application", application);
    ArrayNode names = app.putArray("privileges");
    privileges.forEach(p -> names.add(p.name()));
    app.putArray("resources").add(resource);
    return app;
  }

  /** Reads a body; the caller says what a failure means. */
  static JsonNode read(InputStream in) throws IOException {
    return JSON.readTree(in);
  }

  static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  static @Nullable String textOrNull(@Nullable JsonNode n) {
    return n == null || n.isNull() ? null : n.asText();
  }

  /** Elasticsearch's instants are milliseconds since the epoch. */
  static @Nullable Instant instantOrNull(@Nullable JsonNode millis) {
    return millis == null || millis.isNull() ? null : Instant.ofEpochMilli(millis.asLong());
  }

  private static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
