package dev.intakeauth.examples.intake;

import dev.intakeauth.access.AccessControl;
import dev.intakeauth.access.Decision;
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
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import org.jspecify.annotations.Nullable;

/**
 * OTLP over gRPC on its own port: the OpenTelemetry collector services' {@code Export} methods
 * (traces, metrics, logs) behind {@link IntakeAuthInterceptor}, with the server's TLS pair when it
 * has one. Each export is answered by {@link OtlpExport}, as over HTTP. Counts the accepted spans,
 * data points and log records, and the status of every call.
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
   * @param readTimeout how long a connection may live, and then how long its open calls have to finish
   * @return the running server
   * @throws IOException if the port cannot be bound
   */
  static OtlpGrpcServer start(String host, int port, @Nullable KeyStore tls, AccessControl access, Executor executor, int maxMessageSize,
      Duration idleTimeout, Duration readTimeout) throws IOException {
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
        .maxConnectionIdle(idleTimeout.toMillis(), TimeUnit.MILLISECONDS)
        // grpc-java keeps a unary request until the client half-closes: a call that never does would be
        // held for good. As the HTTP side's read timeout, this bounds how long a call may take.
        .maxConnectionAge(readTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .maxConnectionAgeGrace(readTimeout.toMillis(), TimeUnit.MILLISECONDS);
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

  /**
   * Answers one {@code Export} call: its response, counted, or its refusal (403, 429) as the
   * interceptor maps statuses.
   */
  private static <T> void answer(OtlpExport.Outcome outcome, AtomicLong counter, StreamObserver<T> response, Class<T> type) {
    if (outcome instanceof OtlpExport.Refused refused) {
      response.onError(GrpcDenials.exception(Decision.Deny.of(refused.denial())));
      return;
    }
    OtlpExport.Accepted accepted = (OtlpExport.Accepted) outcome;
    counter.addAndGet(accepted.accepted());
    response.onNext(type.cast(accepted.response()));
    response.onCompleted();
  }

  private final class Traces extends TraceServiceGrpc.TraceServiceImplBase {
    @Override
    public void export(ExportTraceServiceRequest request, StreamObserver<ExportTraceServiceResponse> response) {
      answer(OtlpExport.traces(request, IntakeAuthInterceptor.AUTHORIZATION.get()), acceptedSpans, response, ExportTraceServiceResponse.class);
    }
  }

  private final class Metrics extends MetricsServiceGrpc.MetricsServiceImplBase {
    @Override
    public void export(ExportMetricsServiceRequest request, StreamObserver<ExportMetricsServiceResponse> response) {
      answer(OtlpExport.metrics(request, IntakeAuthInterceptor.AUTHORIZATION.get()), acceptedDataPoints, response, ExportMetricsServiceResponse.class);
    }
  }

  private final class Logs extends LogsServiceGrpc.LogsServiceImplBase {
    @Override
    public void export(ExportLogsServiceRequest request, StreamObserver<ExportLogsServiceResponse> response) {
      answer(OtlpExport.logs(request, IntakeAuthInterceptor.AUTHORIZATION.get()), acceptedLogRecords, response, ExportLogsServiceResponse.class);
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
