package dev.intakeauth.examples.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.intakeauth.GeneratedKey;
import dev.intakeauth.Privilege;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.sdk.resources.Resource;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * OTLP over gRPC on the example server's second port, over TLS with its self-signed pair and a key
 * file, sent by the OpenTelemetry Java SDK's own gRPC exporters; a raw grpc-java call where the
 * status, its trailers or the partial success is read.
 */
class OtlpGrpcServerTest {

  @TempDir Path dir;
  private Path cert;
  private String writer;
  private String configOnly;
  private String wrongSecret;

  @BeforeEach
  void keysAndTls() throws Exception {
    cert = Pem.selfSigned(dir)[0];
    GeneratedKey write = GeneratedKey.generate("writer", List.of(Privilege.EVENT_WRITE), null);
    GeneratedKey config = GeneratedKey.generate("config", List.of(Privilege.AGENT_CONFIG_READ), null);
    Files.writeString(dir.resolve("keys.txt"), write.keyFileLine() + "\n" + config.keyFileLine() + "\n");
    writer = "ApiKey " + write.credential().encoded();
    configOnly = "ApiKey " + config.credential().encoded();
    wrongSecret = "ApiKey " + Base64.getEncoder().encodeToString((write.credential().id() + ":not-the-secret").getBytes(StandardCharsets.UTF_8));
  }

  private IntakeServer start(String extra) throws IOException {
    Path yml = dir.resolve("apm-server.yml");
    Files.writeString(yml, """
        apm-server.host: 127.0.0.1:0
        apm-server.auth.api_key.enabled: true
        apm-server.ssl.certificate: cert.pem
        apm-server.ssl.key: key.pem
        intake-auth.keys_file: keys.txt
        """ + extra);
    return IntakeServerTest.started(Map.of(), "--config", yml.toString());
  }

  @Test
  void anEventWriteKeyExportsSpansMetricsAndLogsAndTheServerCountsThem() throws Exception {
    Resource checkout = OtlpGrpcClients.resource("checkout");
    try (IntakeServer server = start(""); OtlpGrpcClients otlp = new OtlpGrpcClients(server.otlpGrpc().port(), cert)) {
      assertThat(otlp.exportSpans(writer, OtlpGrpcClients.spans(checkout, 3))).isTrue();
      assertThat(otlp.exportMetrics(writer, OtlpGrpcClients.metrics(checkout, 4))).isTrue();
      assertThat(otlp.exportLogs(writer, OtlpGrpcClients.logs(checkout, 5))).isTrue();

      assertThat(server.acceptedSpans()).isEqualTo(3);
      assertThat(server.acceptedDataPoints()).isEqualTo(4);
      assertThat(server.acceptedLogRecords()).isEqualTo(5);
      assertThat(server.otlpGrpc().calls(Status.Code.OK)).isEqualTo(3);
      // the OTLP/HTTP side knows nothing of them
      assertThat(server.acceptedEvents()).isZero();
    }
  }

