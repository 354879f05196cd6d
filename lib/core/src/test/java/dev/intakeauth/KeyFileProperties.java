package dev.intakeauth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The key file parser: a function from text to keys, with errors that name the line and quote no secret. */
class KeyFileProperties {

  private static final String HASH = "sha256:" + "0123456789abcdef".repeat(4);

  @Example
  void aLineWrittenIsTheKeyReadBack() {
    StoredKey plain = GeneratedKey.generate("a", List.of(Privilege.EVENT_WRITE, Privilege.AGENT_CONFIG_READ), null).stored();
    StoredKey expiring = GeneratedKey.generate("b", List.of(), Instant.parse("2031-01-01T00:00:00Z")).stored();
    assertThat(KeyFile.line(plain)).isEqualTo("a sha256:" + plain.sha256() + " config_agent:read,event:write");
    assertThat(KeyFile.line(expiring)).isEqualTo("b sha256:" + expiring.sha256() + " , 2031-01-01T00:00:00Z");
    assertThat(KeyFile.parse(KeyFile.line(plain) + "\n# comment\n" + KeyFile.line(expiring), "keys")).containsExactly(plain, expiring);
  }

  /**
   * A privilege named {@code event:write,sourcemap:write} must not be written as a line that reads
   * back as two privileges, nor an id {@code #k} as a line that reads back as a comment: whatever
   * {@link GeneratedKey#generate} accepts reads back as exactly the key it made.
   */
  @Property(tries = 2000)
  void aGeneratedKeyReadsBackAsItselfSoNoNameCanSmuggleInAPrivilege(@ForAll("keyName") String id, @ForAll("keyNames") List<String> privileges) {
    GeneratedKey key;
    try {
      key = GeneratedKey.generate(id, privileges.stream().map(Privilege::of).toList(), null);
    } catch (IllegalArgumentException e) {
      return;
    }
    assertThat(KeyFile.parse(key.keyFileLine(), "keys")).containsExactly(key.stored());
  }

  @Provide
  Arbitrary<String> keyName() {
    return Arbitraries.oneOf(Arbitraries.of("k", "#k", "k#", "a,b", "event:write,sourcemap:write", ",", "#", "sha256:x"),
        Arbitraries.strings().withChars("ab#,:=\u00a0\u2003".toCharArray()).ofMinLength(1).ofMaxLength(6));
  }

  @Provide
  Arbitrary<List<String>> keyNames() {
    return keyName().list().ofMaxSize(3);
  }

  @Example
  void anEmptyTextHasNoKeys() {
    assertThat(KeyFile.parse("", "keys")).isEmpty();
    assertThat(KeyFile.parse("# only\n\n   \n", "keys")).isEmpty();
  }

  @Example
  void aDuplicateNamesBothLines() {
    assertThatThrownBy(() -> KeyFile.parse("k " + HASH + " event:write\n#\nk " + HASH + " event:write", "f"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("f:3: duplicate key id \"k\", first on line 1")
        .hasNoCause();
  }

  @Property(tries = 3000)
  void anyTextGivesKeysOrALineNumberedError(@ForAll("keyFileText") String text) {
    try {
      assertThat(KeyFile.parse(text, "keys")).allSatisfy(key -> assertThat(key.id()).isNotEmpty());
    } catch (IllegalArgumentException e) {
      assertThat(e).hasMessageMatching("(?s)keys:[0-9]+: .+").hasNoCause();
    }
  }

  @Property(tries = 3000)
  void noErrorQuotesAFieldThatHoldsASecret(@ForAll("secretLine") List<String> fields) {
    String secret = fields.get(fields.size() - 1);
    String line = String.join(" ", fields.subList(0, fields.size() - 1));
    try {
      KeyFile.parse(line, "keys");
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage()).doesNotContain(secret);
    }
  }

  @Provide
  Arbitrary<String> keyFileText() {
    Arbitrary<String> field = Arbitraries.oneOf(
        Arbitraries.of("k", "a:b", HASH, "sha256:", "event:write", "event:write,sourcemap:write", "2031-01-01T00:00:00Z", "#", ""),
        Arbitraries.strings().ofMaxLength(12));
    Arbitrary<String> separator = Arbitraries.of(" ", "\t", "\n", "\r\n", "\r", "  ", "\u0085", "\u2028");
    return Arbitraries.lazy(() -> field.list().ofMaxSize(10).flatMap(fields -> separator.list().ofSize(fields.size()).map(seps -> {
      StringBuilder text = new StringBuilder();
      for (int i = 0; i < fields.size(); i++) {
        text.append(fields.get(i)).append(seps.get(i));
      }
      return text.toString();
    })));
  }

  /** A line of a key file with a secret in one field (alone or glued to a neighbour), the secret last. */
  @Provide
  Arbitrary<List<String>> secretLine() {
    Arbitrary<String> secret = Arbitraries.strings().alpha().numeric().withChars('-', '_').ofMinLength(16).ofMaxLength(40);
    Arbitrary<Integer> slot = Arbitraries.integers().between(0, 4);
    Arbitrary<String> glue = Arbitraries.of("", ":", "sha256:", ",", "\u0001");
    return Arbitraries.of("k", "j").flatMap(id -> secret.flatMap(s -> slot.flatMap(at -> glue.map(g -> {
      List<String> fields = new ArrayList<>(List.of(id, HASH, "event:write", "2031-01-01T00:00:00Z"));
      String planted = g + s;
      if (at < fields.size()) {
        fields.set(at, at == 0 ? id + planted : planted);
      } else {
        fields.add(planted);
      }
      fields.add(s);
      return fields;
    }))));
  }
}
