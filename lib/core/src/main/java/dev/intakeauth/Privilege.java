package dev.intakeauth;

import java.util.Objects;

/**
 * An application privilege, such as {@code event:write}. Two privileges are equal when their names
 * are equal.
 *
 * <p>The three privileges of APM agents are constants; other intake servers make their own with
 * {@link #of(String)} and list them in an {@link ApplicationPrivileges}.
 *
 * @param name the privilege's name as Elasticsearch knows it; not blank, no whitespace
 */
public record Privilege(String name) {

  /** Ingesting agent events. */
  public static final Privilege EVENT_WRITE = new Privilege("event:write");

  /** Agents reading central configuration. */
  public static final Privilege AGENT_CONFIG_READ = new Privilege("config_agent:read");

  /** Uploading source maps. */
  public static final Privilege SOURCEMAP_WRITE = new Privilege("sourcemap:write");

  /**
   * Validates the name.
   *
   * @param name the privilege's name
   * @throws IllegalArgumentException if the name is blank or contains whitespace or control characters
   */
  public Privilege {
    Objects.requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("privilege name must not be empty");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c <= ' ' || c == 0x7f) {
        throw new IllegalArgumentException("privilege name must not contain whitespace or control characters: \"" + name.strip() + "\"");
      }
    }
  }

  /**
   * Returns the privilege with this name, reusing the APM constants.
   *
   * @param name the privilege's name
   * @return the privilege
   */
  public static Privilege of(String name) {
    return switch (name) {
      case "event:write" -> EVENT_WRITE;
      case "config_agent:read" -> AGENT_CONFIG_READ;
      case "sourcemap:write" -> SOURCEMAP_WRITE;
      default -> new Privilege(name);
    };
  }

  @Override
  public String toString() {
    return name;
  }
}
