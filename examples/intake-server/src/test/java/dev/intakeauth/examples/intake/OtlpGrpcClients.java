package dev.intakeauth.examples.intake;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.RetryInfo;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.exporter.otlp.logs.OtlpGrpcLogRecordExporter;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.common.export.RetryPolicy;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemoryLogRecordExporter;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Talks OTLP/gRPC to the example server two ways: through the OpenTelemetry Java SDK's own
 * exporters (with their default OkHttp sender), and with a raw grpc-java call where a test needs the
 * status, its trailers or the response's partial success.
 */
final class OtlpGrpcClients implements AutoCloseable {

  private final String endpoint;
  private final byte[] caPem;
  private final ManagedChannel channel;

  /**
   * @param port the server's OTLP/gRPC port
   * @param ca the server's self-signed certificate
   */
  OtlpGrpcClients(int port, Path ca) throws IOException {
    this.endpoint = "https://127.0.0.1:" + port;
    this.caPem = Files.readAllBytes(ca);
    this.channel = NettyChannelBuilder.forAddress("127.0.0.1", port, TlsChannelCredentials.newBuilder().trustManager(ca.toFile()).build())
        .overrideAuthority("localhost").build();
  }

  /** A resource as an OpenTelemetry Java SDK reports it, naming this service. */
  static Resource resource(String service) {
    return Resource.getDefault().merge(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), service)));
  }

  /** Spans ended by the SDK under this resource. */
  static List<SpanData> spans(Resource resource, int count) {
    InMemorySpanExporter ended = InMemorySpanExporter.create();
    try (SdkTracerProvider tracers = SdkTracerProvider.builder().setResource(resource).addSpanProcessor(SimpleSpanProcessor.create(ended)).build()) {
      for (int i = 0; i < count; i++) {
        tracers.get("test").spanBuilder("GET /cart " + i).startSpan().end();
      }
      // before the provider closes: closing the exporter drops what it holds
      return ended.getFinishedSpanItems();
    }
  }

  /** Metrics collected by the SDK under this resource: one counter with one data point per attribute value. */
  static List<MetricData> metrics(Resource resource, int points) {
    InMemoryMetricReader reader = InMemoryMetricReader.create();
    try (SdkMeterProvider meters = SdkMeterProvider.builder().setResource(resource).registerMetricReader(reader).build()) {
      var counter = meters.get("test").counterBuilder("requests").build();
      for (int i = 0; i < points; i++) {
        counter.add(1, Attributes.of(AttributeKey.stringKey("route"), "/r" + i));
      }
      return List.copyOf(reader.collectAllMetrics());
    }
  }

  /** Log records emitted through the SDK under this resource. */
  static List<LogRecordData> logs(Resource resource, int count) {
    InMemoryLogRecordExporter emitted = InMemoryLogRecordExporter.create();
    try (SdkLoggerProvider loggers = SdkLoggerProvider.builder().setResource(resource)
        .addLogRecordProcessor(SimpleLogRecordProcessor.create(emitted)).build()) {
      for (int i = 0; i < count; i++) {
        loggers.get("test").logRecordBuilder().setBody("line " + i).emit();
      }
      return emitted.getFinishedLogRecordItems();
    }
  }

  /** Exports spans with the SDK's gRPC exporter; true when the SDK counts the export a success. */
  boolean exportSpans(@Nullable String authorization, List<SpanData> spans) {
    var b = OtlpGrpcSpanExporter.builder().setEndpoint(endpoint).setTrustedCertificates(caPem).setTimeout(Duration.ofSeconds(10))
        .setRetryPolicy(RetryPolicy.builder().setMaxAttempts(2).setInitialBackoff(Duration.ofMillis(100)).build());
    if (authorization != null) {
      b.addHeader("Authorization", authorization);
    }
    try (OtlpGrpcSpanExporter exporter = b.build()) {
      return exporter.export(spans).join(20, TimeUnit.SECONDS).isSuccess();
    }
  }

  /** Exports metrics with the SDK's gRPC exporter; true when the SDK counts the export a success. */
  boolean exportMetrics(@Nullable String authorization, List<MetricData> metrics) {
    var b = OtlpGrpcMetricExporter.builder().setEndpoint(endpoint).setTrustedCertificates(caPem).setTimeout(Duration.ofSeconds(10));
    if (authorization != null) {
      b.addHeader("Authorization", authorization);
    }
    try (OtlpGrpcMetricExporter exporter = b.build()) {
      return exporter.export(metrics).join(20, TimeUnit.SECONDS).isSuccess();
    }
  }

  /** Exports log records with the SDK's gRPC exporter; true when the SDK counts the export a success. */
  boolean exportLogs(@Nullable String authorization, List<LogRecordData> logs) {
    var b = OtlpGrpcLogRecordExporter.builder().setEndpoint(endpoint).setTrustedCertificates(caPem).setTimeout(Duration.ofSeconds(10));
    if (authorization != null) {
      b.addHeader("Authorization", authorization);
    }
    try (OtlpGrpcLogRecordExporter exporter = b.build()) {
      return exporter.export(logs).join(20, TimeUnit.SECONDS).isSuccess();
    }
  }

  /** A raw trace export request: spans per service, each resource from an OpenTelemetry Java SDK. */
  static ExportTraceServiceRequest traces(String... serviceAndCount) {
    ExportTraceServiceRequest.Builder request = ExportTraceServiceRequest.newBuilder();
    for (int i = 0; i < serviceAndCount.length; i += 2) {
      ScopeSpans.Builder scope = ScopeSpans.newBuilder();
      for (int n = 0; n < Integer.parseInt(serviceAndCount[i + 1]); n++) {
        scope.addSpans(Span.newBuilder().setName("span " + n));
      }
      request.addResourceSpans(ResourceSpans.newBuilder()
          .setResource(io.opentelemetry.proto.resource.v1.Resource.newBuilder()
              .addAttributes(attribute("service.name", serviceAndCount[i]))
              .addAttributes(attribute("telemetry.sdk.language", "java")))
          .addScopeSpans(scope));
    }
    return request.build();
  }

  private static KeyValue attribute(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }

  /**
   * Starts a trace export and sends its request without half-closing, as a client that never finishes
   * would; the call's closing status lands in {@code closed}.
   */
  io.grpc.ClientCall<ExportTraceServiceRequest, ExportTraceServiceResponse> openTraces(String authorization, ExportTraceServiceRequest request,
      java.util.concurrent.atomic.AtomicReference<io.grpc.Status> closed) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), authorization);
    io.grpc.ClientCall<ExportTraceServiceRequest, ExportTraceServiceResponse> call = channel.newCall(
        // as a streaming call, so the request is flushed before any half-close (grpc-java holds a unary one back)
        TraceServiceGrpc.getExportMethod().toBuilder().setType(MethodDescriptor.MethodType.BIDI_STREAMING).build(), CallOptions.DEFAULT);
    call.start(new io.grpc.ClientCall.Listener<>() {
      @Override
      public void onClose(io.grpc.Status status, Metadata trailers) {
        closed.set(status);
      }
    }, headers);
    call.request(1);
    call.sendMessage(request);
    return call;
  }

  /** A raw grpc-java call to the trace service; throws the call's status as a {@link StatusRuntimeException}. */
  ExportTraceServiceResponse rawTraces(@Nullable String authorization, ExportTraceServiceRequest request) {
    Metadata headers = new Metadata();
    if (authorization != null) {
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), authorization);
    }
    return TraceServiceGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .withDeadlineAfter(20, TimeUnit.SECONDS).export(request);
  }

  /** Sends these bytes as a trace export request, as a broken or hostile client would. */
  byte[] rawTraceBytes(String authorization, byte[] body) {
    MethodDescriptor<byte[], byte[]> export = MethodDescriptor.<byte[], byte[]>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(TraceServiceGrpc.getExportMethod().getFullMethodName()).setRequestMarshaller(OtlpGrpcServer.BYTES).setResponseMarshaller(OtlpGrpcServer.BYTES).build();
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), authorization);
    return ClientCalls.blockingUnaryCall(ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers)), export,
        CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS), body);
  }

  /** The retry hint of a failed call, in seconds, from both its {@code retry-after} trailer and its {@code RetryInfo}. */
  static long retrySeconds(StatusRuntimeException e) {
    Metadata trailers = e.getTrailers();
    assertThat(trailers).isNotNull();
    String header = trailers.get(Metadata.Key.of("retry-after", Metadata.ASCII_STRING_MARSHALLER));
    assertThat(header).isNotNull();
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    assertThat(status).isNotNull();
    long fromDetails = status.getDetailsList().stream().filter(d -> d.is(RetryInfo.class)).map(d -> {
      try {
        return d.unpack(RetryInfo.class).getRetryDelay().getSeconds();
      } catch (com.google.protobuf.InvalidProtocolBufferException x) {
        throw new AssertionError(x);
      }
    }).findFirst().orElseThrow();
    assertThat(Long.parseLong(header)).isEqualTo(fromDetails);
    return fromDetails;
  }

  @Override
  public void close() {
    channel.shutdownNow();
  }
}
