package dev.intakeauth.examples.intake;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.util.JsonFormat;
import dev.intakeauth.GeneratedKey;
import dev.intakeauth.Privilege;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import io.opentelemetry.exporter.internal.FailedExportException;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * OTLP over HTTP on the example server, over real TLS sockets, with bodies made by the official
 * generated classes (protobuf) and in OTLP/JSON: the routes' privilege, anonymous resources against
 * the allow-lists, partial success, the body limits and the rate limit.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OtlpHttpTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PROTOBUF = "application/x-protobuf";
  private static final String TRACE_ID = "5b8efff798038103d269b633813fc60c";
  private static final String SPAN_ID = "eee19b7ec3c1b174";

  @TempDir static Path dir;

  private IntakeServer server;
  private HttpClient http;
  private String writer;
  private String configOnly;

  @BeforeAll
  void start() throws Exception {
    Path[] pair = Pem.selfSigned(dir);
    GeneratedKey write = GeneratedKey.generate("otel-writer", Set.of(Privilege.EVENT_WRITE), null);
    GeneratedKey config = GeneratedKey.generate("config-reader", Set.of(Privilege.AGENT_CONFIG_READ), null);
    Files.writeString(dir.resolve("keys.txt"), write.keyFileLine() + "\n" + config.keyFileLine() + "\n");
    writer = "ApiKey " + write.credential().encoded();
    configOnly = "ApiKey " + config.credential().encoded();
    Path yml = dir.resolve("apm-server.yml");
    Files.writeString(yml, """
        apm-server:
          host: 127.0.0.1:0
          auth:
            secret_token: s3cret
            api_key.enabled: true
            anonymous:
              enabled: true
              allow_agent: [opentelemetry/java]
              allow_service: [shop]
              rate_limit.event_limit: 10
          ssl:
            certificate: cert.pem
            key: key.pem
        intake-auth.keys_file: keys.txt
        """);
    server = IntakeServerTest.started(Map.of(), "--config", yml.toString());
    http = HttpClient.newBuilder().sslContext(Client.trusting(pair[0])).build();
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private HttpResponse<byte[]> post(String path, String contentType, byte[] body, @Nullable String authorization, boolean gzip) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).timeout(Duration.ofSeconds(20))
        .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(gzip ? gzip(body) : body));
    if (gzip) {
      r.header("Content-Encoding", "gzip");
    }
    if (authorization != null) {
      r.header("Authorization", authorization);
    }
    return http.send(r.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static byte[] gzip(byte[] body) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
      gz.write(body);
    }
    return bytes.toByteArray();
  }

  private static KeyValue attribute(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }

  private static Resource resource(@Nullable String service, @Nullable String language) {
    Resource.Builder r = Resource.newBuilder();
    if (service != null) {
      r.addAttributes(attribute("service.name", service));
    }
    if (language != null) {
      r.addAttributes(attribute("telemetry.sdk.language", language));
    }
    return r.build();
  }

  private static ResourceSpans spans(@Nullable String service, @Nullable String language, int count) {
    ScopeSpans.Builder scope = ScopeSpans.newBuilder();
    for (int i = 0; i < count; i++) {
      scope.addSpans(Span.newBuilder().setTraceId(ByteString.fromHex(TRACE_ID)).setSpanId(ByteString.fromHex(SPAN_ID)).setName("GET /" + i)
          .setKind(Span.SpanKind.SPAN_KIND_SERVER).setStartTimeUnixNano(1_700_000_000_000_000_000L).setEndTimeUnixNano(1_700_000_000_500_000_000L));
    }
    return ResourceSpans.newBuilder().setResource(resource(service, language)).addScopeSpans(scope).build();
  }

  private static byte[] traces(ResourceSpans... resources) {
    return ExportTraceServiceRequest.newBuilder().addAllResourceSpans(List.of(resources)).build().toByteArray();
  }

  private static String error(HttpResponse<byte[]> r) throws IOException {
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
    String body = new String(r.body(), StandardCharsets.UTF_8);
    assertThat(body).doesNotContainIgnoringCase("exception").doesNotContain("java.").doesNotContain("\tat ");
    return JSON.readTree(body).path("error").asText();
  }

  @Test
  void protobufSpansWithAWriteKeyAreAcceptedAndCounted() throws Exception {
    long before = server.acceptedSpans();
    HttpResponse<byte[]> r = post("/v1/traces", PROTOBUF, traces(spans("shop", "java", 2), spans("anything", "go", 1)), writer, false);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith(PROTOBUF));
    ExportTraceServiceResponse answer = ExportTraceServiceResponse.parseFrom(r.body());
    assertThat(answer.hasPartialSuccess()).as("credentials: every resource is allowed").isFalse();
    assertThat(server.acceptedSpans() - before).isEqualTo(3);
  }

  @Test
  void gzipProtobufMetricsCountEveryDataPoint() throws Exception {
    NumberDataPoint point = NumberDataPoint.newBuilder().setAsDouble(1.5).setTimeUnixNano(1_700_000_000_000_000_000L).build();
    ExportMetricsServiceRequest export = ExportMetricsServiceRequest.newBuilder().addResourceMetrics(ResourceMetrics.newBuilder()
        .setResource(resource("shop", "java"))
        .addScopeMetrics(ScopeMetrics.newBuilder()
            .addMetrics(Metric.newBuilder().setName("cpu").setGauge(Gauge.newBuilder().addDataPoints(point).addDataPoints(point)))
            .addMetrics(Metric.newBuilder().setName("requests").setSum(Sum.newBuilder().addDataPoints(point).addDataPoints(point).addDataPoints(point)))
            .addMetrics(Metric.newBuilder().setName("empty"))))
        .build();
    long before = server.acceptedDataPoints();
    HttpResponse<byte[]> r = post("/v1/metrics", PROTOBUF, export.toByteArray(), "Bearer s3cret", true);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(ExportMetricsServiceResponse.parseFrom(r.body()).hasPartialSuccess()).isFalse();
    assertThat(server.acceptedDataPoints() - before).isEqualTo(5);
  }

  @Test
  void otlpJsonLogsWithHexIdsAreAcceptedAndAnsweredInJson() throws Exception {
    String logs = """
        {"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop"}}]},
          "scopeLogs":[{"scope":{"name":"app"},"logRecords":[
            {"timeUnixNano":"1700000000000000000","severityNumber":9,"body":{"stringValue":"hello"},"traceId":"%s","spanId":"%s","flags":1},
            {"timeUnixNano":1700000000000000001,"body":{"stringValue":"again"},"someFutureField":{"x":1}}]}]}]}
        """.formatted(TRACE_ID, SPAN_ID);
    long before = server.acceptedLogRecords();
    HttpResponse<byte[]> r = post("/v1/logs", "application/json", logs.getBytes(StandardCharsets.UTF_8), writer, true);
    assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
    ExportLogsServiceResponse.Builder answer = ExportLogsServiceResponse.newBuilder();
    JsonFormat.parser().merge(new String(r.body(), StandardCharsets.UTF_8), answer);
    assertThat(answer.hasPartialSuccess()).isFalse();
    assertThat(server.acceptedLogRecords() - before).isEqualTo(2);
  }

  /** OTLP/JSON ids are hex, not the base64 of protobuf's JSON mapping; both decode to the same message as the protobuf body. */
  @Test
  void otlpJsonHexIdsDecodeToTheSameBytesAsProtobuf() throws Exception {
    String json = """
        {"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"%s","spanId":"%s","parentSpanId":"","name":"x",
          "links":[{"traceId":"%s","spanId":"%s"}]}]}]}]}
        """.formatted(TRACE_ID, SPAN_ID, TRACE_ID.toUpperCase(java.util.Locale.ROOT), SPAN_ID);
    ExportTraceServiceRequest parsed = OtlpIntake.parse(OtlpIntake.Format.JSON, json.getBytes(StandardCharsets.UTF_8),
        ExportTraceServiceRequest.newBuilder(), ExportTraceServiceRequest::parseFrom);
    Span span = parsed.getResourceSpans(0).getScopeSpans(0).getSpans(0);
    assertThat(HexFormat.of().formatHex(span.getTraceId().toByteArray())).isEqualTo(TRACE_ID);
    assertThat(HexFormat.of().formatHex(span.getSpanId().toByteArray())).isEqualTo(SPAN_ID);
    assertThat(span.getParentSpanId().isEmpty()).isTrue();
    assertThat(HexFormat.of().formatHex(span.getLinks(0).getTraceId().toByteArray())).isEqualTo(TRACE_ID);
  }

  /** The attack: a key that may only read agent configuration pushing telemetry. */
  @ParameterizedTest
  @ValueSource(strings = {"/v1/traces", "/v1/metrics", "/v1/logs"})
  void aConfigReadOnlyKeyIsRefused403AndAWrongSecret401(String path) throws Exception {
    long spans = server.acceptedSpans();
    HttpResponse<byte[]> forbidden = post(path, PROTOBUF, traces(spans("shop", "java", 1)), configOnly, false);
    assertThat(forbidden.statusCode()).isEqualTo(403);
    assertThat(error(forbidden)).isEqualTo("unauthorized: API Key not permitted action \"event:write\"");
    HttpResponse<byte[]> wrong = post(path, PROTOBUF, traces(spans("shop", "java", 1)), "Bearer guess", false);
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(error(wrong)).isEqualTo("authentication failed");
    assertThat(server.acceptedSpans()).isEqualTo(spans);
  }

  @Test
  void anonymousResourcesOutsideTheAllowListsAreAPartialSuccess() throws Exception {
    long before = server.acceptedSpans();
    HttpResponse<byte[]> r = post("/v1/traces", PROTOBUF,
        traces(spans("shop", "java", 2), spans("other", "java", 3), spans("shop", "go", 1), spans(null, null, 1)), null, false);
    assertThat(r.statusCode()).isEqualTo(200);
    ExportTraceServiceResponse answer = ExportTraceServiceResponse.parseFrom(r.body());
    assertThat(answer.getPartialSuccess().getRejectedSpans()).isEqualTo(5);
    assertThat(answer.getPartialSuccess().getErrorMessage()).isEqualTo("unauthorized: anonymous access not permitted for service \"other\"");
    assertThat(server.acceptedSpans() - before).isEqualTo(2);

    // The same in OTLP/JSON: the partial success in JSON, the count as OTLP/JSON writes an int64.
    String json = """
        {"resourceLogs":[
          {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop"}},{"key":"telemetry.sdk.language","value":{"stringValue":"java"}}]},
           "scopeLogs":[{"logRecords":[{"body":{"stringValue":"in"}}]}]},
          {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop"}},{"key":"telemetry.sdk.language","value":{"stringValue":"python"}}]},
           "scopeLogs":[{"logRecords":[{"body":{"stringValue":"out"}},{"body":{"stringValue":"out"}}]}]}]}
        """;
    long logs = server.acceptedLogRecords();
    HttpResponse<byte[]> j = post("/v1/logs", "application/json; charset=utf-8", json.getBytes(StandardCharsets.UTF_8), null, false);
    assertThat(j.statusCode()).isEqualTo(200);
    JsonNode partial = JSON.readTree(j.body()).path("partialSuccess");
    assertThat(partial.path("rejectedLogRecords").asLong()).isEqualTo(2);
    assertThat(partial.path("errorMessage").asText()).isEqualTo("unauthorized: anonymous access not permitted for agent \"opentelemetry/python\"");
    assertThat(server.acceptedLogRecords() - logs).isEqualTo(1);
  }

  @Test
  void anonymousRequestsWithEveryResourceRefusedAre403() throws Exception {
    HttpResponse<byte[]> r = post("/v1/traces", PROTOBUF, traces(spans("other", "java", 1)), null, false);
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(error(r)).isEqualTo("unauthorized: anonymous access not permitted for service \"other\"");
  }

  @Test
  void anonymousItemsAreChargedToTheRateLimitLikeEvents() throws Exception {
    // event_limit 10: a bucket holds 30; 100 spans at once never fit.
    long before = server.acceptedSpans();
    HttpResponse<byte[]> r = post("/v1/traces", PROTOBUF, traces(spans("shop", "java", 100)), null, false);
    assertThat(r.statusCode()).isEqualTo(429);
    assertThat(r.headers().firstValue("Retry-After")).isPresent();
    assertThat(error(r)).isEqualTo("too many requests: rate limit exceeded");
    assertThat(server.acceptedSpans()).isEqualTo(before);
    // With a credential the same request is no one's rate limit.
    assertThat(post("/v1/traces", PROTOBUF, traces(spans("shop", "java", 100)), writer, false).statusCode()).isEqualTo(200);
  }

  @ParameterizedTest
  @ValueSource(strings = {PROTOBUF, "application/json"})
  void aBodyThatDoesNotParseIs400(String type) throws Exception {
    // 0x0a 0xff...: a length-delimited field longer than the body; then text that is not JSON, and JSON that is not OTLP.
    for (byte[] body : List.of(new byte[] {0x0a, (byte) 0xff, (byte) 0xff, 0x0f, 1, 2}, "{\"resourceSpans\": [".getBytes(StandardCharsets.UTF_8),
        "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"not hex\"}]}]}]}".getBytes(StandardCharsets.UTF_8),
        "[1,2]".getBytes(StandardCharsets.UTF_8))) {
      if (type.equals(PROTOBUF) && body[0] != 0x0a) {
        continue;
      }
      if (!type.equals(PROTOBUF) && body[0] == 0x0a) {
        continue;
      }
      HttpResponse<byte[]> r = post("/v1/traces", type, body, writer, false);
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(error(r)).startsWith("data decoding error: the body is not an OTLP");
    }
  }

  @Test
  void deeplyNestedAttributeValuesAre400NotAStackOverflow() throws Exception {
    // nested array values: under Jackson's nesting limit but past the protobuf parsers' recursion limit
    String value = "{\"stringValue\":\"x\"}";
    io.opentelemetry.proto.common.v1.AnyValue nested = io.opentelemetry.proto.common.v1.AnyValue.newBuilder().setStringValue("x").build();
    for (int i = 0; i < 300; i++) {
      value = "{\"arrayValue\":{\"values\":[" + value + "]}}";
      nested = io.opentelemetry.proto.common.v1.AnyValue.newBuilder()
          .setArrayValue(io.opentelemetry.proto.common.v1.ArrayValue.newBuilder().addValues(nested)).build();
    }
    String json = "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"a\",\"value\":" + value + "}]}}]}";
    byte[] protobuf = ExportTraceServiceRequest.newBuilder().addResourceSpans(io.opentelemetry.proto.trace.v1.ResourceSpans.newBuilder()
        .setResource(io.opentelemetry.proto.resource.v1.Resource.newBuilder().addAttributes(
            io.opentelemetry.proto.common.v1.KeyValue.newBuilder().setKey("a").setValue(nested)))).build().toByteArray();
    String arrays = "[".repeat(100_000) + "]".repeat(100_000);
    for (var body : List.of(Map.entry("application/json", json.getBytes(StandardCharsets.UTF_8)), Map.entry(PROTOBUF, protobuf),
        Map.entry("application/json", arrays.getBytes(StandardCharsets.UTF_8)))) {
      HttpResponse<byte[]> r = post("/v1/traces", body.getKey(), body.getValue(), writer, false);
      assertThat(r.statusCode()).as(body.getKey()).isEqualTo(400);
    }
    assertThat(post("/v1/traces", PROTOBUF, ExportTraceServiceRequest.getDefaultInstance().toByteArray(), writer, false).statusCode()).isEqualTo(200);
  }

  @ParameterizedTest
  @ValueSource(strings = {"application/x-ndjson", "text/plain", "application/protobuf", "application/jsonx"})
  void aContentTypeOtlpDoesNotUseIs415(String type) throws Exception {
    HttpResponse<byte[]> r = post("/v1/logs", type, "{}".getBytes(StandardCharsets.UTF_8), writer, false);
    assertThat(r.statusCode()).isEqualTo(415);
    assertThat(error(r)).startsWith("unsupported content type: '" + type + "'");
  }

  @Test
  void aDecompressionBombIs413AfterTheDecompressedCap() throws Exception {
    byte[] bomb = IntakeServerBadInputTest.gzipBomb((byte) 0, 1024);
    long decoded = server.decodedBytes();
    HttpRequest request = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/traces")).timeout(Duration.ofSeconds(30))
        .header("Content-Type", PROTOBUF).header("Content-Encoding", "gzip").header("Authorization", writer)
        .POST(HttpRequest.BodyPublishers.ofByteArray(bomb)).build();
    // A client of its own: the server closes the connection on the answer, while the client may still be writing.
    HttpResponse<byte[]> r = HttpClient.newBuilder().sslContext(Client.trusting(dir.resolve("cert.pem"))).build()
        .send(request, HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(error(r)).isEqualTo("request body too large: more than 20971520 bytes decompressed");
    assertThat(server.decodedBytes() - decoded).as("stopped near the 20 MiB cap, not at 1 GiB").isLessThan(22L << 20);
    // Given back when the request ends on the server, which may be just after the client has the answer.
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (server.bufferedLineBytes() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(server.bufferedLineBytes()).as("the held body is given back").isZero();
  }

  private OtlpHttpSpanExporter exporter(String authorization) throws IOException {
    return OtlpHttpSpanExporter.builder().setEndpoint(server.baseUrl() + "/v1/traces").addHeader("Authorization", authorization)
        .setTrustedCertificates(Files.readAllBytes(dir.resolve("cert.pem"))).setCompression("gzip").setTimeout(Duration.ofSeconds(10)).build();
  }

  /** A client nobody here wrote: the OpenTelemetry SDK's OTLP/HTTP (protobuf) span exporter, with an API key. */
  @Test
  void theOpenTelemetrySdkExporterExportsWithAWriteKeyAndIsRefusedWithAConfigKey() throws Exception {
    List<SpanData> spans = OtlpGrpcClients.spans(OtlpGrpcClients.resource("shop"), 2);
    assertThat(spans).hasSize(2);
    long before = server.acceptedSpans();
    try (OtlpHttpSpanExporter exporter = exporter(writer)) {
      CompletableResultCode result = exporter.export(spans).join(20, TimeUnit.SECONDS);
      assertThat(result.isSuccess()).as("%s", result.getFailureThrowable()).isTrue();
    }
    assertThat(server.acceptedSpans() - before).isEqualTo(2);
    try (OtlpHttpSpanExporter exporter = exporter(configOnly)) {
      CompletableResultCode result = exporter.export(spans).join(20, TimeUnit.SECONDS);
      assertThat(result.isSuccess()).isFalse();
      assertThat(result.getFailureThrowable()).isInstanceOfSatisfying(FailedExportException.HttpExportException.class,
          e -> assertThat(e.getResponse().getStatusCode()).isEqualTo(403));
    }
    assertThat(server.acceptedSpans() - before).isEqualTo(2);
  }
}
