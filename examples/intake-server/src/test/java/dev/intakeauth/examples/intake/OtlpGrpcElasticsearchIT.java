package dev.intakeauth.examples.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.intakeauth.testelasticsearch.ElasticsearchNode;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.opentelemetry.exporter.internal.FailedExportException;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OTLP end to end: the OpenTelemetry Java SDK's own exporters, over gRPC and over HTTP/protobuf, send
 * to the example server, whose API keys are checked by a real, secured Elasticsearch 8.15. One node
 * for every case.
 */
class OtlpGrpcElasticsearchIT {

  @TempDir Path dir;

  @Test
  void theSdksGrpcAndHttpExportersGetExactlyTheirKeysPrivilegesAndCachedKeysOutliveElasticsearch() throws Exception {
    try (ElasticsearchNode es = ElasticsearchNode.start("8.15.0")) {
      ElasticsearchNode.ApiKey writerKey = es.createApiKey("otel-writer", ElasticsearchNode.apmRole("event:write"), null);
      String writer = "ApiKey " + writerKey.encoded();
      String configOnly = "ApiKey " + es.createApiKey("otel-config", ElasticsearchNode.apmRole("config_agent:read"), null).encoded();
      String wrongSecret = "ApiKey " + Base64.getEncoder().encodeToString((writerKey.id() + ":not-the-secret").getBytes(StandardCharsets.UTF_8));

      Path cert = Pem.selfSigned(dir)[0];
      Path yml = dir.resolve("apm-server.yml");
      Files.writeString(yml, """
          apm-server:
            host: 127.0.0.1:0
            auth:
              api_key:
                enabled: true
                elasticsearch:
                  hosts: ["%s"]
            ssl:
              certificate: cert.pem
              key: key.pem
          """.formatted(es.url()));
      Resource checkout = OtlpGrpcClients.resource("checkout");
      try (IntakeServer server = IntakeServerTest.started(Map.of(), "--config", yml.toString());
          OtlpGrpcClients otlp = new OtlpGrpcClients(server.otlpGrpc().port(), cert)) {
        OtlpGrpcServer grpc = server.otlpGrpc();

        assertThat(otlp.exportSpans(writer, OtlpGrpcClients.spans(checkout, 3))).isTrue();
        assertThat(otlp.exportMetrics(writer, OtlpGrpcClients.metrics(checkout, 2))).isTrue();
        assertThat(otlp.exportLogs(writer, OtlpGrpcClients.logs(checkout, 4))).isTrue();
        assertThat(server.acceptedSpans()).isEqualTo(3);
        assertThat(server.acceptedDataPoints()).isEqualTo(2);
        assertThat(server.acceptedLogRecords()).isEqualTo(4);

        assertThat(otlp.exportSpans(configOnly, OtlpGrpcClients.spans(checkout, 1))).isFalse();
        assertThat(grpc.calls(Status.Code.PERMISSION_DENIED)).isEqualTo(1);
        StatusRuntimeException denied = catchThrowableOfType(StatusRuntimeException.class,
            () -> otlp.rawTraces(configOnly, OtlpGrpcClients.traces("checkout", "1")));
        assertThat(denied.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(denied.getStatus().getDescription()).isEqualTo("unauthorized: API Key not permitted action \"event:write\"");

        assertThat(otlp.exportSpans(wrongSecret, OtlpGrpcClients.spans(checkout, 1))).isFalse();
        assertThat(grpc.calls(Status.Code.UNAUTHENTICATED)).isEqualTo(1);
        StatusRuntimeException unauthenticated = catchThrowableOfType(StatusRuntimeException.class,
            () -> otlp.rawTraces(wrongSecret, OtlpGrpcClients.traces("checkout", "1")));
        assertThat(unauthenticated.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(server.acceptedSpans()).isEqualTo(3);

        // The same keys over HTTP/protobuf, with the SDK's HTTP exporter.
        assertThat(httpExport(server, cert, writer, 3).isSuccess()).isTrue();
        assertThat(server.acceptedSpans()).isEqualTo(6);
        assertThat(httpStatus(httpExport(server, cert, configOnly, 1))).isEqualTo(403);
        assertThat(httpStatus(httpExport(server, cert, wrongSecret, 1))).isEqualTo(401);
        assertThat(server.acceptedSpans()).isEqualTo(6);

        // Elasticsearch down: a key never seen gets UNAVAILABLE with a retry hint, well within the
        // call's 20 s deadline; the cached key keeps exporting
        es.stop();
        String unseen = "ApiKey " + Base64.getEncoder().encodeToString("unseen-id:secret".getBytes(StandardCharsets.UTF_8));
        long start = System.nanoTime();
        StatusRuntimeException down = catchThrowableOfType(StatusRuntimeException.class,
            () -> otlp.rawTraces(unseen, OtlpGrpcClients.traces("checkout", "1")));
        assertThat(down.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(down.getStatus().getDescription()).isEqualTo("service unavailable");
        assertThat(OtlpGrpcClients.retrySeconds(down)).isPositive();
        assertThat((System.nanoTime() - start) / 1_000_000_000).isLessThan(20);

        // and over HTTP: 503 for the key never seen, the cached key goes on
        assertThat(httpStatus(httpExport(server, cert, unseen, 1))).isEqualTo(503);
        HttpResponse<String> raw = HttpClient.newBuilder().sslContext(Client.trusting(cert)).build().send(
            HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/traces")).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/x-protobuf").header("Authorization", unseen)
                .POST(HttpRequest.BodyPublishers.ofByteArray(OtlpGrpcClients.traces("checkout", "1").toByteArray())).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(raw.statusCode()).isEqualTo(503);
        assertThat(raw.headers().firstValue("Retry-After")).hasValueSatisfying(v -> assertThat(Long.parseLong(v)).isPositive());

        assertThat(otlp.exportSpans(writer, OtlpGrpcClients.spans(checkout, 2))).isTrue();
        assertThat(otlp.exportLogs(writer, OtlpGrpcClients.logs(checkout, 1))).isTrue();
        assertThat(httpExport(server, cert, writer, 1).isSuccess()).isTrue();
        assertThat(server.acceptedSpans()).isEqualTo(9);
        assertThat(server.acceptedLogRecords()).isEqualTo(5);
      }
    }
  }

  /** Exports spans with the SDK's OTLP/HTTP (protobuf) exporter and an {@code Authorization} header. */
  private static CompletableResultCode httpExport(IntakeServer server, Path cert, String authorization, int spans) throws Exception {
    try (OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder().setEndpoint(server.baseUrl() + "/v1/traces")
        .addHeader("Authorization", authorization).setTrustedCertificates(Files.readAllBytes(cert)).setTimeout(Duration.ofSeconds(20)).build()) {
      return exporter.export(OtlpGrpcClients.spans(OtlpGrpcClients.resource("checkout"), spans)).join(30, TimeUnit.SECONDS);
    }
  }

  /** The HTTP status of a failed export. */
  private static int httpStatus(CompletableResultCode result) {
    assertThat(result.isSuccess()).isFalse();
    assertThat(result.getFailureThrowable()).isInstanceOf(FailedExportException.HttpExportException.class);
    return ((FailedExportException.HttpExportException) result.getFailureThrowable()).getResponse().getStatusCode();
  }
}
