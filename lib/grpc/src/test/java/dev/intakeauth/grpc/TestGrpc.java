package dev.intakeauth.grpc;

import dev.intakeauth.Authenticator;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.Privilege;
import dev.intakeauth.access.RequestAuthorization;
import dev.intakeauth.testing.FakePrivilegeChecker;
import dev.intakeauth.testing.FaultInjectingChecker;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Context;
import io.grpc.HandlerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * An in-process gRPC server behind the interceptor, with a tiny service named like the OTLP trace
 * export (strings on the wire, so no code generation), a client-streaming method, and a fallback for
 * any other method name; and what a client saw.
 */
final class TestGrpc implements AutoCloseable {

  static final MethodDescriptor.Marshaller<String> UTF8 = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  static final MethodDescriptor<String, String> TRACE_EXPORT = method(GrpcMethods.OTLP_TRACE_EXPORT, MethodDescriptor.MethodType.UNARY);
  static final MethodDescriptor<String, String> UPLOAD = method("test.Upload/Stream", MethodDescriptor.MethodType.CLIENT_STREAMING);

  /** A backend that grants what the tests need, behind a cache whose budgets no test reaches. */
  static final class Keys {
    final FakePrivilegeChecker fake = new FakePrivilegeChecker();
    final FaultInjectingChecker backend = FaultInjectingChecker.wrap(fake);
    final CachingPrivilegeChecker cache = CachingPrivilegeChecker.builder(backend)
        .newKeysPerMinute(1_000_000)
        .newKeysPerClientPerMinute(1_000_000)
        .deadline(Duration.ofMinutes(1))
        .build();

    Authenticator authenticator(String secretToken) {
      return Authenticator.builder().secretToken(secretToken).apiKeys(cache).build();
    }

    Keys grant(dev.intakeauth.ApiKeyCredential key, Privilege... privileges) {
      fake.grant(key, privileges);
      return this;
    }
  }

  /** What a call got back. */
  record Outcome(Status status, Metadata trailers, @Nullable String body) {
    Status.Code code() {
      return status.getCode();
    }
  }

  final Server server;
  final ManagedChannel channel;
  /** How many times a service method ran. */
  final AtomicInteger runs = new AtomicInteger();
  /** What the service found in its Context. */
  final List<RequestAuthorization> seen = new CopyOnWriteArrayList<>();
  /** Every call the interceptor was asked about, and each call's own Context. */
  final List<WeakReference<ServerCall<?, ?>>> calls = new CopyOnWriteArrayList<>();
  final List<Context> contexts = new CopyOnWriteArrayList<>();

  /** A server whose transport callbacks run on the server executor given (null: directly on the transport). */
  TestGrpc(ServerInterceptor auth, @Nullable Executor serverExecutor) throws IOException {
    this(auth, serverExecutor, null);
  }

  /** With an extra interceptor in front of the interceptor under test, such as one that fakes TLS. */
  TestGrpc(ServerInterceptor auth, @Nullable Executor serverExecutor, @Nullable ServerInterceptor outer) throws IOException {
    String name = InProcessServerBuilder.generateName();
    ServerInterceptor spy = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        calls.add(new WeakReference<>(call));
        contexts.add(Context.current());
        return next.startCall(call, headers);
      }
    };
    List<ServerInterceptor> chain = outer == null ? List.of(auth, spy) : List.of(auth, outer, spy);
    ServerServiceDefinition trace = ServerServiceDefinition.builder("opentelemetry.proto.collector.trace.v1.TraceService")
        .addMethod(TRACE_EXPORT, ServerCalls.asyncUnaryCall(this::export))
        .build();
    ServerServiceDefinition upload = ServerServiceDefinition.builder("test.Upload")
        .addMethod(UPLOAD, ServerCalls.asyncClientStreamingCall(this::upload))
        .build();
    ServerServiceDefinition any = ServerServiceDefinition.builder("test.Any")
        .addMethod(method("test.Any/Call", MethodDescriptor.MethodType.UNARY), ServerCalls.asyncUnaryCall(this::export))
        .build();
    ServerServiceDefinition anyIntercepted = ServerInterceptors.intercept(any, chain);
    InProcessServerBuilder builder = InProcessServerBuilder.forName(name)
        .addService(ServerInterceptors.intercept(trace, chain))
        .addService(ServerInterceptors.intercept(upload, chain))
        .fallbackHandlerRegistry(new HandlerRegistry() {
          @Override
          public @Nullable ServerMethodDefinition<?, ?> lookupMethod(String methodName, @Nullable String authority) {
            // Any other name reaches the same handler through the interceptor, as behind a generic proxy service.
            ServerMethodDefinition<?, ?> d = anyIntercepted.getMethods().iterator().next();
            @SuppressWarnings("unchecked")
            ServerMethodDefinition<String, String> typed = (ServerMethodDefinition<String, String>) d;
            return ServerMethodDefinition.create(method(methodName, MethodDescriptor.MethodType.UNARY), typed.getServerCallHandler());
          }
        });
    if (serverExecutor == null) {
      builder.directExecutor();
    } else {
      builder.executor(serverExecutor);
    }
    server = builder.build().start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  static MethodDescriptor<String, String> method(String fullName, MethodDescriptor.MethodType type) {
    return MethodDescriptor.<String, String>newBuilder(UTF8, UTF8).setType(type).setFullMethodName(fullName).build();
  }

  private void export(String request, StreamObserver<String> response) {
    runs.incrementAndGet();
    RequestAuthorization authorization = IntakeAuthInterceptor.AUTHORIZATION.get();
    if (authorization != null) {
      seen.add(authorization);
    }
    response.onNext("accepted " + request);
    response.onCompleted();
  }

  private StreamObserver<String> upload(StreamObserver<String> response) {
    runs.incrementAndGet();
    StringBuilder received = new StringBuilder();
    return new StreamObserver<>() {
      @Override
      public void onNext(String value) {
        received.append(value);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        response.onNext(received.toString());
        response.onCompleted();
      }
    };
  }

  /** A channel that sends these {@code authorization} values. */
  Channel with(String... authorization) {
    Metadata headers = new Metadata();
    for (String value : authorization) {
      headers.put(IntakeAuthInterceptor.AUTHORIZATION_HEADER, value);
    }
    return with(headers);
  }

  Channel with(Metadata headers) {
    return ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  /** One unary call, with a deadline. */
  static Outcome call(Channel channel, MethodDescriptor<String, String> method) {
    try {
      String body = ClientCalls.blockingUnaryCall(channel, method, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "spans");
      return new Outcome(Status.OK, new Metadata(), body);
    } catch (StatusRuntimeException e) {
      return new Outcome(e.getStatus(), e.getTrailers() != null ? e.getTrailers() : new Metadata(), null);
    }
  }

  Outcome export(String... authorization) {
    return call(with(authorization), TRACE_EXPORT);
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow();
    server.shutdownNow();
    channel.awaitTermination(5, TimeUnit.SECONDS);
    server.awaitTermination(5, TimeUnit.SECONDS);
  }
}
