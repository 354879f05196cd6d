package dev.intakeauth.examples.intake;

import dev.intakeauth.AuthResult;
import dev.intakeauth.access.AccessControl;
import dev.intakeauth.access.Decision;
import dev.intakeauth.access.RequestAuthorization;
import dev.intakeauth.grpc.GrpcDenials;
import dev.intakeauth.grpc.IntakeAuthInterceptor;
import io.grpc.BindableService;
import io.grpc.ForwardingServerCall;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsPartialSuccess;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsPartialSuccess;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import javax.net.ssl.KeyManagerFactory;
import org.jspecify.annotations.Nullable;

/**
 * OTLP over gRPC on its own port: the OpenTelemetry collector services' {@code Export} methods
 * (traces, metrics, logs) behind {@link IntakeAuthInterceptor}, with the server's TLS pair when it
 * has one. Each resource of an anonymous call is checked against the allow-lists, its service from
 * {@code service.name} and its agent {@code opentelemetry/<telemetry.sdk.language>}; the items of a
 * refused resource are answered as OTLP's partial success, the others charged to the anonymous rate
 * limit. Counts the accepted spans, data points and log records, and the status of every call.
 */
final class OtlpGrpcServer implements AutoCloseable {

  final AtomicLong acceptedSpans = new AtomicLong();
  final AtomicLong acceptedDataPoints = new AtomicLong();
  final AtomicLong acceptedLogRecords = new AtomicLong();
  private final Map<Status.Code, AtomicLong> statuses = new EnumMap<>(Status.Code.class);
  private final Server server;

  private OtlpGrpcServer(NettyServerBuilder builder, AccessControl access, Executor executor) {
    for (Status.Code code : Status.Code.values()) {
      statuses.put(code, new AtomicLong());
    }
    // Interceptors run last-added first: the count sees the interceptor's denials too.
    this.server = builder.executor(executor)
        .addService(parsedInService(new Traces()))
        .addService(parsedInService(new Metrics()))
        .addService(parsedInService(new Logs()))
        .intercept(IntakeAuthInterceptor.builder(access).executor(executor).build())
        .intercept(new StatusCount())
        .build();
  }

