/**
 * intake-auth for grpc-java: {@link dev.intakeauth.grpc.IntakeAuthInterceptor} authorizes each call
 * of a gRPC intake server, such as an OTLP receiver, through the same
 * {@link dev.intakeauth.access.AccessControl} as every other transport. Only grpc-api is needed;
 * the application brings the transport.
 */
// grpc-api is an automatic module (io.grpc); its types are part of this module's API.
@SuppressWarnings("requires-transitive-automatic")
module dev.intakeauth.grpc {
  requires transitive dev.intakeauth.core;
  requires transitive io.grpc;
  requires org.slf4j;
  requires static org.jspecify;

  exports dev.intakeauth.grpc;
}
