package dev.intakeauth.grpc;

import static dev.intakeauth.testing.TestCredentials.SECRET_TOKEN;
import static dev.intakeauth.testing.TestCredentials.bearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.RetryInfo;
import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.AuthMethod;
import dev.intakeauth.AuthResult;
import dev.intakeauth.AuthorizationHeader;
import dev.intakeauth.Privilege;
import dev.intakeauth.access.AccessControl;
import dev.intakeauth.access.Decision;
import dev.intakeauth.anonymous.AnonymousRateLimiter;
import dev.intakeauth.testing.ManualClock;
import dev.intakeauth.testing.TestCredentials;
import io.grpc.Attributes;
import io.grpc.ForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every status over a real in-process gRPC transport, with real client stubs. */
class IntakeAuthInterceptorTest {

  static final ApiKeyCredential WRITER = TestCredentials.randomApiKey();
  static final ApiKeyCredential READER = TestCredentials.randomApiKey();

  private final TestGrpc.Keys keys = new TestGrpc.Keys().grant(WRITER, Privilege.EVENT_WRITE).grant(READER, Privilege.AGENT_CONFIG_READ);
  private TestGrpc grpc;

  @AfterEach
  void stop() throws InterruptedException {
    if (grpc != null) {
      grpc.close();
    }
    keys.cache.close();
  }

  private TestGrpc start(AccessControl.Builder access) throws Exception {
    grpc = new TestGrpc(IntakeAuthInterceptor.of(access.build()), null);
    return grpc;
  }

  private AccessControl.Builder access() {
    // In-process has no TLS session: these tests opt in, as a loopback h2c server would.
    return GrpcMethods.accessControl(keys.authenticator(SECRET_TOKEN)).allowCredentialsOverPlainHttp(true);
  }

  @Test
  void secretTokenReachesTheServiceWithItsAuthorizationInTheContext() throws Exception {
    TestGrpc.Outcome outcome = start(access()).export(bearer(SECRET_TOKEN));

    assertThat(outcome.code()).isEqualTo(Status.Code.OK);
    assertThat(outcome.body()).isEqualTo("accepted spans");
    assertThat(grpc.seen).singleElement().satisfies(a -> {
      assertThat(a.has(Privilege.EVENT_WRITE)).isTrue();
      assertThat(((AuthResult.Authenticated) a.result()).method()).isEqualTo(AuthMethod.SECRET_TOKEN);
      assertThat(a.route().path()).isEqualTo("/" + GrpcMethods.OTLP_TRACE_EXPORT);
    });
  }

  @Test
  void apiKeyWithEventWriteReachesTheServiceFirstAfterItsLookupThenFromTheCache() throws Exception {
    start(access());

    assertThat(grpc.export(WRITER.authorizationValue()).code()).isEqualTo(Status.Code.OK);
    assertThat(grpc.export(WRITER.authorizationValue()).code()).isEqualTo(Status.Code.OK);

    assertThat(grpc.runs).hasValue(2);
    assertThat(grpc.seen).allSatisfy(a -> assertThat(((AuthResult.Authenticated) a.result()).method()).isEqualTo(AuthMethod.API_KEY));
    assertThat(keys.backend.calls()).isEqualTo(1);
  }

