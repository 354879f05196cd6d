package dev.intakeauth;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The application privileges an intake server works with: the Elasticsearch application name, the
 * resource the privileges apply to, and the privileges themselves.
 *
 * <p>{@link #APM} is APM Server's set. Every backend is asked for all of these privileges at once, so
 * that one cached answer serves every later check.
 *
 * @param application the application name in Elasticsearch, for example {@code apm}
 * @param resource the resource privileges are checked on, for example {@code -}
 * @param privileges the privileges, in a stable order; not empty, no duplicates
 */
public record ApplicationPrivileges(String application, String resource, List<Privilege> privileges) {

  /** Application {@code apm}, resource {@code -}, the three APM privileges. */
  public static final ApplicationPrivileges APM =
      new ApplicationPrivileges(
          "apm",
          "-",
          List.of(Privilege.AGENT_CONFIG_READ, Privilege.EVENT_WRITE, Privilege.SOURCEMAP_WRITE));

  /**
   * Validates and copies.
   *
   * @param application the application name
   * @param resource the resource
   * @param privileges the privileges
   * @throws IllegalArgumentException if a name is blank, the list is empty or holds duplicates
   */
  public ApplicationPrivileges {
    Objects.requireNonNull(application, "application");
    Objects.requireNonNull(resource, "resource");
    if (application.isBlank()) {
      throw new IllegalArgumentException("application must not be blank");
    }
    if (resource.isBlank()) {
      throw new IllegalArgumentException("resource must not be blank");
    }
    privileges = List.copyOf(privileges);
    if (privileges.isEmpty()) {
      throw new IllegalArgumentException("at least one privilege is needed");
    }
    if (Set.copyOf(privileges).size() != privileges.size()) {
      throw new IllegalArgumentException("duplicate privileges: " + privileges);
    }
  }

  /**
   * Makes a set for another application.
   *
   * @param application the application name
   * @param resource the resource
   * @param privileges the privilege names
   * @return the application privileges
   */
  public static ApplicationPrivileges of(String application, String resource, String... privileges) {
    return new ApplicationPrivileges(
        application, resource, java.util.Arrays.stream(privileges).map(Privilege::of).toList());
  }

  /**
   * Whether this set includes the privilege.
   *
   * @param privilege the privilege
   * @return true if it is one of {@link #privileges()}
   */
  public boolean contains(Privilege privilege) {
    return privileges.contains(privilege);
  }

  /**
   * Looks a privilege up by name among these.
   *
   * @param name a privilege name
   * @return the privilege
   * @throws IllegalArgumentException if the name is not one of these privileges
   */
  public Privilege privilege(String name) {
    for (Privilege p : privileges) {
      if (p.name().equals(name)) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "unknown privilege \"" + name + "\" for application " + application + "; known: " + privileges);
  }
}
