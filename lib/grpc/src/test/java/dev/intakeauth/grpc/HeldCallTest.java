package dev.intakeauth.grpc;

import static dev.intakeauth.testing.TestCredentials.SECRET_TOKEN;
import static dev.intakeauth.testing.TestCredentials.bearer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.util.concurrent.ListenableFuture;
import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.Privilege;
import dev.intakeauth.access.Access;
import dev.intakeauth.access.RouteTable;
import dev.intakeauth.testing.TestCredentials;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Calls held while their API key is looked up: deadlines, cancellation, one lookup for many calls, order, and no blocked transport. */
class HeldCallTest {

  private final ApiKeyCredential writer = TestCredentials.randomApiKey();
  private final TestGrpc.Keys keys = new TestGrpc.Keys().grant(writer, Privilege.EVENT_WRITE);
  private final ExecutorService serverExecutor = Executors.newFixedThreadPool(4);
  private final AtomicInteger resumed = new AtomicInteger();
  private final ExecutorService resumeExecutor = Executors.newFixedThreadPool(2);
  private TestGrpc grpc;

  @AfterEach
  void stop() throws InterruptedException {
    keys.backend.release();
    if (grpc != null) {
      grpc.close();
    }
    keys.cache.close();
    serverExecutor.shutdownNow();
    resumeExecutor.shutdownNow();
  }

