package dev.intakeauth.grpc;

import dev.intakeauth.Authenticator;
import dev.intakeauth.Privilege;
import dev.intakeauth.access.Access;
import dev.intakeauth.access.AccessControl;
import dev.intakeauth.access.RouteTable;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The method table of a gRPC intake server: a {@link RouteTable} whose paths are full method names
 * after a slash, as {@link IntakeAuthInterceptor} presents every call ({@code POST /} + the full
 * method name). Build your own with {@code RouteTable.builder()} and {@link #route}.
 *
 * <table>
 *   <caption>OTLP methods</caption>
 *   <tr><th>Method</th><th>Privilege</th><th>Anonymous</th></tr>
 *   <tr><td>{@code opentelemetry.proto.collector.trace.v1.TraceService/Export}</td><td>{@code event:write}</td><td>when enabled</td></tr>
 *   <tr><td>{@code opentelemetry.proto.collector.metrics.v1.MetricsService/Export}</td><td>{@code event:write}</td><td>when enabled</td></tr>
 *   <tr><td>{@code opentelemetry.proto.collector.logs.v1.LogsService/Export}</td><td>{@code event:write}</td><td>when enabled</td></tr>
 * </table>
 *
 * Any other method needs a valid credential.
 */
public final class GrpcMethods {

  /** The full name of the OTLP trace export method. */
  public static final String OTLP_TRACE_EXPORT = "opentelemetry.proto.collector.trace.v1.TraceService/Export";

  /** The full name of the OTLP metrics export method. */
  public static final String OTLP_METRICS_EXPORT = "opentelemetry.proto.collector.metrics.v1.MetricsService/Export";

  /** The full name of the OTLP logs export method. */
  public static final String OTLP_LOGS_EXPORT = "opentelemetry.proto.collector.logs.v1.LogsService/Export";

  /** gRPC calls are HTTP/2 POSTs; the interceptor presents each with this method. */
  static final String METHOD = "POST";

  private GrpcMethods() {}

  /**
   * The OTLP collector services' {@code Export} methods, {@code event:write}, anonymous when
   * anonymous access is on (as APM Server accepts OTLP); other methods need a valid credential.
   *
   * @return the table
   */
  public static RouteTable otlp() {
    return addOtlp(RouteTable.builder()).build();
  }

  /**
   * Adds the OTLP methods of {@link #otlp()} to a table, to extend it with methods of your own.
   *
   * @param table a builder
   * @return the same builder
   */
  public static RouteTable.Builder addOtlp(RouteTable.Builder table) {
    return route(route(route(table, OTLP_TRACE_EXPORT, Privilege.EVENT_WRITE, Access.ANONYMOUS_WHEN_ENABLED),
        OTLP_METRICS_EXPORT, Privilege.EVENT_WRITE, Access.ANONYMOUS_WHEN_ENABLED),
        OTLP_LOGS_EXPORT, Privilege.EVENT_WRITE, Access.ANONYMOUS_WHEN_ENABLED);
  }

  /**
   * Adds one gRPC method to a table.
   *
   * @param table a builder
   * @param fullMethodName such as {@code my.package.MyService/MyMethod}, as
   *     {@link io.grpc.MethodDescriptor#getFullMethodName()} gives it
   * @param privilege the privilege needed, or null for any valid caller
   * @param access who may call it
   * @return the same builder
   */
  public static RouteTable.Builder route(RouteTable.Builder table, String fullMethodName, @Nullable Privilege privilege, Access access) {
    return table.route(Set.of(METHOD), path(fullMethodName), privilege, access);
  }

  /**
   * Starts an {@link AccessControl} for gRPC: the {@link #otlp()} table, and otherwise the
   * defaults of {@link AccessControl#builder}.
   *
   * <pre>{@code
   * AccessControl access = GrpcMethods.accessControl(authenticator).anonymous(true).listener(metrics).build();
   * ServerInterceptor interceptor = IntakeAuthInterceptor.of(access);
   * }</pre>
   *
   * @param authenticator the authenticator
   * @return a builder, for anonymous access, the {@link AccessControl.Builder#listener listener} and
   *     the other settings
   */
  public static AccessControl.Builder accessControl(Authenticator authenticator) {
    return AccessControl.builder(authenticator).routes(otlp());
  }

  /** The path a call is presented with. */
  static String path(String fullMethodName) {
    return "/" + fullMethodName;
  }
}
