package dev.intakeauth;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiPredicate;
import org.junit.jupiter.api.Test;

/**
 * A wrong secret takes the path a right one takes: one comparison of two whole 32-byte digests,
 * whatever its length or where it differs. Seen through the store's comparison seam, not timed.
 */
class InMemoryKeyStoreComparisonTest {

  private final List<String> comparisons = new ArrayList<>();
  private final BiPredicate<byte[], byte[]> counting = (stored, presented) -> {
    boolean same = MessageDigest.isEqual(stored, presented);
    comparisons.add(stored.length + "/" + presented.length + "/" + same);
    return same;
  };

  @Test
  void rightAndWrongSecretsAreEachComparedOnceInFull() {
    GeneratedKey key = GeneratedKey.generate("k", List.of(Privilege.EVENT_WRITE), null);
    InMemoryKeyStore store = new InMemoryKeyStore(List.of(key.stored()), TimeSource.system(), counting);
    String secret = key.secret();
    List<String> wrong = List.of(
        "x" + secret.substring(1),
        secret.substring(0, secret.length() - 1) + (secret.endsWith("x") ? "y" : "x"),
        "x",
        secret + "x",
        secret.repeat(40));

    assertThat(store.check(key.credential(), ApplicationPrivileges.APM)).isInstanceOf(CheckResult.Granted.class);
    for (String w : wrong) {
      assertThat(store.check(ApiKeyCredential.of("k", w), ApplicationPrivileges.APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
    }
    assertThat(comparisons).containsExactly("32/32/true", "32/32/false", "32/32/false", "32/32/false", "32/32/false", "32/32/false");
  }

  @Test
  void anExpiredKeyIsComparedBeforeItsExpiryIsRead() {
    GeneratedKey key = GeneratedKey.generate("k", List.of(Privilege.EVENT_WRITE), Instant.parse("2001-01-01T00:00:00Z"));
    InMemoryKeyStore store = new InMemoryKeyStore(List.of(key.stored()), TimeSource.system(), counting);
    assertThat(store.check(key.credential(), ApplicationPrivileges.APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
    assertThat(store.check(ApiKeyCredential.of("k", "wrong"), ApplicationPrivileges.APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
    assertThat(comparisons).containsExactly("32/32/true", "32/32/false");
  }

  @Test
  void anUnknownIdIsAnsweredWithoutAComparisonBecauseIdsAreNotSecret() {
    InMemoryKeyStore store = new InMemoryKeyStore(List.of(), TimeSource.system(), counting);
    assertThat(store.check(ApiKeyCredential.of("k", "s"), ApplicationPrivileges.APM)).isEqualTo(CheckResult.UNKNOWN_KEY);
    assertThat(comparisons).isEmpty();
  }
}