  @Test
  void missingCredentialIsUnauthenticatedWithTheSpecMessageAndChallenges() throws Exception {
    TestGrpc.Outcome outcome = start(access()).export();

    assertThat(outcome.code()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(outcome.status().getDescription()).isEqualTo(AuthorizationHeader.MISSING_MESSAGE);
    assertThat(outcome.trailers().getAll(GrpcDenials.WWW_AUTHENTICATE)).containsExactly("ApiKey realm=\"intake\"", "Bearer realm=\"intake\"");
    assertThat(grpc.runs).hasValue(0);
  }

  @Test
  void wrongSecretTokenIsUnauthenticated() throws Exception {
    TestGrpc.Outcome outcome = start(access()).export(bearer("not-the-token"));

    assertThat(outcome.code()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(outcome.status().getDescription()).isEqualTo(AuthResult.Unauthorized.AUTHENTICATION_FAILED);
    assertThat(grpc.runs).hasValue(0);
  }

  @Test
  void keyWithoutEventWriteIsPermissionDenied() throws Exception {
    TestGrpc.Outcome outcome = start(access()).export(READER.authorizationValue());

    assertThat(outcome.code()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(outcome.status().getDescription()).isEqualTo("unauthorized: API Key not permitted action \"event:write\"");
    assertThat(grpc.runs).hasValue(0);
  }

  @Test
  void anonymousExportIsAllowedWhenEnabledUntilTheRateLimitThenResourceExhaustedWithARetryHint() throws Exception {
    start(access().anonymous(true).rateLimiter(AnonymousRateLimiter.builder().eventsPerSecond(1).timeSource(new ManualClock()).build()));

    TestGrpc.Outcome first = grpc.export();
    assertThat(first.code()).isEqualTo(Status.Code.OK);
    assertThat(grpc.seen).singleElement().satisfies(a -> assertThat(((AuthResult.Authenticated) a.result()).method()).isEqualTo(AuthMethod.ANONYMOUS));

    TestGrpc.Outcome limited = first;
    for (int i = 0; i < 20 && limited.code() == Status.Code.OK; i++) {
      limited = grpc.export();
    }
    assertThat(limited.code()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(limited.status().getDescription()).isEqualTo("too many requests: rate limit exceeded");
    assertThat(limited.trailers().get(GrpcDenials.RETRY_AFTER)).isEqualTo("1");
    assertThat(retryDelay(limited)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void anonymousExportNeedsACredentialWhenAnonymousIsOff() throws Exception {
    assertThat(start(access()).export().code()).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void backendUnavailableIsUnavailableWithRetryInfoAndRetryAfter() throws Exception {
    start(access());
    keys.backend.refuse();

    TestGrpc.Outcome outcome = grpc.export(WRITER.authorizationValue());

    assertThat(outcome.code()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(outcome.status().getDescription()).isEqualTo("service unavailable");
    assertThat(outcome.trailers().get(GrpcDenials.RETRY_AFTER)).isEqualTo("1");
    assertThat(retryDelay(outcome)).isEqualTo(Duration.ofSeconds(1));
    assertThat(grpc.runs).hasValue(0);
  }

  @Test
  void duplicateDifferingAuthorizationValuesAreInvalidArgument() throws Exception {
    TestGrpc.Outcome outcome = start(access()).export(bearer(SECRET_TOKEN), WRITER.authorizationValue());

    assertThat(outcome.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(outcome.status().getDescription()).isEqualTo("invalid request: multiple differing Authorization headers");
    assertThat(grpc.runs).hasValue(0);
  }

  @Test
  void unknownMethodNeedsAValidCredentialEvenWithAnonymousOn() throws Exception {
    start(access().anonymous(true));

    assertThat(TestGrpc.call(grpc.with(), TestGrpc.method("test.Other/Call", io.grpc.MethodDescriptor.MethodType.UNARY)).code())
        .isEqualTo(Status.Code.UNAUTHENTICATED);
    TestGrpc.Outcome withKey = TestGrpc.call(grpc.with(READER.authorizationValue()), TestGrpc.method("test.Other/Call", io.grpc.MethodDescriptor.MethodType.UNARY));
    assertThat(withKey.code()).isEqualTo(Status.Code.OK);
    assertThat(grpc.seen).singleElement().satisfies(a -> assertThat(a.route().path()).isEqualTo("/*"));
  }

  @Test
  void credentialsOverAPlaintextTransportAreRefusedUnlessAllowedLikePlainHttp() throws Exception {
    start(GrpcMethods.accessControl(keys.authenticator(SECRET_TOKEN)).anonymous(true));

    TestGrpc.Outcome refused = grpc.export(bearer(SECRET_TOKEN));
    assertThat(refused.code()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(refused.status().getDescription()).isEqualTo("forbidden: credentials are only accepted over TLS (HTTPS)");
    // Without a credential there is nothing to read on the wire: anonymous goes on as before.
    assertThat(grpc.export().code()).isEqualTo(Status.Code.OK);
    assertThat(grpc.runs).hasValue(1);
  }

  @Test
  void credentialsOverATlsTransportAreAccepted() throws Exception {
    SSLSession session = (SSLSession) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {SSLSession.class}, (p, m, a) -> null);
    ServerInterceptor tls = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        Attributes attributes = call.getAttributes().toBuilder().set(Grpc.TRANSPORT_ATTR_SSL_SESSION, session).build();
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          @Override
          public Attributes getAttributes() {
            return attributes;
          }
        }, headers);
      }
    };
    grpc = new TestGrpc(IntakeAuthInterceptor.of(GrpcMethods.accessControl(keys.authenticator(SECRET_TOKEN)).build()), null, tls);

    assertThat(grpc.export(bearer(SECRET_TOKEN)).code()).isEqualTo(Status.Code.OK);
  }

  @Test
  void everyDenialIsMappedAndNoneIsUnknown() {
    for (int http = 100; http < 600; http++) {
      assertThat(GrpcDenials.code(http)).isNotEqualTo(Status.Code.UNKNOWN).isNotEqualTo(Status.Code.OK);
    }
    assertThat(List.of(400, 401, 403, 405, 429, 503, 500).stream().map(GrpcDenials::code).toList()).containsExactly(
        Status.Code.INVALID_ARGUMENT, Status.Code.UNAUTHENTICATED, Status.Code.PERMISSION_DENIED, Status.Code.UNIMPLEMENTED,
        Status.Code.RESOURCE_EXHAUSTED, Status.Code.UNAVAILABLE, Status.Code.INTERNAL);
  }

  @Test
  void statusDetailsDecodeWithTheProtobufClasses() throws InvalidProtocolBufferException {
    byte[] encoded = GrpcDenials.statusDetails(Status.Code.UNAVAILABLE.value(), "service unavailable ünïcode", 300);

    com.google.rpc.Status status = com.google.rpc.Status.parseFrom(encoded);
    assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE.value());
    assertThat(status.getMessage()).isEqualTo("service unavailable ünïcode");
    assertThat(status.getDetailsList()).singleElement().satisfies(any -> {
      assertThat(any.getTypeUrl()).isEqualTo("type.googleapis.com/google.rpc.RetryInfo");
      assertThat(any.unpack(RetryInfo.class).getRetryDelay().getSeconds()).isEqualTo(300);
    });
  }

  @Test
  void aDenialTheServiceReachesItselfMapsTheSameWay() throws InvalidProtocolBufferException {
    StatusRuntimeException e = GrpcDenials.exception(Decision.Deny.of(new AuthResult.RateLimited(Duration.ofMillis(1500))));

    TestGrpc.Outcome outcome = new TestGrpc.Outcome(e.getStatus(), e.getTrailers(), null);
    assertThat(outcome.code()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(outcome.trailers().get(GrpcDenials.RETRY_AFTER)).isEqualTo("2");
    assertThat(retryDelay(outcome)).isEqualTo(Duration.ofSeconds(2));
  }

  /** Decodes the RetryInfo of a call's trailers with the real protobuf classes. */
  static Duration retryDelay(TestGrpc.Outcome outcome) throws InvalidProtocolBufferException {
    byte[] details = outcome.trailers().get(GrpcDenials.STATUS_DETAILS);
    assertThat(details).isNotNull();
    com.google.rpc.Status status = com.google.rpc.Status.parseFrom(details);
    assertThat(status.getCode()).isEqualTo(outcome.status().getCode().value());
    assertThat(status.getMessage()).isEqualTo(outcome.status().getDescription());
    RetryInfo info = status.getDetails(0).unpack(RetryInfo.class);
    return Duration.ofSeconds(info.getRetryDelay().getSeconds(), info.getRetryDelay().getNanos());
  }
}
