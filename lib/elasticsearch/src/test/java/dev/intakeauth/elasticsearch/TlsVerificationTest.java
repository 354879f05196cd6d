package dev.intakeauth.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.ApplicationPrivileges;
import dev.intakeauth.CheckResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Trust and verification mode on real TLS sockets: a man in the middle who presents the real CA's
 * certificate after their own leaf gets no byte of any credential, and what Elastic's
 * {@code ca_trusted_fingerprint} and {@code verification_mode} allow still connects.
 */
class TlsVerificationTest {

  private static final ApplicationPrivileges APM = ApplicationPrivileges.APM;
  private static final ApiKeyCredential KEY = PinnedTls.KEY;
  private static final String ADMIN_PASSWORD = "admin-password-s3cr3t";

  private static TestPki.Issued realCa;
  private static TestPki.Issued realServer;
  private static TestPki.Issued attackerLeaf;
  private static TestPki.Issued attackerCaNamedLikeTheRealOne;
  private static TestPki.Issued attackerLeafFromThatCa;
  private static TestPki.Issued otherHost;
  private static TestPki.Issued selfSigned;
  private static TestPki.Issued unrelatedCa;

  @TempDir Path dir;

  private final PinnedTls tls = new PinnedTls();

  @BeforeAll
  static void pki() {
    realCa = TestPki.ca("Elasticsearch HTTP CA");
    realServer = TestPki.server(realCa, "es", "ip:127.0.0.1", "dns:localhost");
    attackerLeaf = TestPki.selfSignedServer("es", "ip:127.0.0.1", "dns:localhost");
    attackerCaNamedLikeTheRealOne = TestPki.ca("Elasticsearch HTTP CA");
    attackerLeafFromThatCa = TestPki.server(attackerCaNamedLikeTheRealOne, "es", "ip:127.0.0.1", "dns:localhost");
    otherHost = TestPki.server(realCa, "other.example", "dns:other.example");
    selfSigned = TestPki.selfSignedServer("es", "ip:127.0.0.1", "dns:localhost");
    unrelatedCa = TestPki.ca("Some other CA");
  }

  @AfterEach
  void close() throws Exception {
    tls.close();
  }



  private Path caFile(TestPki.Issued ca) throws Exception {
    return TestPki.pem(dir.resolve("ca-" + ca.certificate().getSerialNumber() + ".pem"), ca.certificate());
  }

  /** The server saw a connection, and nothing that would reveal the agent's key or the administrator's password. */
  private static void gotNoCredentialByte(RecordingTlsServer s) throws Exception {
    List<RecordingTlsServer.Connection> connections = s.connections();
    assertThat(connections).as("the client did connect").isNotEmpty();
    String received = s.allReceived();
    assertThat(received).as("bytes the server read after a handshake").isEmpty();
    assertThat(received).doesNotContain("Authorization").doesNotContain("ApiKey").doesNotContain("Basic")
        .doesNotContain(KEY.encoded()).doesNotContain(ADMIN_PASSWORD);
  }

  private static void refusedInTls(CheckResult r) {
    assertThat(r).isInstanceOf(CheckResult.Unavailable.class);
    assertThat(((CheckResult.Unavailable) r).detail()).contains("TLS");
  }

  // --- the man in the middle ---

  @ParameterizedTest
  @EnumSource(value = VerificationMode.class, names = {"FULL", "CERTIFICATE"})
  void mitmChainWithPinnedCaGetsNoCredentialByte(VerificationMode mode) throws Exception {
    RecordingTlsServer mitm = tls.server(attackerLeaf, realCa);
    refusedInTls(tls.check(mitm, b -> b.trustedFingerprint(realCa.fingerprint()).verificationMode(mode)));
    gotNoCredentialByte(mitm);
  }

  @Test
  void mitmChainWithPinnedCaGetsNoAdministratorPasswordFromTheKeyManager() throws Exception {
    RecordingTlsServer mitm = tls.server(attackerLeaf, realCa);
    try (ApiKeyManager keys = ApiKeyManager.create(ElasticsearchConnection.builder().hosts(mitm.url())
        .trustedFingerprint(realCa.fingerprint()).basicAuth("elastic", ADMIN_PASSWORD).build())) {
      assertThatThrownBy(() -> keys.agentKeys(false)).isInstanceOf(KeyManagementException.class)
          .hasMessageContaining("TLS handshake failed").hasMessageNotContaining(ADMIN_PASSWORD);
      assertThatThrownBy(() -> keys.verify(KEY, List.of())).isInstanceOf(KeyManagementException.class);
    }
    gotNoCredentialByte(mitm);
  }

  @Test
  void mitmWithAnIntermediateNamedLikeThePinnedCaGetsNoCredentialByte() throws Exception {
    RecordingTlsServer mitm = tls.server(attackerLeafFromThatCa, attackerCaNamedLikeTheRealOne, realCa);
    refusedInTls(tls.check(mitm, b -> b.trustedFingerprint(realCa.fingerprint())));
    gotNoCredentialByte(mitm);
  }