  /** A server whose held calls resume on an executor that counts them. */
  private TestGrpc start(boolean directTransport) throws Exception {
    RouteTable methods = GrpcMethods.route(GrpcMethods.addOtlp(RouteTable.builder()), "test.Upload/Stream", Privilege.EVENT_WRITE,
        Access.CREDENTIALS).build();
    IntakeAuthInterceptor auth = IntakeAuthInterceptor.builder(GrpcMethods.accessControl(keys.authenticator(SECRET_TOKEN))
            .routes(methods).allowCredentialsOverPlainHttp(true).build())
        .executor(task -> resumeExecutor.execute(() -> {
          task.run();
          resumed.incrementAndGet();
        }))
        .build();
    grpc = new TestGrpc(auth, directTransport ? null : serverExecutor);
    return grpc;
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition within 10 s").isLessThan(end);
      Thread.sleep(5);
    }
  }

  @Test
  void deadlineExpiringWhileTheLookupIsPendingNeverStartsTheServiceAndLetsGoOfTheCall() throws Exception {
    start(false);
    keys.backend.hang();

    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(grpc.with(writer.authorizationValue()), TestGrpc.TRACE_EXPORT,
        CallOptions.DEFAULT.withDeadlineAfter(200, TimeUnit.MILLISECONDS), "spans"))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    await(() -> grpc.contexts.get(0).isCancelled());
    assertThat(keys.backend.hanging()).isEqualTo(1);

    // The lookup still hangs, and holds on to nothing of the call.
    WeakReference<?> call = grpc.calls.get(0);
    await(() -> {
      System.gc();
      return call.get() == null;
    });

    keys.backend.release();
    await(() -> resumed.get() == 1);
    assertThat(grpc.runs).hasValue(0);
  }

  @Test
  void cancellationWhileTheLookupIsPendingNeverStartsTheService() throws Exception {
    start(false);
    keys.backend.hang();

    ListenableFuture<String> call = ClientCalls.futureUnaryCall(
        grpc.with(writer.authorizationValue()).newCall(TestGrpc.TRACE_EXPORT, CallOptions.DEFAULT), "spans");
    await(() -> keys.backend.hanging() == 1);
    call.cancel(true);
    await(() -> grpc.contexts.get(0).isCancelled());

    keys.backend.release();
    await(() -> resumed.get() == 1);
    assertThat(grpc.runs).hasValue(0);
    // The key is cached now, and a new call with it goes straight through.
    assertThat(grpc.export(writer.authorizationValue()).code()).isEqualTo(Status.Code.OK);
  }

  @Test
  void fiftyConcurrentFirstCallsWithOneNewKeyMakeOneBackendCallAndAllSucceed() throws Exception {
    start(false);
    keys.backend.hang();

    List<ListenableFuture<String>> calls = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      calls.add(ClientCalls.futureUnaryCall(grpc.with(writer.authorizationValue()).newCall(TestGrpc.TRACE_EXPORT,
          CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)), "spans " + i));
    }
    await(() -> grpc.calls.size() == 50);
    assertThat(grpc.runs).hasValue(0);
    assertThat(keys.backend.hanging()).isEqualTo(1);

    keys.backend.release();
    for (int i = 0; i < 50; i++) {
      assertThat(calls.get(i).get(10, TimeUnit.SECONDS)).isEqualTo("accepted spans " + i);
    }
    assertThat(keys.backend.calls()).isEqualTo(1);
    assertThat(keys.cache.backendCalls()).isEqualTo(1);
    assertThat(grpc.runs).hasValue(50);
    assertThat(grpc.seen).hasSize(50).allSatisfy(a -> assertThat(a.has(Privilege.EVENT_WRITE)).isTrue());
  }

  @Test
  void messagesStreamedBeforeTheDecisionAreDeliveredInOrderOnceItCompletes() throws Exception {
    start(false);
    keys.backend.hang();

    CompletableFuture<String> answer = new CompletableFuture<>();
    ClientCall<String, String> call = grpc.with(writer.authorizationValue()).newCall(TestGrpc.UPLOAD, CallOptions.DEFAULT);
    StreamObserver<String> upload = ClientCalls.asyncClientStreamingCall(call, new StreamObserver<>() {
      @Override
      public void onNext(String value) {
        answer.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        answer.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    });
    for (String part : List.of("a", "b", "c", "d", "e")) {
      upload.onNext(part);
    }
    upload.onCompleted();
    await(() -> keys.backend.hanging() == 1);
    assertThat(answer).isNotDone();

    keys.backend.release();
    assertThat(answer.get(10, TimeUnit.SECONDS)).isEqualTo("abcde");
    assertThat(grpc.runs).hasValue(1);
  }

  @Test
  void aHungLookupNeverBlocksTheTransportThread() throws Exception {
    start(true);
    ApiKeyCredential cached = TestCredentials.randomApiKey();
    keys.grant(cached, Privilege.EVENT_WRITE);
    assertThat(grpc.export(cached.authorizationValue()).code()).isEqualTo(Status.Code.OK);
    keys.backend.hang();

    ListenableFuture<String> held = ClientCalls.futureUnaryCall(
        grpc.with(writer.authorizationValue()).newCall(TestGrpc.TRACE_EXPORT, CallOptions.DEFAULT), "spans");
    await(() -> keys.backend.hanging() == 1);

    // Callbacks run directly on the transport, which is free: cached keys and tokens still get through.
    assertThat(grpc.export(cached.authorizationValue()).code()).isEqualTo(Status.Code.OK);
    assertThat(grpc.export(bearer(SECRET_TOKEN)).code()).isEqualTo(Status.Code.OK);
    assertThat(held).isNotDone();

    keys.backend.release();
    assertThat(held.get(10, TimeUnit.SECONDS)).isEqualTo("accepted spans");
  }

  @Test
  void aHeldCallDeniedAfterItsLookupIsClosedWithTheMappedStatus() throws Exception {
    start(false);
    ApiKeyCredential reader = TestCredentials.randomApiKey();
    keys.grant(reader, Privilege.AGENT_CONFIG_READ);
    keys.backend.hang();

    ListenableFuture<String> held = ClientCalls.futureUnaryCall(
        grpc.with(reader.authorizationValue()).newCall(TestGrpc.TRACE_EXPORT, CallOptions.DEFAULT), "spans");
    await(() -> keys.backend.hanging() == 1);
    keys.backend.release();

    assertThatThrownBy(() -> held.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
        .cause().isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
    assertThat(grpc.runs).hasValue(0);
  }

  @Test
  void aHeldCallWithNoExecutorLeftToResumeOnIsUnavailableNotLeftOpen() throws Exception {
    IntakeAuthInterceptor auth = IntakeAuthInterceptor.builder(GrpcMethods.accessControl(keys.authenticator(SECRET_TOKEN))
            .allowCredentialsOverPlainHttp(true).build())
        .executor(task -> {
          throw new java.util.concurrent.RejectedExecutionException("shut down");
        })
        .build();
    grpc = new TestGrpc(auth, serverExecutor);
    keys.backend.hang();

    ListenableFuture<String> held = ClientCalls.futureUnaryCall(
        grpc.with(writer.authorizationValue()).newCall(TestGrpc.TRACE_EXPORT, CallOptions.DEFAULT), "spans");
    await(() -> keys.backend.hanging() == 1);
    keys.backend.release();

    assertThatThrownBy(() -> held.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
        .cause().isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(e.getTrailers().get(GrpcDenials.RETRY_AFTER)).isEqualTo("1");
        });
    assertThat(grpc.runs).hasValue(0);
  }
}
