package dev.intakeauth;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The key file format: one key a line, {@code id sha256:<hex> privilege,... [expiry]}, with
 * {@code #} comments and blank lines ignored. A key without privileges has a lone {@code ,} in
 * their place.
 *
 * <p>Errors name the source and the line and never quote a field other than a valid id: a
 * mistaken line may hold a secret where its hash belongs.
 */
final class KeyFile {

  private static final String HASH_PREFIX = "sha256:";

  private KeyFile() {}

  /**
   * Parses the text of a key file.
   *
   * @param text the whole file
   * @param source the name put before the line number in errors, such as the file name
   * @return the keys, in file order, ids unique
   * @throws IllegalArgumentException on the first malformed line, as {@code source:line: problem}
   */
  static List<StoredKey> parse(String text, String source) {
    List<StoredKey> keys = new ArrayList<>();
    Map<String, Integer> lineOfId = new HashMap<>();
    // An editor's byte order mark would otherwise become part of the first id.
    List<String> lines = (text.startsWith("\uFEFF") ? text.substring(1) : text).lines().toList();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int number = i + 1;
      StoredKey key;
      try {
        key = parseLine(line);
      } catch (IllegalArgumentException e) {
        // Without the cause: a privilege's own message quotes the field.
        throw new IllegalArgumentException(source + ":" + number + ": " + e.getMessage());
      }
      Integer first = lineOfId.putIfAbsent(key.id(), number);
      if (first != null) {
        throw new IllegalArgumentException(source + ":" + number + ": duplicate key id \"" + key.id() + "\", first on line " + first);
      }
      keys.add(key);
    }
    return List.copyOf(keys);
  }

  /**
   * A key as a line of the file.
   *
   * @param key the key
   * @return {@code id sha256:<hex> privileges [expiry]}, privileges sorted, a lone {@code ,} for none
   */
  static String line(StoredKey key) {
    String privileges = String.join(",", key.privileges().stream().map(Privilege::name).sorted().toList());
    // An empty field would shift the expiry into the privileges' place; a lone comma reads back as none.
    String line = key.id() + " " + HASH_PREFIX + key.sha256() + " " + (privileges.isEmpty() ? "," : privileges);
    return key.expiresAt() == null ? line : line + " " + key.expiresAt();
  }

  private static StoredKey parseLine(String line) {
    String[] fields = line.split("\\s+");
    if (fields.length < 3 || fields.length > 4) {
      throw new IllegalArgumentException("expected: <id> <sha256:hash> <privilege,...> [<expiry>], found " + fields.length + " fields");
    }
    String hash = fields[1];
    if (!hash.startsWith(HASH_PREFIX) || !StoredKey.isSha256Hex(hash.substring(HASH_PREFIX.length()))) {
      throw new IllegalArgumentException("the second field must be the secret's hash, sha256: and 64 lower-case hex digits, never the secret");
    }
    Set<Privilege> privileges = new LinkedHashSet<>();
    for (String name : fields[2].split(",")) {
      if (!name.isEmpty()) {
        privileges.add(privilege(name));
      }
    }
    Instant expiresAt = null;
    if (fields.length == 4) {
      try {
        expiresAt = Instant.parse(fields[3]);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException("the expiry is not an ISO-8601 instant such as 2027-01-01T00:00:00Z");
      }
    }
    return new StoredKey(fields[0], hash.substring(HASH_PREFIX.length()), privileges, expiresAt);
  }

  private static Privilege privilege(String name) {
    try {
      return Privilege.of(name);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("a privilege name must not contain control characters");
    }
  }
}
