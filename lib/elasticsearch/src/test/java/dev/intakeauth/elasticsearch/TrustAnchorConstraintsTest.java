package dev.intakeauth.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.intakeauth.CheckResult;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a pinned anchor allows on real TLS sockets, beyond the man in the middle: the server's certificate
 * must be fit for a TLS server as the JDK's own trust manager requires, and the pinned certificate's dates hold.
 */
class TrustAnchorConstraintsTest {
  static final Instant NOW = Instant.now();
  static final Instant BEFORE = NOW.minus(Duration.ofHours(1));
  static final Instant AFTER = NOW.plus(Duration.ofDays(2));

  @TempDir Path dir;
  private final PinnedTls tls = new PinnedTls();

  @AfterEach
  void close() throws Exception {
    tls.close();
  }



  private static void refusedInTls(CheckResult r) {
    assertThat(r).isInstanceOf(CheckResult.Unavailable.class);
    assertThat(((CheckResult.Unavailable) r).detail()).contains("TLS");
  }

  private static void gotNoCredentialByte(RecordingTlsServer s) throws Exception {
    assertThat(s.connections()).as("the client did connect").isNotEmpty();
    assertThat(s.allReceived()).as("bytes the server read after a handshake").isEmpty();
  }

  private static TestPki.Issued ca(String name) {
    return TestPki.custom(null, name, Integer.MAX_VALUE, null, BEFORE, AFTER);
  }

  @Test
  void aCaCertificateThePinnedCaIssuedCannotServeAsTheServersCertificate() throws Exception {
    // A CA certificate has no key usage for a TLS server: the JDK's trust manager refuses it with a CA file,
    // and the pin must not accept what the CA file refuses.
    TestPki.Issued pinned = ca("Pinned CA");
    TestPki.Issued subCa = TestPki.custom(pinned, "es", Integer.MAX_VALUE, null, BEFORE, AFTER, "ip:127.0.0.1", "dns:localhost");
    RecordingTlsServer s = tls.server(subCa, pinned);
    for (VerificationMode mode : List.of(VerificationMode.FULL, VerificationMode.CERTIFICATE)) {
      refusedInTls(tls.check(s, b -> b.trustedFingerprint(pinned.fingerprint()).verificationMode(mode)));
    }
    Path ca = TestPki.pem(dir.resolve("pinned.pem"), pinned.certificate());
    refusedInTls(tls.check(s, b -> b.caCertificate(ca)));
    gotNoCredentialByte(s);
  }

  @Test
  void anExpiredOrNotYetValidPinnedCaAnchorsNothing() throws Exception {
    TestPki.Issued expired = TestPki.custom(null, "Old CA", Integer.MAX_VALUE, null, NOW.minus(Duration.ofDays(10)), NOW.minus(Duration.ofDays(1)));
    TestPki.Issued future = TestPki.custom(null, "New CA", Integer.MAX_VALUE, null, NOW.plus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(10)));
    for (TestPki.Issued pinned : List.of(expired, future)) {
      RecordingTlsServer s = tls.server(TestPki.custom(pinned, "es", -1, null, BEFORE, AFTER, "ip:127.0.0.1"), pinned);
      refusedInTls(tls.check(s, b -> b.trustedFingerprint(pinned.fingerprint())));
      gotNoCredentialByte(s);
    }
    TestPki.Issued expiredSelfSigned = TestPki.custom(null, "es", -1, null, NOW.minus(Duration.ofDays(10)), NOW.minus(Duration.ofDays(1)), "ip:127.0.0.1");
    RecordingTlsServer s = tls.server(expiredSelfSigned);
    refusedInTls(tls.check(s, b -> b.trustedFingerprint(expiredSelfSigned.fingerprint())));
    gotNoCredentialByte(s);
  }

  @Test
  void aPinnedIntermediateWhosePathLengthForbidsTheSubCaIsTrustedOnlyAsTheJdkTrustsAnAnchor() throws Exception {
    TestPki.Issued root = ca("Root");
    TestPki.Issued noSubCas = TestPki.custom(root, "No sub-CAs", 0, null, BEFORE, AFTER);
    TestPki.Issued subCa = TestPki.custom(noSubCas, "Sub CA", Integer.MAX_VALUE, null, BEFORE, AFTER);
    TestPki.Issued leaf = TestPki.custom(subCa, "es", -1, null, BEFORE, AFTER, "ip:127.0.0.1");
    RecordingTlsServer s = tls.server(leaf, subCa, noSubCas, root);
    // Anchored at the root, the intermediate's path length binds: refused.
    refusedInTls(tls.check(s, b -> b.trustedFingerprint(root.fingerprint())));
    gotNoCredentialByte(s);
  }

  @Test
  void aPinnedServerCertificateIssuedByACaIsItsOwnAnchor() throws Exception {
    TestPki.Issued ca = ca("Some CA");
    TestPki.Issued es = TestPki.custom(ca, "es", -1, null, BEFORE, AFTER, "ip:127.0.0.1");
    assertThat(tls.check(tls.server(es), b -> b.trustedFingerprint(es.fingerprint()))).isInstanceOf(CheckResult.Granted.class);
    assertThat(tls.check(tls.server(es, ca), b -> b.trustedFingerprint(es.fingerprint()))).isInstanceOf(CheckResult.Granted.class);
    assertThat(tls.check(tls.server(es, ca), b -> b.trustedFingerprint(ca.fingerprint()))).isInstanceOf(CheckResult.Granted.class);
  }
}
