package dev.intakeauth.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.ApplicationPrivileges;
import dev.intakeauth.CheckResult;
import dev.intakeauth.GeneratedKey;
import dev.intakeauth.InMemoryKeyStore;
import dev.intakeauth.Privilege;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InMemoryKeyStoreTest {

  private static final ApplicationPrivileges APM = ApplicationPrivileges.APM;
  private static final List<Privilege> WRITE = List.of(Privilege.EVENT_WRITE);
  private static final String HASH = "sha256:" + "0123456789abcdef".repeat(4);

  @TempDir Path dir;

  @Test
  void generatedKeyIsGrantedItsPrivilegesAndOnlyThose() {
    GeneratedKey key = GeneratedKey.generate("agent-1", WRITE, null);
    InMemoryKeyStore store = InMemoryKeyStore.builder().add(key).build();
    assertThat(store.check(key.credential(), APM)).isEqualTo(new CheckResult.Granted(Set.of(Privilege.EVENT_WRITE), null));
    assertThat(key.secret()).hasSize(32);
    assertThat(key.toString()).doesNotContain(key.secret());
    assertThat(key.keyFileLine()).doesNotContain(key.secret()).startsWith("agent-1 sha256:").endsWith(" event:write");
    assertThat(GeneratedKey.newId()).hasSize(20).doesNotContain(":");
  }

  @Test
  void wrongSecretAndUnknownIdAreUnknownKeys() {
    GeneratedKey key = GeneratedKey.generate("k", WRITE, null);
    InMemoryKeyStore store = InMemoryKeyStore.builder().add(key).build();
    assertThat(store.check(ApiKeyCredential.of("k", "wrong-secret"), APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
    assertThat(store.check(ApiKeyCredential.of("other", key.secret()), APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
    assertThat(store.check(key.credential(), APM)).isInstanceOf(CheckResult.Granted.class);
  }

  @Test
  void privilegesOutsideTheScopeAreNotReported() {
    GeneratedKey key = GeneratedKey.generate("k", List.of(Privilege.of("custom:read"), Privilege.EVENT_WRITE), null);
    InMemoryKeyStore store = InMemoryKeyStore.builder().add(key).build();
    CheckResult r = store.check(key.credential(), ApplicationPrivileges.of("apm", "-", "event:write"));
    assertThat(r).isEqualTo(new CheckResult.Granted(Set.of(Privilege.EVENT_WRITE), null));
  }

  @Test
  void expiredKeysAreUnknown() {
    Instant now = Instant.parse("2030-01-01T00:00:00Z");
    GeneratedKey key = GeneratedKey.generate("k", WRITE, now.plusSeconds(60));
    assertThat(InMemoryKeyStore.builder().add(key).timeSource(new ManualClock(now.plusSeconds(59))).build().check(key.credential(), APM))
        .isInstanceOf(CheckResult.Granted.class);
    assertThat(InMemoryKeyStore.builder().add(key).timeSource(new ManualClock(now.plusSeconds(60))).build().check(key.credential(), APM))
        .isEqualTo(CheckResult.UNKNOWN_KEY);
  }

  @Test
  void loadsAKeyFileWithCommentsExpiryAndWindowsLineEnds() throws IOException {
    GeneratedKey a = GeneratedKey.generate("a", List.of(Privilege.EVENT_WRITE, Privilege.AGENT_CONFIG_READ), null);
    GeneratedKey b = GeneratedKey.generate("b", List.of(Privilege.SOURCEMAP_WRITE), Instant.parse("2999-01-01T00:00:00Z"));
    GeneratedKey expired = GeneratedKey.generate("c", WRITE, Instant.parse("2001-01-01T00:00:00Z"));
    Path file = dir.resolve("keys");
    Files.writeString(file, "\uFEFF# keys\r\n\r\n" + a.keyFileLine() + "\r\n   " + b.keyFileLine().replace(' ', '\t') + "  \r\n" + expired.keyFileLine() + "\r\n");
    InMemoryKeyStore store = InMemoryKeyStore.load(file);
    assertThat(store).hasToString("InMemoryKeyStore[3 keys]");
    assertThat(store.check(a.credential(), APM)).isEqualTo(new CheckResult.Granted(Set.of(Privilege.EVENT_WRITE, Privilege.AGENT_CONFIG_READ), null));
    assertThat(store.check(b.credential(), APM)).isEqualTo(new CheckResult.Granted(Set.of(Privilege.SOURCEMAP_WRITE), null));
    assertThat(store.check(expired.credential(), APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
  }

  @Test
  void malformedLinesNameTheFileAndLine() throws IOException {
    assertRefused("# ok\nk sha256:nothex event:write\n", "keys:2: ", "64 lower-case hex digits");
    assertRefused("k " + HASH + " event:write tomorrow\n", "keys:1: ", "ISO-8601");
    assertRefused("k\n", "keys:1: expected", "found 1 fields");
    assertRefused("k " + HASH + " event:write 2030-01-01T00:00:00Z extra\n", "keys:1: expected", "found 5 fields");
  }

  @Test
  void aPlaintextSecretInPlaceOfItsHashIsRefusedWithoutEchoingIt() throws IOException {
    String secret = GeneratedKey.generate("x", WRITE, null).secret();
    for (String line : List.of(
        "agent-1 " + secret + " event:write",
        "agent-1 sha256:" + secret + " event:write",
        "agent-1 sha256:" + secret + "0123456789abcdef0123456789abcdef event:write",
        "agent-1:" + secret + " " + HASH + " event:write",
        "agent-1 " + HASH + " event:write " + secret,
        "agent-1 " + HASH + " event:write,\u0001" + secret,
        "agent-1 " + secret,
        secret + " " + HASH + " event:write\u0000")) {
      Throwable thrown = assertRefused("# keys\n" + line + "\n", "keys:2: ", "");
      assertThat(everythingPrinted(thrown)).as(line).doesNotContain(secret);
    }
    assertThat(everythingPrinted(assertRefused("agent-1 " + secret + " event:write", "keys:1: ", "never the secret")))
        .doesNotContain(secret);
  }

  @Test
  void anIdWithALineBreakOrAControlCharacterIsRefused() throws IOException {
    for (String id : List.of("agent\r-1", "agent\n-1", "agent\r\n-1", "agent\u0000-1", "agent\u001b[31m-1", "agent\u007f-1",
        "agent\u0085-1", "agent\u2028-1", "agent\u2029-1", "agent\u202e-1", "agent\u200b-1", "agent\u00a0-1")) {
      assertRefused(id + " " + HASH + " event:write\n", "keys:1: ", "");
      assertThatThrownBy(() -> GeneratedKey.generate(id, WRITE, null)).isInstanceOf(IllegalArgumentException.class);
    }
    assertRefused("agent-1 " + HASH + " event:write\n" + "bad\u0007id " + HASH + " event:write\n", "keys:2: a key id", "control");
  }

  @Test
  void aDuplicateIdIsRefusedWithItsLineNumber() throws IOException {
    String a = GeneratedKey.generate("a", WRITE, null).keyFileLine();
    String b = GeneratedKey.generate("b", WRITE, null).keyFileLine();
    String againA = GeneratedKey.generate("a", List.of(Privilege.SOURCEMAP_WRITE), null).keyFileLine();
    assertRefused("# keys\n" + a + "\n" + b + "\n\n" + againA + "\n", "keys:5: duplicate key id \"a\", first on line 2", "");
    GeneratedKey k = GeneratedKey.generate("k", WRITE, null);
    assertThatThrownBy(() -> InMemoryKeyStore.builder().add(k).add(GeneratedKey.generate("k", WRITE, null)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("duplicate key id \"k\"");
  }

  @Test
  void aHashOfTheWrongLengthOrAlphabetIsRefused() throws IOException {
    String hex = HASH.substring("sha256:".length());
    for (String hash : List.of("sha256:" + hex.substring(1), "sha256:" + hex + "0", "sha256:" + hex.substring(24), "sha256:",
        "sha256:" + hex.toUpperCase(Locale.ROOT), "sha1:" + hex, hex, "sha256:" + hex.substring(1) + "g")) {
      assertRefused("k " + hash + " event:write\n", "keys:1: ", "64 lower-case hex digits");
    }
  }

  private Throwable assertRefused(String text, String prefix, String contained) throws IOException {
    Path file = dir.resolve("keys");
    Files.writeString(file, text);
    Throwable thrown = catchThrowable(() -> InMemoryKeyStore.load(file));
    assertThat(thrown).as(text).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(prefix).hasMessageContaining(contained);
    return thrown;
  }

  /** The message, every cause's, and the stack trace as a log would print them. */
  private static String everythingPrinted(Throwable t) {
    StringWriter out = new StringWriter();
    t.printStackTrace(new PrintWriter(out));
    return out.toString();
  }
}