  /**
   * Starts serving.
   *
   * @param host the address to bind, as the HTTP listener's
   * @param port the port; 0 for any free one
   * @param tls the HTTP listener's key store ({@link Pem#keyStore}), or null for plaintext (h2c)
   * @param access the access control, built on the OTLP method table
   * @param executor where services and held calls run: the server's own threads
   * @param maxMessageSize the largest request accepted, decompressed
   * @param idleTimeout how long a connection with no call open is kept
   * @return the running server
   * @throws IOException if the port cannot be bound
   */
  static OtlpGrpcServer start(String host, int port, @Nullable KeyStore tls, AccessControl access, Executor executor, int maxMessageSize,
      Duration idleTimeout) throws IOException {
    ServerCredentials credentials;
    if (tls == null) {
      credentials = InsecureServerCredentials.create();
    } else {
      try {
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(tls, Pem.STORE_PASSWORD);
        credentials = TlsServerCredentials.newBuilder().keyManager(keys.getKeyManagers()).build();
      } catch (GeneralSecurityException e) {
        throw new ConfigException("apm-server.ssl: the certificate and key cannot serve gRPC (" + e.getClass().getSimpleName() + ")");
      }
    }
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(host, port), credentials)
        .maxInboundMessageSize(maxMessageSize)
        .maxConnectionIdle(idleTimeout.toMillis(), TimeUnit.MILLISECONDS);
    OtlpGrpcServer otlp = new OtlpGrpcServer(builder, access, executor);
    otlp.server.start();
    return otlp;
  }

  /** The port it listens on. */
  int port() {
    return server.getPort();
  }

  /** How many calls have ended with this status, the interceptor's denials included. */
  long calls(Status.Code code) {
    return statuses.get(code).get();
  }

  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /** What one {@code Export} call accepted and refused. */
  private record Tally(long accepted, long rejected, @Nullable String message) {}

  /**
   * Decides each resource of a call and charges what it accepts to the rate limit; null when the
   * call has been failed (429).
   */
  private static <R> @Nullable Tally tally(List<R> resources, Function<R, Resource> resourceOf, ToIntFunction<R> items,
      StreamObserver<?> response) {
    RequestAuthorization auth = IntakeAuthInterceptor.AUTHORIZATION.get();
    long accepted = 0;
    long rejected = 0;
    String message = null;
    for (R r : resources) {
      int n = items.applyAsInt(r);
      Resource resource = resourceOf.apply(r);
      String language = attribute(resource, "telemetry.sdk.language");
      // APM Server names an OpenTelemetry SDK's data opentelemetry/<language>.
      String agent = language == null || language.isEmpty() ? "opentelemetry" : "opentelemetry/" + language;
      if (auth != null && auth.authorizeEvent(attribute(resource, "service.name"), agent) instanceof AuthResult.Denied denied) {
        rejected += n;
        message = denied.message();
      } else {
        accepted += n;
      }
    }
    // Every anonymous call costs at least one event, so that calls whose resources are all refused are not free.
    AuthResult.RateLimited limited = auth == null ? null : auth.acquireEvents((int) Math.min(Integer.MAX_VALUE, Math.max(1, accepted)));
    if (limited != null) {
      response.onError(GrpcDenials.exception(Decision.Deny.of(limited)));
      return null;
    }
    return new Tally(accepted, rejected, message);
  }

  private static @Nullable String attribute(Resource resource, String key) {
    for (KeyValue kv : resource.getAttributesList()) {
      if (key.equals(kv.getKey()) && kv.getValue().hasStringValue()) {
        return kv.getValue().getStringValue();
      }
    }
    return null;
  }

  private final class Traces extends TraceServiceGrpc.TraceServiceImplBase {
    @Override
    public void export(ExportTraceServiceRequest request, StreamObserver<ExportTraceServiceResponse> response) {
      Tally t = tally(request.getResourceSpansList(), ResourceSpans::getResource,
          r -> r.getScopeSpansList().stream().mapToInt(ScopeSpans::getSpansCount).sum(), response);
      if (t == null) {
        return;
      }
      acceptedSpans.addAndGet(t.accepted());
      ExportTraceServiceResponse.Builder answer = ExportTraceServiceResponse.newBuilder();
      if (t.rejected() > 0) {
        answer.setPartialSuccess(ExportTracePartialSuccess.newBuilder().setRejectedSpans(t.rejected()).setErrorMessage(String.valueOf(t.message())));
      }
      response.onNext(answer.build());
      response.onCompleted();
    }
  }

  private final class Metrics extends MetricsServiceGrpc.MetricsServiceImplBase {
    @Override
    public void export(ExportMetricsServiceRequest request, StreamObserver<ExportMetricsServiceResponse> response) {
      Tally t = tally(request.getResourceMetricsList(), ResourceMetrics::getResource,
          r -> r.getScopeMetricsList().stream().mapToInt(s -> s.getMetricsList().stream().mapToInt(OtlpGrpcServer::dataPoints).sum()).sum(),
          response);
      if (t == null) {
        return;
      }
      acceptedDataPoints.addAndGet(t.accepted());
      ExportMetricsServiceResponse.Builder answer = ExportMetricsServiceResponse.newBuilder();
      if (t.rejected() > 0) {
        answer.setPartialSuccess(ExportMetricsPartialSuccess.newBuilder().setRejectedDataPoints(t.rejected()).setErrorMessage(String.valueOf(t.message())));
      }
      response.onNext(answer.build());
      response.onCompleted();
    }
  }

  private static int dataPoints(Metric m) {
    return switch (m.getDataCase()) {
      case GAUGE -> m.getGauge().getDataPointsCount();
      case SUM -> m.getSum().getDataPointsCount();
      case HISTOGRAM -> m.getHistogram().getDataPointsCount();
      case EXPONENTIAL_HISTOGRAM -> m.getExponentialHistogram().getDataPointsCount();
      case SUMMARY -> m.getSummary().getDataPointsCount();
      case DATA_NOT_SET -> 0;
    };
  }

  private final class Logs extends LogsServiceGrpc.LogsServiceImplBase {
    @Override
    public void export(ExportLogsServiceRequest request, StreamObserver<ExportLogsServiceResponse> response) {
      Tally t = tally(request.getResourceLogsList(), ResourceLogs::getResource,
          r -> r.getScopeLogsList().stream().mapToInt(ScopeLogs::getLogRecordsCount).sum(), response);
      if (t == null) {
        return;
      }
      acceptedLogRecords.addAndGet(t.accepted());
      ExportLogsServiceResponse.Builder answer = ExportLogsServiceResponse.newBuilder();
      if (t.rejected() > 0) {
        answer.setPartialSuccess(ExportLogsPartialSuccess.newBuilder().setRejectedLogRecords(t.rejected()).setErrorMessage(String.valueOf(t.message())));
      }
      response.onNext(answer.build());
      response.onCompleted();
    }
  }

  /**
   * The service, its requests decoded where a bad one can be answered. grpc-java decodes a unary
   * request on its own and ends the call {@code UNKNOWN} when that fails; here the bytes reach the
   * service, are decoded there, and a body that is not the method's message is {@code INVALID_ARGUMENT}.
   */
  private static ServerServiceDefinition parsedInService(BindableService service) {
    return ServerInterceptors.intercept(ServerInterceptors.useMarshalledMessages(service.bindService(), BYTES), new BadRequests());
  }

  /** A message as its bytes. */
  static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw Status.INTERNAL.withDescription("the request could not be read").asRuntimeException();
      }
    }
  };

  /** Ends a call whose request does not decode with {@code INVALID_ARGUMENT}, and keeps it from the service. */
  private static final class BadRequests implements ServerInterceptor {
    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
      ServerCall.Listener<ReqT> service = next.startCall(call, headers);
      return new ServerCall.Listener<>() {
        // The callbacks of one call never run at the same time.
        private boolean refused;

        @Override
        public void onMessage(ReqT message) {
          if (refused) {
            return;
          }
          try {
            // decodes the request; the unary service only keeps it until the half-close
            service.onMessage(message);
          } catch (StatusRuntimeException e) {
            refused = true;
            call.close(Status.INVALID_ARGUMENT.withDescription("the request is not a valid OTLP export request"), new Metadata());
          }
        }

        @Override
        public void onHalfClose() {
          if (!refused) {
            service.onHalfClose();
          }
        }

        @Override
        public void onReady() {
          if (!refused) {
            service.onReady();
          }
        }

        @Override
        public void onCancel() {
          service.onCancel();
        }

        @Override
        public void onComplete() {
          service.onComplete();
        }
      };
    }
  }

  /** Counts the status every call ends with. */
  private final class StatusCount implements ServerInterceptor {
    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
      return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
        @Override
        public void close(Status status, Metadata trailers) {
          statuses.get(status.getCode()).incrementAndGet();
          super.close(status, trailers);
        }
      }, headers);
    }
  }
}
