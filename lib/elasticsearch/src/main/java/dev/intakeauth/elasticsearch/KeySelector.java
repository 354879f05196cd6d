package dev.intakeauth.elasticsearch;

import org.jspecify.annotations.Nullable;

/**
 * Which API keys: by id or by name (exactly one).
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
   * @throws KeyManagementException {@link KeyManagementException.Kind#INVALID_ARGUMENT} unless exactly one is given
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
