package dev.intakeauth.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.intakeauth.Authenticator;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.Privilege;
import dev.intakeauth.access.AccessControl;
import dev.intakeauth.access.RequestAuthorization;
import dev.intakeauth.testing.FakePrivilegeChecker;
import dev.intakeauth.testing.TestCredentials;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCalls;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The unit-test snippet of the README's gRPC quick start, as written there. */
class ReadmeQuickStartTest {

  @Test
  void serviceBehindTheInterceptorSeesTheCaller() throws Exception {
    FakePrivilegeChecker keys = new FakePrivilegeChecker().grant(TestCredentials.API_KEY, Privilege.EVENT_WRITE);
    Authenticator authenticator = Authenticator.builder()
        .apiKeys(CachingPrivilegeChecker.builder(keys).build())
        .build();
    AccessControl access = GrpcMethods.accessControl(authenticator)
        .allowCredentialsOverPlainHttp(true)          // in-process has no TLS session
        .build();

    ServerServiceDefinition traceService = ServerServiceDefinition.builder("opentelemetry.proto.collector.trace.v1.TraceService")
        .addMethod(TestGrpc.TRACE_EXPORT, ServerCalls.asyncUnaryCall((request, response) -> {
          RequestAuthorization caller = IntakeAuthInterceptor.AUTHORIZATION.get();
          response.onNext(caller.has(Privilege.EVENT_WRITE) ? "accepted" : "refused");
          response.onCompleted();
        }))
        .build();
    String name = InProcessServerBuilder.generateName();
    Server server = InProcessServerBuilder.forName(name)
        .addService(ServerInterceptors.intercept(traceService, IntakeAuthInterceptor.of(access)))
        .build().start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
    try {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), TestCredentials.API_KEY.authorizationValue());
      String answer = ClientCalls.blockingUnaryCall(
          ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers)),
          TestGrpc.TRACE_EXPORT, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), "spans");
      assertThat(answer).isEqualTo("accepted");
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
    }
  }
}
