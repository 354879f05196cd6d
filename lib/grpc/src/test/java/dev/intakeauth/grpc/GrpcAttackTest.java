package dev.intakeauth.grpc;

import static dev.intakeauth.testing.TestCredentials.SECRET_TOKEN;
import static dev.intakeauth.testing.TestCredentials.bearer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.Privilege;
import dev.intakeauth.testing.TestCredentials;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Attacks on the interceptor, each named for what it tries: none reaches the service. */
class GrpcAttackTest {

  private final ApiKeyCredential reader = TestCredentials.randomApiKey();
  private final TestGrpc.Keys keys = new TestGrpc.Keys().grant(reader, Privilege.AGENT_CONFIG_READ);
  private TestGrpc grpc;

  @BeforeEach
  void start() throws Exception {
    // Anonymous on: the OTLP export methods are open without a credential, so the attacks below
    // try to reach something else, or to pass a credential in a way that should not count.
    grpc = new TestGrpc(IntakeAuthInterceptor.of(GrpcMethods.accessControl(keys.authenticator(SECRET_TOKEN))
        .anonymous(true).anonymousPrivileges(List.of(Privilege.AGENT_CONFIG_READ)).allowCredentialsOverPlainHttp(true).build()), null);
  }

  @AfterEach
  void stop() throws InterruptedException {
    grpc.close();
    keys.cache.close();
  }

  @Test
  void theSecretTokenInABinaryAuthorizationHeaderIsNotACredential() {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization-bin", Metadata.BINARY_BYTE_MARSHALLER), bearer(SECRET_TOKEN).getBytes(StandardCharsets.US_ASCII));

    TestGrpc.Outcome outcome = TestGrpc.call(grpc.with(headers), TestGrpc.TRACE_EXPORT);

    // Anonymous callers here lack event:write: the binary header made no difference.
    assertThat(outcome.code()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(outcome.status().getDescription()).isEqualTo("unauthorized: anonymous access not permitted for action \"event:write\"");
    assertThat(grpc.runs).hasValue(0);
  }

  @Test
  void manyAuthorizationValuesOneOfThemTheSecretTokenAreInvalidArgument() {
    List<String> values = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      values.add(bearer("guess-" + i));
    }
    values.add(bearer(SECRET_TOKEN));

    TestGrpc.Outcome outcome = grpc.export(values.toArray(String[]::new));

    assertThat(outcome.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(grpc.runs).hasValue(0);
  }

  @Test
  void aHugeAuthorizationValueIsRefusedWithoutALookup() {
    TestGrpc.Outcome outcome = grpc.export("ApiKey " + "A".repeat(64 * 1024));

    assertThat(outcome.code()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(keys.backend.calls()).isZero();
    assertThat(grpc.runs).hasValue(0);
  }

  @Test
  void aBearerTokenWithControlCharactersIsNotTheSecretToken() {
    // Spaces and tabs around a value are HTTP's optional whitespace, not part of it: these are inside or control characters.
    for (String forged : List.of(SECRET_TOKEN + "\u0000", "\u0000" + SECRET_TOKEN, SECRET_TOKEN.substring(0, 4) + "\t" + SECRET_TOKEN.substring(4),
        SECRET_TOKEN.substring(0, 4) + "\u007f" + SECRET_TOKEN.substring(4), SECRET_TOKEN + "\r\nx-admin: 1", SECRET_TOKEN + "\u001b[0m")) {
      TestGrpc.Outcome outcome = grpc.export(bearer(forged));
      assertThat(outcome.code()).as("%s", forged.chars().boxed().toList()).isIn(Status.Code.UNAUTHENTICATED, Status.Code.INVALID_ARGUMENT);
      assertThat(outcome.status().getDescription()).doesNotContain(SECRET_TOKEN);
    }
    assertThat(grpc.runs).hasValue(0);
  }

  @Test
  void aMethodNameWithPathTricksDoesNotGetTheOtlpMethodsAnonymousAccess() {
    for (String name : List.of(
        GrpcMethods.OTLP_TRACE_EXPORT + "/../x",
        GrpcMethods.OTLP_TRACE_EXPORT + "/",
        GrpcMethods.OTLP_TRACE_EXPORT + "%2F..%2Fx",
        "/" + GrpcMethods.OTLP_TRACE_EXPORT,
        "opentelemetry.proto.collector.trace.v1.TraceService//Export",
        "opentelemetry.proto.collector.trace.v1.TraceService/export",
        "x/../" + GrpcMethods.OTLP_TRACE_EXPORT)) {
      TestGrpc.Outcome outcome = TestGrpc.call(grpc.with(), TestGrpc.method(name, MethodDescriptor.MethodType.UNARY));
      assertThat(outcome.code()).as(name).isEqualTo(Status.Code.UNAUTHENTICATED);
    }
    assertThat(grpc.runs).hasValue(0);
  }

  @Test
  void aKeyWithoutEventWriteCannotExportUnderAnotherSpellingOfTheMethod() {
    TestGrpc.Outcome outcome = TestGrpc.call(grpc.with(reader.authorizationValue()), TestGrpc.TRACE_EXPORT);

    assertThat(outcome.code()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(grpc.runs).hasValue(0);
  }
}
