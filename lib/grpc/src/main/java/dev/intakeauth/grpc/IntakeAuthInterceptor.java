package dev.intakeauth.grpc;

import dev.intakeauth.access.AccessControl;
import dev.intakeauth.access.Decision;
import dev.intakeauth.access.RequestAuthorization;
import dev.intakeauth.access.RequestView;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Puts an {@link AccessControl} in front of a gRPC server's services: it presents each call as
 * {@code POST /<full method name>} with its {@code authorization} metadata, its peer's address and
 * whether the transport is TLS, and starts or closes the call as the {@link Decision} says.
 *
 * <pre>{@code
 * AccessControl access = GrpcMethods.accessControl(authenticator).anonymous(true).build();   // the OTLP methods
 * Server server = NettyServerBuilder.forPort(4317)
 *     .addService(traceService)
 *     .intercept(IntakeAuthInterceptor.of(access))
 *     .build();
 * }</pre>
 *
 * <p>A call that goes through reaches the service with its {@link RequestAuthorization} in the gRPC
 * {@link Context} under {@link #AUTHORIZATION}. A denial closes the call with the status
 * {@link GrpcDenials} maps, the spec's message as its description, and the challenges and retry hint
 * as trailers; the service never runs. The HTTP response headers of a decision (such as
 * {@code X-Content-Type-Options}) mean nothing to gRPC and are not sent.
 *
 * <p>A cached answer, and everything that needs no lookup, is decided on the transport's thread. When
 * an API key has to be looked up in its backend, the call is held without blocking that thread: what
 * the transport delivers meanwhile is kept in order, and once the answer is in the call is started
 * (or closed) on the {@link Builder#executor executor} and what was kept is replayed. A call that is
 * cancelled or passes its deadline while held never starts the service, and lets go of what it kept.
 *
 * <p>Credentials are judged as on plain HTTP: a call whose transport has no TLS session (h2c,
 * in-process) and that sends {@code authorization} is refused with {@code PERMISSION_DENIED} unless the
 * {@link AccessControl} was built with {@code allowCredentialsOverPlainHttp(true)}.
 */
public final class IntakeAuthInterceptor implements ServerInterceptor {

  /** Where the service finds what was decided for its call: {@code IntakeAuthInterceptor.AUTHORIZATION.get()}. */
  public static final Context.Key<RequestAuthorization> AUTHORIZATION = CallAnswer.AUTHORIZATION;

  static final Metadata.Key<String> AUTHORIZATION_HEADER = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final AccessControl access;
  private final Executor executor;

  private IntakeAuthInterceptor(AccessControl access, Executor executor) {
    this.access = access;
    this.executor = executor;
  }

  /**
   * An interceptor whose held calls resume on a shared pool of daemon threads.
   *
   * @param access the access control, built with a gRPC method table such as {@link GrpcMethods#otlp()}
   *     (see {@link GrpcMethods#accessControl}); with the HTTP routes every method would fall to the
   *     table's fallback
   * @return the interceptor
   */
  public static IntakeAuthInterceptor of(AccessControl access) {
    return builder(access).build();
  }

  /**
   * Starts a builder.
   *
   * @param access the access control, built with a gRPC method table (see {@link #of})
   * @return a builder
   */
  public static Builder builder(AccessControl access) {
    return new Builder(access);
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    Decision decision = access.decide(new CallView(call, headers));
    if (decision instanceof Decision.Pending pending) {
      return HeldCall.hold(call, headers, next, pending, executor);
    }
    return CallAnswer.answer(Context.current(), call, headers, next, decision);
  }

  @Override
  public String toString() {
    return "IntakeAuthInterceptor[" + access + "]";
  }

  /** A call as {@link AccessControl} reads it. */
  private static final class CallView implements RequestView {
    private final ServerCall<?, ?> call;
    private final Metadata headers;

    CallView(ServerCall<?, ?> call, Metadata headers) {
      this.call = call;
      this.headers = headers;
    }

    @Override
    public String method() {
      return GrpcMethods.METHOD;
    }

    @Override
    public String path() {
      return GrpcMethods.path(call.getMethodDescriptor().getFullMethodName());
    }

    @Override
    public List<String> headers(String name) {
      Metadata.Key<String> key;
      if ("authorization".equalsIgnoreCase(name)) {
        key = AUTHORIZATION_HEADER;
      } else {
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.endsWith(Metadata.BINARY_HEADER_SUFFIX) || lower.startsWith(":")) {
          return List.of();
        }
        try {
          key = Metadata.Key.of(lower, Metadata.ASCII_STRING_MARSHALLER);
        } catch (IllegalArgumentException e) {
          return List.of();
        }
      }
      Iterable<String> values = headers.getAll(key);
      if (values == null) {
        return List.of();
      }
      List<String> list = new ArrayList<>(1);
      values.forEach(list::add);
      return list;
    }

    @Override
    public String remoteAddress() {
      SocketAddress address = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
      if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
        return inet.getAddress().getHostAddress();
      }
      return address == null ? "" : address.toString();
    }

    @Override
    public boolean secure() {
      return call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION) != null;
    }
  }

  /** Configures an {@link IntakeAuthInterceptor}. */
  public static final class Builder {
    private final AccessControl access;
    private @Nullable Executor executor;

    private Builder(AccessControl access) {
      this.access = Objects.requireNonNull(access, "access");
    }

    /**
     * Where a call held for a lookup is started or closed once the answer is in, and where its
     * service's first callbacks then run. Pass the server's own executor. Default: a shared pool of
     * daemon threads that grows as needed, like grpc-java's default server executor.
     *
     * @param executor the executor; each held call uses it once
     * @return this builder
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Builds the interceptor.
     *
     * @return an immutable, thread-safe interceptor
     */
    public IntakeAuthInterceptor build() {
      return new IntakeAuthInterceptor(access, executor != null ? executor : SharedExecutor.INSTANCE);
    }
  }

  /** Created on first use only: an interceptor given its own executor never starts a thread. */
  private static final class SharedExecutor {
    static final ExecutorService INSTANCE = Executors.newCachedThreadPool(new ThreadFactory() {
      private final AtomicInteger count = new AtomicInteger();

      @Override
      public Thread newThread(Runnable r) {
        Thread t = new Thread(r, "intake-auth-grpc-" + count.incrementAndGet());
        t.setDaemon(true);
        return t;
      }
    });
  }
}
