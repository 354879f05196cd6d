package dev.intakeauth.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.ApplicationPrivileges;
import dev.intakeauth.CheckResult;
import dev.intakeauth.InMemoryKeyStore;
import dev.intakeauth.Privilege;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InMemoryKeyStoreTest {

  private static final ApplicationPrivileges APM = ApplicationPrivileges.APM;

  @TempDir Path dir;

  @Test
  void generatedKeyIsGrantedItsPrivilegesAndOnlyThose() {
    InMemoryKeyStore.NewKey key = InMemoryKeyStore.generateKey("agent-1", List.of(Privilege.EVENT_WRITE), null);
    InMemoryKeyStore store = InMemoryKeyStore.builder().add(key.stored()).build();
    assertThat(store.check(key.credential(), APM)).isEqualTo(new CheckResult.Granted(Set.of(Privilege.EVENT_WRITE), null));
    assertThat(key.toString()).doesNotContain(key.secret());
    assertThat(key.stored().toLine()).doesNotContain(key.secret()).startsWith("agent-1 sha256:");
  }

  @Test
  void wrongSecretAndUnknownIdAreUnknownKeys() {
    InMemoryKeyStore store = InMemoryKeyStore.builder().addSecret("k", "right-secret", List.of(Privilege.EVENT_WRITE)).build();
    assertThat(store.check(ApiKeyCredential.of("k", "wrong-secret"), APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
    assertThat(store.check(ApiKeyCredential.of("other", "right-secret"), APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
    assertThat(store.check(ApiKeyCredential.of("k", "right-secret"), APM)).isInstanceOf(CheckResult.Granted.class);
  }

  @Test
  void privilegesOutsideTheScopeAreNotReported() {
    InMemoryKeyStore store = InMemoryKeyStore.builder()
        .add(new InMemoryKeyStore.StoredKey("k", InMemoryKeyStore.hashSecret("s"), Set.of(Privilege.of("custom:read"), Privilege.EVENT_WRITE), null))
        .build();
    CheckResult r = store.check(ApiKeyCredential.of("k", "s"), ApplicationPrivileges.of("apm", "-", "event:write"));
    assertThat(r).isEqualTo(new CheckResult.Granted(Set.of(Privilege.EVENT_WRITE), null));
  }

  @Test
  void expiredKeysAreUnknown() {
    Instant now = Instant.parse("2030-01-01T00:00:00Z");
    InMemoryKeyStore.StoredKey stored = new InMemoryKeyStore.StoredKey("k", InMemoryKeyStore.hashSecret("s"), Set.of(Privilege.EVENT_WRITE), now.plusSeconds(60));
    ApiKeyCredential c = ApiKeyCredential.of("k", "s");
    assertThat(InMemoryKeyStore.builder().add(stored).timeSource(new ManualClock(now.plusSeconds(59))).build().check(c, APM))
        .isInstanceOf(CheckResult.Granted.class);
    assertThat(InMemoryKeyStore.builder().add(stored).timeSource(new ManualClock(now.plusSeconds(60))).build().check(c, APM))
        .isEqualTo(CheckResult.UNKNOWN_KEY);
  }

  @Test
  void loadsAKeyFileWithCommentsAndExpiry() throws IOException {
    InMemoryKeyStore.NewKey a = InMemoryKeyStore.generateKey("a", List.of(Privilege.EVENT_WRITE, Privilege.AGENT_CONFIG_READ), null);
    InMemoryKeyStore.NewKey b = InMemoryKeyStore.generateKey("b", List.of(Privilege.SOURCEMAP_WRITE), Instant.parse("2031-01-01T00:00:00Z"));
    Path file = dir.resolve("keys");
    Files.writeString(file, "# keys\n\n" + a.stored().toLine() + "\n   " + b.stored().toLine() + "  \n");
    InMemoryKeyStore store = InMemoryKeyStore.builder().load(file).timeSource(new ManualClock(Instant.parse("2030-06-01T00:00:00Z"))).build();
    assertThat(store.keys()).containsExactlyInAnyOrder(a.stored(), b.stored());
    assertThat(store.check(a.credential(), APM)).isEqualTo(new CheckResult.Granted(Set.of(Privilege.EVENT_WRITE, Privilege.AGENT_CONFIG_READ), null));
    assertThat(store.check(b.credential(), APM)).isEqualTo(new CheckResult.Granted(Set.of(Privilege.SOURCEMAP_WRITE), null));
  }

  @Test
  void malformedLinesNameTheFileAndLine() throws IOException {
    Path file = dir.resolve("keys");
    Files.writeString(file, "# ok\nk sha256:nothex event:write\n");
    assertThatThrownBy(() -> InMemoryKeyStore.load(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("keys:2: ")
        .hasMessageContaining("64 lower-case hex digits");
    Files.writeString(file, "k " + InMemoryKeyStore.hashSecret("s") + " event:write tomorrow\n");
    assertThatThrownBy(() -> InMemoryKeyStore.load(file)).hasMessageStartingWith("keys:1: ").hasMessageContaining("ISO-8601");
    Files.writeString(file, "k\n");
    assertThatThrownBy(() -> InMemoryKeyStore.load(file)).hasMessageStartingWith("keys:1: expected");
    String line = "k " + InMemoryKeyStore.hashSecret("s") + " event:write\n";
    Files.writeString(file, line + line);
    assertThatThrownBy(() -> InMemoryKeyStore.load(file)).hasMessageStartingWith("keys:2: duplicate key id");
  }
}