  @Test
  void mitmChainWithTheRealCaAndACaFileGetsNoCredentialByte() throws Exception {
    RecordingTlsServer mitm = tls.server(attackerLeaf, realCa);
    Path ca = caFile(realCa);
    refusedInTls(tls.check(mitm, b -> b.caCertificate(ca)));
    refusedInTls(tls.check(mitm, b -> b.caCertificate(ca).trustedFingerprint(realCa.fingerprint())));
    gotNoCredentialByte(mitm);
  }

  @Test
  void mitmGetsTheCredentialOnlyWhenVerificationIsOff() throws Exception {
    // The same man in the middle, with checks off: proves the recording would show a leaked credential.
    RecordingTlsServer mitm = tls.server(attackerLeaf, realCa);
    assertThat(tls.check(mitm, b -> b.trustedFingerprint(realCa.fingerprint()).verificationMode(VerificationMode.NONE)))
        .isInstanceOf(CheckResult.Granted.class);
    assertThat(mitm.allReceived()).contains("Authorization: ApiKey " + KEY.encoded());
  }

  // --- what is trusted ---

  @Test
  void serverSignedByThePinnedCaIsTrusted() throws Exception {
    RecordingTlsServer es = tls.server(realServer, realCa);
    assertThat(tls.check(es, b -> b.trustedFingerprint(realCa.fingerprint()))).isInstanceOf(CheckResult.Granted.class);
    assertThat(tls.check(es, b -> b.trustedFingerprint(realCa.fingerprint().replace(":", "").toLowerCase(java.util.Locale.ROOT))))
        .isInstanceOf(CheckResult.Granted.class);
    assertThat(es.allReceived()).contains("POST /_security/user/_has_privileges").contains("Authorization: ApiKey " + KEY.encoded());
  }

  @Test
  void pinnedCaTheServerDoesNotPresentIsRefused() throws Exception {
    // As Elastic's ca_trusted_fingerprint: the fingerprint picks a certificate of the presented chain.
    RecordingTlsServer es = tls.server(realServer);
    refusedInTls(tls.check(es, b -> b.trustedFingerprint(realCa.fingerprint())));
    gotNoCredentialByte(es);
  }

  @Test
  void selfSignedServerPinnedDirectlyIsTrusted() throws Exception {
    RecordingTlsServer es = tls.server(selfSigned);
    assertThat(tls.check(es, b -> b.trustedFingerprint(selfSigned.fingerprint()))).isInstanceOf(CheckResult.Granted.class);
    refusedInTls(tls.check(es, b -> b.trustedFingerprint(attackerLeaf.fingerprint())));
  }

  @Test
  void aPinnedCertificateThatIsNotACaAnchorsNoOtherCertificate() throws Exception {
    TestPki.Issued signedByAServerKey = TestPki.server(realServer, "es", "ip:127.0.0.1");
    RecordingTlsServer s = tls.server(signedByAServerKey, realServer, realCa);
    refusedInTls(tls.check(s, b -> b.trustedFingerprint(realServer.fingerprint())));
    gotNoCredentialByte(s);
  }

  @Test
  void withACaFileAndAFingerprintEitherAnchorSuffices() throws Exception {
    RecordingTlsServer es = tls.server(realServer, realCa);
    Path unrelated = caFile(unrelatedCa);
    Path real = caFile(realCa);
    assertThat(tls.check(es, b -> b.caCertificate(unrelated).trustedFingerprint(realCa.fingerprint()))).isInstanceOf(CheckResult.Granted.class);
    assertThat(tls.check(es, b -> b.caCertificate(real).trustedFingerprint(unrelatedCa.fingerprint()))).isInstanceOf(CheckResult.Granted.class);
    refusedInTls(tls.check(es, b -> b.caCertificate(unrelated).trustedFingerprint(unrelatedCa.fingerprint())));
  }

  @Test
  void aCaFileOrAPinWithAPlainHttpHostIsRefusedRatherThanSendingCredentialsInClear() throws Exception {
    Path ca = caFile(realCa);
    List<UnaryOperator<ElasticsearchConnection.Builder>> trusts = List.of(
        b -> b.trustedFingerprint(realCa.fingerprint()),
        b -> b.caCertificate(ca));
    for (UnaryOperator<ElasticsearchConnection.Builder> trust : trusts) {
      for (ElasticsearchConnection.Builder b : List.of(
          ElasticsearchConnection.builder(),
          ElasticsearchConnection.builder().hosts("http://es:9200"),
          ElasticsearchConnection.builder().hosts("https://es1:9200", "HTTP://es2:9200"))) {
        assertThatThrownBy(() -> trust.apply(b.basicAuth("elastic", ADMIN_PASSWORD)).build()).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("is plain HTTP, but a CA certificate or a trusted fingerprint is set").message().doesNotContain(ADMIN_PASSWORD);
      }
      assertThat(trust.apply(ElasticsearchConnection.builder().hosts("https://es:9200")).build().verificationMode()).isEqualTo(VerificationMode.FULL);
    }
  }

