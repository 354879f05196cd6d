package dev.intakeauth.elasticsearch;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.ApplicationPrivileges;
import dev.intakeauth.CheckResult;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLContext;

/**
 * Real TLS servers that record what they read and answer {@code _has_privileges}, and privilege
 * checkers pointed at them with a given trust setting; everything is closed after each test.
 */
final class PinnedTls implements AutoCloseable {

  static final ApiKeyCredential KEY = ApiKeyCredential.of("agent-key-id", "agent-secret-value-42");
  static final String GRANTED =
      "{\"username\":\"agent\",\"has_all_requested\":true,\"cluster\":{},\"index\":{},"
          + "\"application\":{\"apm\":{\"-\":{\"event:write\":true,\"config_agent:read\":true,\"sourcemap:write\":true}}}}";

  private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();

  /** Closes this with the others after the test. */
  <T extends AutoCloseable> T track(T closeable) {
    closeables.add(closeable);
    return closeable;
  }

  /** A server presenting this certificate and key, followed by the other certificates as its chain. */
  RecordingTlsServer server(TestPki.Issued key, TestPki.Issued... rest) throws Exception {
    SSLContext ssl = TestPki.serverContext(key, Arrays.stream(rest).map(TestPki.Issued::certificate).toArray(X509Certificate[]::new));
    return track(new RecordingTlsServer(ssl, GRANTED));
  }

  /** The agent key's privileges, asked of the server through a connection with this trust setting. */
  CheckResult check(RecordingTlsServer s, UnaryOperator<ElasticsearchConnection.Builder> trust) {
    ElasticsearchPrivilegeChecker checker =
        track(ElasticsearchPrivilegeChecker.create(trust.apply(ElasticsearchConnection.builder().hosts(s.url())).build()));
    return checker.check(KEY, ApplicationPrivileges.APM);
  }

  @Override
  public void close() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }
}
