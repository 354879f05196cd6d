package dev.intakeauth.grpc;

import dev.intakeauth.access.Decision;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener of a call held while its API key is looked up. The transport's callbacks are kept in
 * order until the decision is in; then, on the executor, the call is started and they are replayed
 * (or the call is closed and they are dropped). The call is touched by one thread at a time: the
 * executor's task while the decision is applied, the service afterwards. A cancellation or deadline
 * while held ends the wait: the service never starts, and the call, its handler and what was kept are
 * let go, so that a lookup that never answers holds nothing of it.
 */
final class HeldCall<ReqT, RespT> extends ServerCall.Listener<ReqT> implements Context.CancellationListener {

  private static final Logger LOG = LoggerFactory.getLogger(HeldCall.class);

  private enum State { WAITING, STARTING, OPEN, ENDED }

  private final Object lock = new Object();
  private final Context context;
  private State state = State.WAITING;
  private @Nullable ServerCall<ReqT, RespT> call;
  private @Nullable Metadata headers;
  private @Nullable ServerCallHandler<ReqT, RespT> next;
  private @Nullable List<Consumer<ServerCall.Listener<ReqT>>> kept = new ArrayList<>(2);
  private ServerCall.@Nullable Listener<ReqT> delegate;

  private HeldCall(ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next, Context context) {
    this.call = call;
    this.headers = headers;
    this.next = next;
    this.context = context;
  }

  /** Holds a call until the decision is in; called on the transport's thread, never blocks. */
  static <ReqT, RespT> ServerCall.Listener<ReqT> hold(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next, Decision.Pending pending, Executor executor) {
    Context context = Context.current();
    HeldCall<ReqT, RespT> held = new HeldCall<>(call, headers, next, context);
    context.addListener(held, Runnable::run);
    pending.decision().whenComplete((decision, failure) -> {
      Decision d = decision != null ? decision : pending.timeout();
      try {
        executor.execute(() -> held.decided(d));
      } catch (RejectedExecutionException e) {
        // Nothing to start the call on (the executor is shutting down): it gets the timeout's 503.
        held.reject(pending.timeout());
      }
    });
    return held;
  }

  /** Applies the decision, then replays what the transport delivered meanwhile. */
  private void decided(Decision decision) {
    ServerCall<ReqT, RespT> c;
    Metadata h;
    ServerCallHandler<ReqT, RespT> n;
    synchronized (lock) {
      if (state != State.WAITING || call == null || headers == null || next == null) {
        return;
      }
      state = State.STARTING;
      c = call;
      h = headers;
      n = next;
    }
    context.removeListener(this);
    if (c.isCancelled() || context.isCancelled()) {
      release();
      return;
    }
    ServerCall.Listener<ReqT> started;
    try {
      started = CallAnswer.answer(context, c, h, n, decision);
    } catch (RuntimeException e) {
      LOG.warn("the call {} failed to start: {}", c.getMethodDescriptor().getFullMethodName(), e.getClass().getSimpleName());
      closeQuietly(c);
      release();
      return;
    }
    if (!CallAnswer.started(decision)) {
      release();
      return;
    }
    replay(started);
  }

  /** Replays what was kept, until nothing more arrives; then lets the transport call the service directly. */
  private void replay(ServerCall.Listener<ReqT> started) {
    while (true) {
      List<Consumer<ServerCall.Listener<ReqT>>> batch;
      synchronized (lock) {
        if (kept == null || kept.isEmpty()) {
          delegate = started;
          state = State.OPEN;
          kept = null;
          call = null;
          headers = null;
          next = null;
          return;
        }
        batch = kept;
        kept = new ArrayList<>(2);
      }
      for (Consumer<ServerCall.Listener<ReqT>> event : batch) {
        event.accept(started);
      }
    }
  }

  /** Closes a call still waiting, on the thread that finished the lookup: no other thread touches it yet. */
  private void reject(Decision.Deny deny) {
    ServerCall<ReqT, RespT> c;
    synchronized (lock) {
      c = state == State.WAITING ? call : null;
      end();
    }
    context.removeListener(this);
    if (c != null) {
      try {
        c.close(GrpcDenials.status(deny), GrpcDenials.trailers(deny));
      } catch (RuntimeException e) {
        LOG.debug("could not close the call: {}", e.getClass().getSimpleName());
      }
    }
  }

  private static void closeQuietly(ServerCall<?, ?> call) {
    try {
      call.close(Status.INTERNAL.withDescription("internal error"), new Metadata());
    } catch (RuntimeException e) {
      LOG.debug("could not close the call: {}", e.getClass().getSimpleName());
    }
  }

  /** Ends the wait and lets go of the call and everything kept for it. */
  private void release() {
    synchronized (lock) {
      end();
    }
    context.removeListener(this);
  }

  /** Ends a call cancelled, or past its deadline, before its decision: it will never start. */
  private boolean endIfWaiting() {
    synchronized (lock) {
      if (state != State.WAITING) {
        return false;
      }
      end();
    }
    context.removeListener(this);
    return true;
  }

  private void end() {
    state = State.ENDED;
    kept = null;
    call = null;
    headers = null;
    next = null;
    delegate = null;
  }

  /** Forwards an event to the started call, or keeps it until the call starts. */
  private void deliver(Consumer<ServerCall.Listener<ReqT>> event) {
    ServerCall.Listener<ReqT> target;
    synchronized (lock) {
      if (state == State.OPEN) {
        target = delegate;
      } else {
        if (kept != null) {
          kept.add(event);
        }
        return;
      }
    }
    if (target != null) {
      event.accept(target);
    }
  }

  @Override
  public void cancelled(Context cancelled) {
    endIfWaiting();
  }

  @Override
  public void onMessage(ReqT message) {
    deliver(l -> l.onMessage(message));
  }

  @Override
  public void onHalfClose() {
    deliver(ServerCall.Listener::onHalfClose);
  }

  @Override
  public void onCancel() {
    if (!endIfWaiting()) {
      deliver(ServerCall.Listener::onCancel);
    }
  }

  @Override
  public void onComplete() {
    deliver(ServerCall.Listener::onComplete);
  }

  @Override
  public void onReady() {
    deliver(ServerCall.Listener::onReady);
  }
}