  @Test
  void aConfigOnlyKeyIsRefusedWithPermissionDenied() throws Exception {
    Resource checkout = OtlpGrpcClients.resource("checkout");
    try (IntakeServer server = start(""); OtlpGrpcClients otlp = new OtlpGrpcClients(server.otlpGrpc().port(), cert)) {
      assertThat(otlp.exportSpans(configOnly, OtlpGrpcClients.spans(checkout, 2))).isFalse();
      assertThat(otlp.exportLogs(configOnly, OtlpGrpcClients.logs(checkout, 2))).isFalse();
      assertThat(server.otlpGrpc().calls(Status.Code.PERMISSION_DENIED)).isEqualTo(2);

      StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
          () -> otlp.rawTraces(configOnly, OtlpGrpcClients.traces("checkout", "1")));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
      assertThat(e.getStatus().getDescription()).isEqualTo("unauthorized: API Key not permitted action \"event:write\"");
      assertThat(server.acceptedSpans()).isZero();
      assertThat(server.acceptedLogRecords()).isZero();
    }
  }

  @Test
  void aWrongSecretAndNoCredentialAreUnauthenticated() throws Exception {
    Resource checkout = OtlpGrpcClients.resource("checkout");
    try (IntakeServer server = start(""); OtlpGrpcClients otlp = new OtlpGrpcClients(server.otlpGrpc().port(), cert)) {
      assertThat(otlp.exportSpans(wrongSecret, OtlpGrpcClients.spans(checkout, 2))).isFalse();
      assertThat(server.otlpGrpc().calls(Status.Code.UNAUTHENTICATED)).isEqualTo(1);

      for (String authorization : new String[] {wrongSecret, null}) {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
            () -> otlp.rawTraces(authorization, OtlpGrpcClients.traces("checkout", "1")));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(e.getStatus().getDescription()).doesNotContain("not-the-secret");
      }
      assertThat(server.acceptedSpans()).isZero();
    }
  }

  @Test
  void aBodyThatIsNotOtlpIsInvalidArgumentNotUnknownAndCountsNothing() throws Exception {
    try (IntakeServer server = start(""); OtlpGrpcClients otlp = new OtlpGrpcClients(server.otlpGrpc().port(), cert)) {
      StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
          () -> otlp.rawTraceBytes(writer, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01}));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(e.getStatus().getDescription()).isEqualTo("the request is not a valid OTLP export request");
      assertThat(server.otlpGrpc().calls(Status.Code.INVALID_ARGUMENT)).isEqualTo(1);
      assertThat(server.acceptedSpans()).isZero();
      // the connection is still good
      assertThat(otlp.rawTraces(writer, OtlpGrpcClients.traces("checkout", "1")).hasPartialSuccess()).isFalse();
      assertThat(server.acceptedSpans()).isEqualTo(1);
    }
  }

  @Test
  void anonymousExportsFollowTheAllowListsPerResourceAsPartialSuccessAndAnExportOfRefusedResourcesOnlyIsRefused() throws Exception {
    String anonymous = """
        apm-server.auth.anonymous.enabled: true
        apm-server.auth.anonymous.allow_service: [checkout]
        apm-server.auth.anonymous.allow_agent: [opentelemetry/java]
        """;
    try (IntakeServer server = start(anonymous); OtlpGrpcClients otlp = new OtlpGrpcClients(server.otlpGrpc().port(), cert)) {
      // the SDK's exporter, no credential: a partial success is still a success to it
      assertThat(otlp.exportSpans(null, OtlpGrpcClients.spans(OtlpGrpcClients.resource("checkout"), 2))).isTrue();
      // every resource refused: the export is refused as a whole, as over HTTP
      assertThat(otlp.exportSpans(null, OtlpGrpcClients.spans(OtlpGrpcClients.resource("billing"), 3))).isFalse();
      assertThat(server.otlpGrpc().calls(Status.Code.PERMISSION_DENIED)).isEqualTo(1);
      assertThat(server.acceptedSpans()).isEqualTo(2);

      ExportTraceServiceResponse answer = otlp.rawTraces(null, OtlpGrpcClients.traces("checkout", "4", "billing", "5"));
      assertThat(answer.hasPartialSuccess()).isTrue();
      assertThat(answer.getPartialSuccess().getRejectedSpans()).isEqualTo(5);
      assertThat(answer.getPartialSuccess().getErrorMessage()).contains("billing");
      assertThat(server.acceptedSpans()).isEqualTo(6);

      ExportTraceServiceResponse allowed = otlp.rawTraces(null, OtlpGrpcClients.traces("checkout", "1"));
      assertThat(allowed.hasPartialSuccess()).isFalse();
      // a key still works as it does without anonymous access, for any service
      assertThat(otlp.rawTraces(writer, OtlpGrpcClients.traces("billing", "2")).hasPartialSuccess()).isFalse();
      assertThat(server.acceptedSpans()).isEqualTo(9);
    }
  }

  /** Anonymous access for one service of the Java SDK, one event a second. */
  private static final String ANONYMOUS_RATE_LIMITED = """
      apm-server.auth.anonymous.enabled: true
      apm-server.auth.anonymous.allow_service: [checkout]
      apm-server.auth.anonymous.allow_agent: [opentelemetry/java]
      apm-server.auth.anonymous.rate_limit.event_limit: 1
      """;

  @Test
  void anonymousExportsShareTheRateLimitAndGetResourceExhausted() throws Exception {
    try (IntakeServer server = start(ANONYMOUS_RATE_LIMITED); OtlpGrpcClients otlp = new OtlpGrpcClients(server.otlpGrpc().port(), cert)) {
      StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
          () -> otlp.rawTraces(null, OtlpGrpcClients.traces("checkout", "50")));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(OtlpGrpcClients.retrySeconds(e)).isPositive();
      assertThat(server.acceptedSpans()).isZero();
      // keys are never rate limited
      assertThat(otlp.rawTraces(writer, OtlpGrpcClients.traces("checkout", "50")).hasPartialSuccess()).isFalse();
      assertThat(server.acceptedSpans()).isEqualTo(50);
    }
  }

  @Test
  void anonymousExportsOfRefusedResourcesOnlyAreChargedToTheRateLimitToo() throws Exception {
    try (IntakeServer server = start(ANONYMOUS_RATE_LIMITED); OtlpGrpcClients otlp = new OtlpGrpcClients(server.otlpGrpc().port(), cert)) {
      // a client decoding work out of the server with exports the allow-lists refuse must hit the limit
      for (int i = 0; i < 20; i++) {
        assertThatThrownBy(() -> otlp.rawTraces(null, OtlpGrpcClients.traces("billing", "1"))).isInstanceOf(StatusRuntimeException.class);
      }
      assertThat(server.otlpGrpc().calls(Status.Code.RESOURCE_EXHAUSTED)).isPositive();
      assertThat(server.acceptedSpans()).isZero();
    }
  }

  @Test
  void aRefusedServiceNameWithControlCharactersAndAHugeLengthIsEscapedAndCutInThePartialSuccess() throws Exception {
    try (IntakeServer server = start(ANONYMOUS_RATE_LIMITED.replace("event_limit: 1", "event_limit: 1000"));
        OtlpGrpcClients otlp = new OtlpGrpcClients(server.otlpGrpc().port(), cert)) {
      String evil = "billing\r\n\u0000\u001b[31m" + "x".repeat(200_000);
      ExportTraceServiceResponse answer = otlp.rawTraces(null, OtlpGrpcClients.traces("checkout", "1", evil, "1"));
      String message = answer.getPartialSuccess().getErrorMessage();
      assertThat(message).contains("billing").doesNotContain("\r", "\n", "\u0000", "\u001b").hasSizeLessThan(2_000);
    }
  }

  @Test
  void aCallThatSendsItsRequestAndNeverHalfClosesIsEndedAfterTheReadTimeout() throws Exception {
    try (IntakeServer server = start("apm-server.read_timeout: 1s\n");
        OtlpGrpcClients otlp = new OtlpGrpcClients(server.otlpGrpc().port(), cert)) {
      // grpc-java keeps a unary request until the half-close; a client that never sends it would be held forever
      java.util.concurrent.atomic.AtomicReference<Status> closed = new java.util.concurrent.atomic.AtomicReference<>();
      io.grpc.ClientCall<?, ?> call = otlp.openTraces(writer, OtlpGrpcClients.traces("checkout", "100"), closed);
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(15);
      while (closed.get() == null && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      call.cancel("done", null);
      assertThat(closed.get()).as("the stalled call is ended by the server").isNotNull();
      assertThat(closed.get().getCode()).isIn(Status.Code.UNAVAILABLE, Status.Code.CANCELLED, Status.Code.INTERNAL);
      assertThat(server.acceptedSpans()).isZero();
      // and a well-behaved client still exports
      assertThat(otlp.rawTraces(writer, OtlpGrpcClients.traces("checkout", "1")).hasPartialSuccess()).isFalse();
    }
  }

  @Test
  void thePortSettingTurnsGrpcOffAndABadOrTakenPortIsOneLineError() throws Exception {
    try (IntakeServer server = start("intake-auth.otlp.grpc.port: \"off\"\n")) {
      assertThat(server.otlpGrpc()).isNull();
    }
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Files.writeString(dir.resolve("taken.yml"), "apm-server.host: 127.0.0.1:0\nintake-auth.otlp.grpc.port: " + taken.getLocalPort() + "\n");
      IntakeServer server = new IntakeServer(Map.of(), new PrintStream(OutputStream.nullOutputStream()));
      StringWriter err = new StringWriter();
      CommandLine cl = IntakeServer.commandLine(server);
      cl.setErr(new PrintWriter(err));
      assertThat(cl.execute("--config", dir.resolve("taken.yml").toString())).isEqualTo(1);
      assertThat(err.toString()).startsWith("Error: intake-auth.otlp.grpc.port: cannot listen on 127.0.0.1:" + taken.getLocalPort() + " (")
          .doesNotContain("\tat ");
    }
    assertThatThrownBy(() -> ServerConfig.parse("intake-auth.otlp.grpc.port: 70000\n", null, Map.of()))
        .isInstanceOf(ConfigException.class).hasMessage("intake-auth.otlp.grpc.port: expected a port from 0 to 65535, or off");
    assertThat(ServerConfig.parse("apm-server.host: 127.0.0.1:8200\n", null, Map.of()).otlpGrpcPort()).isEqualTo(4317);
    assertThat(ServerConfig.parse("apm-server.host: 127.0.0.1:0\n", null, Map.of()).otlpGrpcPort()).isZero();
    assertThat(ServerConfig.parse("", null, Map.of("INTAKE_AUTH_OTLP_GRPC_PORT", "14317")).otlpGrpcPort()).isEqualTo(14317);
  }
}
