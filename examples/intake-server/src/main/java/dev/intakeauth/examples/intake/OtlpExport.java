package dev.intakeauth.examples.intake;

import com.google.protobuf.Message;
import dev.intakeauth.AuthResult;
import dev.intakeauth.access.RequestAuthorization;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsPartialSuccess;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsPartialSuccess;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import org.jspecify.annotations.Nullable;

/**
 * The one answer to an OTLP export, over HTTP or gRPC. Each resource of an anonymous caller is checked
 * against the allow-lists ({@link RequestAuthorization#authorizeOtelResource}, the service from
 * {@code service.name}, the agent from {@code telemetry.sdk.language}); the items of refused resources
 * are answered as OTLP's partial success, or the export is refused when nothing of it is allowed, as an
 * event whose metadata is outside the allow-lists is. The accepted items are charged to the anonymous
 * rate limit like events, at least one per export so that exports refused or empty are not free.
 * Callers with a credential are always allowed.
 */
final class OtlpExport {

  private OtlpExport() {}

  /** What to answer. */
  sealed interface Outcome permits Accepted, Refused {}

  /**
   * The export goes through: the response to send (with a partial success when some resources were
   * refused) and how many items to count.
   *
   * @param response the {@code Export*ServiceResponse}
   * @param accepted the items accepted
   */
  record Accepted(Message response, long accepted) implements Outcome {}

  /**
   * The export is refused as a whole: 403 for resources outside the allow-lists, 429 over the rate limit.
   *
   * @param denial the refusal
   */
  record Refused(AuthResult.Denied denial) implements Outcome {}

  /** The items of the resources allowed and refused, and the first refusal. */
  private static final class Tally {
    private final @Nullable RequestAuthorization auth;
    long accepted;
    long rejected;
    AuthResult.@Nullable Denied denial;

    Tally(@Nullable RequestAuthorization auth) {
      this.auth = auth;
    }

    void resource(Resource resource, long items) {
      AuthResult decision = auth == null
          ? null
          : auth.authorizeOtelResource(attribute(resource, "service.name"), attribute(resource, "telemetry.sdk.language"));
      if (decision instanceof AuthResult.Denied denied) {
        rejected += items;
        if (denial == null) {
          denial = denied;
        }
      } else {
        accepted += items;
      }
    }

    /** The refusal of the whole export, or null when it goes through. */
    AuthResult.@Nullable Denied refusal() {
      if (accepted == 0 && denial != null) {
        return denial;
      }
      return auth == null ? null : auth.acquireEvents((int) Math.min(Integer.MAX_VALUE, Math.max(1, accepted)));
    }

    String message() {
      return denial == null ? "" : denial.message();
    }
  }

  static Outcome traces(ExportTraceServiceRequest export, @Nullable RequestAuthorization auth) {
    Tally tally = new Tally(auth);
    for (ResourceSpans rs : export.getResourceSpansList()) {
      tally.resource(rs.getResource(), rs.getScopeSpansList().stream().mapToLong(ScopeSpans::getSpansCount).sum());
    }
    AuthResult.Denied refusal = tally.refusal();
    if (refusal != null) {
      return new Refused(refusal);
    }
    ExportTraceServiceResponse.Builder b = ExportTraceServiceResponse.newBuilder();
    if (tally.rejected > 0) {
      b.setPartialSuccess(ExportTracePartialSuccess.newBuilder().setRejectedSpans(tally.rejected).setErrorMessage(tally.message()));
    }
    return new Accepted(b.build(), tally.accepted);
  }

  static Outcome metrics(ExportMetricsServiceRequest export, @Nullable RequestAuthorization auth) {
    Tally tally = new Tally(auth);
    for (ResourceMetrics rm : export.getResourceMetricsList()) {
      long points = 0;
      for (ScopeMetrics sm : rm.getScopeMetricsList()) {
        for (Metric m : sm.getMetricsList()) {
          points += dataPoints(m);
        }
      }
      tally.resource(rm.getResource(), points);
    }
    AuthResult.Denied refusal = tally.refusal();
    if (refusal != null) {
      return new Refused(refusal);
    }
    ExportMetricsServiceResponse.Builder b = ExportMetricsServiceResponse.newBuilder();
    if (tally.rejected > 0) {
      b.setPartialSuccess(ExportMetricsPartialSuccess.newBuilder().setRejectedDataPoints(tally.rejected).setErrorMessage(tally.message()));
    }
    return new Accepted(b.build(), tally.accepted);
  }

  static Outcome logs(ExportLogsServiceRequest export, @Nullable RequestAuthorization auth) {
    Tally tally = new Tally(auth);
    for (ResourceLogs rl : export.getResourceLogsList()) {
      tally.resource(rl.getResource(), rl.getScopeLogsList().stream().mapToLong(ScopeLogs::getLogRecordsCount).sum());
    }
    AuthResult.Denied refusal = tally.refusal();
    if (refusal != null) {
      return new Refused(refusal);
    }
    ExportLogsServiceResponse.Builder b = ExportLogsServiceResponse.newBuilder();
    if (tally.rejected > 0) {
      b.setPartialSuccess(ExportLogsPartialSuccess.newBuilder().setRejectedLogRecords(tally.rejected).setErrorMessage(tally.message()));
    }
    return new Accepted(b.build(), tally.accepted);
  }

  private static long dataPoints(Metric m) {
    return switch (m.getDataCase()) {
      case GAUGE -> m.getGauge().getDataPointsCount();
      case SUM -> m.getSum().getDataPointsCount();
      case HISTOGRAM -> m.getHistogram().getDataPointsCount();
      case EXPONENTIAL_HISTOGRAM -> m.getExponentialHistogram().getDataPointsCount();
      case SUMMARY -> m.getSummary().getDataPointsCount();
      case DATA_NOT_SET -> 0;
    };
  }

  /** A resource attribute's string value, or null when the resource has none. */
  private static @Nullable String attribute(Resource resource, String key) {
    for (KeyValue kv : resource.getAttributesList()) {
      if (key.equals(kv.getKey()) && kv.getValue().hasStringValue()) {
        return kv.getValue().getStringValue();
      }
    }
    return null;
  }
}
