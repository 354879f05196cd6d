package dev.intakeauth.elasticsearch;

import dev.intakeauth.ApplicationPrivileges;
import dev.intakeauth.Privilege;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** Checks the arguments of key management before anything is sent, with messages that never repeat them. */
final class KeyArguments {

  private static final Pattern EXPIRATION = Pattern.compile("[1-9][0-9]{0,8}(ms|s|m|h|d)");

  private KeyArguments() {}

  static void requireName(@Nullable String name) {
    if (name == null || name.isBlank()) {
      throw invalid("a name is required");
    }
  }

  /** Elasticsearch's own duration syntax, restricted to what a key's lifetime needs. */
  static void checkExpiration(@Nullable String expiration) {
    if (expiration != null && !EXPIRATION.matcher(expiration).matches()) {
      throw invalid("bad expiration: expected a number and a unit, such as 1d, 12h, 30m, 45s");
    }
  }

  /** The privileges, each once, in order; all of the application's when none are given. */
  static List<Privilege> privilegesOf(ApplicationPrivileges application, Collection<Privilege> privileges) {
    if (privileges.isEmpty()) {
      return application.privileges();
    }
    List<Privilege> out = new ArrayList<>();
    for (Privilege p : privileges) {
      if (!application.contains(p)) {
        throw invalid("unknown privilege; known: " + String.join(", ", application.privileges().stream().map(Privilege::name).toList()));
      }
      if (!out.contains(p)) {
        out.add(p);
      }
    }
    return out;
  }

  private static KeyManagementException invalid(String message) {
    return new KeyManagementException(KeyManagementException.Kind.INVALID_ARGUMENT, message);
  }
}
