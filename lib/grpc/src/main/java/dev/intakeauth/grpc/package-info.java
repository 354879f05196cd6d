/**
 * A grpc-java {@link io.grpc.ServerInterceptor} over {@link dev.intakeauth.access.AccessControl}:
 * {@link dev.intakeauth.grpc.IntakeAuthInterceptor} reads the {@code authorization} metadata, asks for
 * a decision, and either starts the call with the {@link dev.intakeauth.access.RequestAuthorization}
 * in the gRPC {@link io.grpc.Context} or closes it with the status {@link dev.intakeauth.grpc.GrpcDenials}
 * maps; {@link dev.intakeauth.grpc.GrpcMethods} is the table of methods and their privileges.
 */
@NullMarked
package dev.intakeauth.grpc;

import org.jspecify.annotations.NullMarked;
