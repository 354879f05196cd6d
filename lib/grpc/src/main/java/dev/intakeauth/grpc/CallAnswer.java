package dev.intakeauth.grpc;

import dev.intakeauth.access.Decision;
import dev.intakeauth.access.RequestAuthorization;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts or closes a call as decided: on the transport's thread for a decision at once, on the executor for a held call. */
final class CallAnswer {

  /** The key of {@link IntakeAuthInterceptor#AUTHORIZATION}. */
  static final Context.Key<RequestAuthorization> AUTHORIZATION = Context.key("dev.intakeauth.RequestAuthorization");

  private static final Logger LOG = LoggerFactory.getLogger(CallAnswer.class);

  private CallAnswer() {}

  /**
   * Starts the call with its authorization in a child of the call's context, or closes it with the
   * mapped status. The caller is the only thread touching the call.
   */
  static <ReqT, RespT> ServerCall.Listener<ReqT> answer(Context context, ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next, Decision decision) {
    if (decision instanceof Decision.Proceed proceed) {
      return Contexts.interceptCall(context.withValue(AUTHORIZATION, proceed.authorization()), call, headers, next);
    }
    if (decision instanceof Decision.PassThrough) {
      return next.startCall(call, headers);
    }
    if (decision instanceof Decision.Deny deny) {
      call.close(GrpcDenials.status(deny), GrpcDenials.trailers(deny));
    } else {
      // A preflight needs OPTIONS, which no gRPC call is.
      LOG.warn("unexpected decision for {}: {}", call.getMethodDescriptor().getFullMethodName(), decision.getClass().getSimpleName());
      call.close(Status.INTERNAL.withDescription("internal error"), new Metadata());
    }
    return new ServerCall.Listener<>() {};
  }

  /** Whether the call went on to the service. */
  static boolean started(Decision decision) {
    return decision instanceof Decision.Proceed || decision instanceof Decision.PassThrough;
  }
}