  // --- host names ---

  @Test
  void wrongHostNameFailsUnderFullAndWorksUnderCertificate() throws Exception {
    RecordingTlsServer es = tls.server(otherHost, realCa);
    Path ca = caFile(realCa);
    List<UnaryOperator<ElasticsearchConnection.Builder>> trusts = List.of(
        b -> b.trustedFingerprint(realCa.fingerprint()),
        b -> b.caCertificate(ca));
    for (UnaryOperator<ElasticsearchConnection.Builder> trust : trusts) {
      CheckResult full = tls.check(es, b -> trust.apply(b).verificationMode(VerificationMode.FULL));
      refusedInTls(full);
      assertThat(((CheckResult.Unavailable) full).detail()).contains("does not name this host");
      assertThat(tls.check(es, trust)).as("full is the default").isInstanceOf(CheckResult.Unavailable.class);
    }
    gotNoCredentialByte(es);
    for (UnaryOperator<ElasticsearchConnection.Builder> trust : trusts) {
      assertThat(tls.check(es, b -> trust.apply(b).verificationMode(VerificationMode.CERTIFICATE))).isInstanceOf(CheckResult.Granted.class);
    }
  }

  @Test
  void aPinnedServerCertificateForAnotherHostFailsUnderFull() throws Exception {
    TestPki.Issued elsewhere = TestPki.selfSignedServer("other.example", "dns:other.example");
    RecordingTlsServer es = tls.server(elsewhere);
    refusedInTls(tls.check(es, b -> b.trustedFingerprint(elsewhere.fingerprint())));
    gotNoCredentialByte(es);
    assertThat(tls.check(es, b -> b.trustedFingerprint(elsewhere.fingerprint()).verificationMode(VerificationMode.CERTIFICATE)))
        .isInstanceOf(CheckResult.Granted.class);
  }

  @Test
  void certificateModeStillChecksTheChain() throws Exception {
    RecordingTlsServer mitm = tls.server(attackerLeaf);
    Path ca = caFile(realCa);
    refusedInTls(tls.check(mitm, b -> b.caCertificate(ca).verificationMode(VerificationMode.CERTIFICATE)));
    refusedInTls(tls.check(mitm, b -> b.verificationMode(VerificationMode.CERTIFICATE)));
    gotNoCredentialByte(mitm);
  }

  // --- none ---

  @Test
  void noneTrustsAnyServerAndWarnsOnceWhenTheConnectionIsBuilt() throws Exception {
    RecordingTlsServer anyone = tls.server(TestPki.selfSignedServer("other.example", "dns:other.example"));
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream err = System.err;
    ElasticsearchConnection none;
    System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
    try {
      none = ElasticsearchConnection.builder().hosts(anyone.url()).verificationMode(VerificationMode.NONE).build();
    } finally {
      System.setErr(err);
    }
    String warning = log.toString(StandardCharsets.UTF_8);
    assertThat(warning).contains("WARN").contains("verification mode none").contains(anyone.url());
    assertThat(warning.lines().filter(l -> l.contains("WARN")).count()).isEqualTo(1);
    assertThat(none.toString()).contains("verification mode none");

    ElasticsearchPrivilegeChecker checker = ElasticsearchPrivilegeChecker.create(none);
    tls.track(checker);
    assertThat(checker.check(KEY, APM)).isInstanceOf(CheckResult.Granted.class);
  }

  @Test
  void verificationModesAreNamedAsInElasticSettings() {
    assertThat(VerificationMode.parse("full")).isEqualTo(VerificationMode.FULL);
    assertThat(VerificationMode.parse(" Certificate ")).isEqualTo(VerificationMode.CERTIFICATE);
    assertThat(VerificationMode.parse("NONE")).isEqualTo(VerificationMode.NONE);
    assertThat(VerificationMode.CERTIFICATE.settingName()).isEqualTo("certificate");
    assertThatThrownBy(() -> VerificationMode.parse("strict-ish")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a verification mode is one of full, certificate, none");
    assertThat(ElasticsearchConnection.builder().build().verificationMode()).isEqualTo(VerificationMode.FULL);
  }

  @Test
  void aHostUrlWithAPasswordIsRefusedWithoutRepeatingIt() {
    for (String url : List.of("https://admin:hunter2@es:9200", "http://admin:hunter2@es_1:9200", "https://admin:hunter2@[::1]:9200", "https://admin:hun/ter2@es:9200", "https://admin:hun#ter2@es:9200")) {
      assertThatThrownBy(() -> ElasticsearchConnection.builder().hosts(url)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("must not carry credentials").message().doesNotContain("hunter2").doesNotContain("hun").doesNotContain("admin");
    }
    String basic = Base64.getEncoder().encodeToString(("elastic:" + ADMIN_PASSWORD).getBytes(StandardCharsets.UTF_8));
    assertThat(ElasticsearchConnection.builder().basicAuth("elastic", ADMIN_PASSWORD).build().toString())
        .doesNotContain(ADMIN_PASSWORD).doesNotContain(basic);
  }
}
