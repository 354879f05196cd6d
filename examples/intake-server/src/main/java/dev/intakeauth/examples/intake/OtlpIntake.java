package dev.intakeauth.examples.intake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.intakeauth.access.RequestAuthorization;
import dev.intakeauth.servlet.DenialResponse;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * OTLP over HTTP, as APM Server takes it: {@code POST /v1/traces}, {@code /v1/metrics} and
 * {@code /v1/logs} with a binary protobuf or an OTLP/JSON body, optionally gzip or deflate, read
 * within the server's body limits. Each resource of an anonymous request is checked against the
 * allow-lists ({@link RequestAuthorization#authorizeOtelResource}); the items of refused resources are
 * reported back as a partial success. Counts the accepted spans, data points and log records.
 */
final class OtlpIntake {

  /** The three OTLP signals and where each is posted. */
  enum Signal {
    TRACES("/v1/traces"), METRICS("/v1/metrics"), LOGS("/v1/logs");

    final String path;

    Signal(String path) {
      this.path = path;
    }

    static @Nullable Signal of(String path) {
      for (Signal s : values()) {
        if (s.path.equals(path)) {
          return s;
        }
      }
      return null;
    }
  }

  /** The two OTLP/HTTP encodings, named by the request's {@code Content-Type}; the answer uses the same. */
  enum Format {
    PROTOBUF("application/x-protobuf"), JSON("application/json");

    final String contentType;

    Format(String contentType) {
      this.contentType = contentType;
    }

    static @Nullable Format of(@Nullable String contentType) {
      if (contentType == null) {
        return null;
      }
      int semicolon = contentType.indexOf(';');
      String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip().toLowerCase(Locale.ROOT);
      for (Format f : values()) {
        if (f.contentType.equals(type)) {
          return f;
        }
      }
      return null;
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  /**
   * OTLP/JSON writes these bytes fields as hex, where the protobuf JSON mapping expects base64; they
   * are rewritten before parsing. Every other bytes field (an attribute's {@code bytesValue}) stays
   * base64, as the OTLP specification says.
   */
  private static final Set<String> HEX_IDS = Set.of("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id");
  private static final JsonFormat.Parser JSON_PARSER = JsonFormat.parser().ignoringUnknownFields();
  private static final JsonFormat.Printer JSON_PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();

  final AtomicLong acceptedSpans = new AtomicLong();
  final AtomicLong acceptedDataPoints = new AtomicLong();
  final AtomicLong acceptedLogRecords = new AtomicLong();

  private final IntakeServlet servlet;
  private final RequestBody.Limits limits;
  private final AtomicLong decodedBytes;

  OtlpIntake(IntakeServlet servlet, RequestBody.Limits limits, AtomicLong decodedBytes) {
    this.servlet = servlet;
    this.limits = limits;
    this.decodedBytes = decodedBytes;
  }

  /** Reads, checks and answers one OTLP/HTTP export request. */
  void export(HttpServletRequest request, HttpServletResponse response, @Nullable RequestAuthorization auth, Signal signal) throws IOException {
    if (!"POST".equals(request.getMethod())) {
      IntakeServlet.error(response, 405, "only POST requests are supported");
      return;
    }
    Format format = Format.of(request.getContentType());
    if (format == null) {
      IntakeServlet.error(response, 415, "unsupported content type: '" + IntakeServlet.shorten(Objects.requireNonNullElse(request.getContentType(), ""))
          + "'; OTLP/HTTP takes application/x-protobuf or application/json");
      return;
    }
    RequestBody.Encoding encoding = RequestBody.encoding(request);
    if (encoding == null) {
      IntakeServlet.error(response, 400, "unsupported content encoding: '"
          + IntakeServlet.shorten(String.join(", ", Collections.list(request.getHeaders("Content-Encoding")))) + "'");
      return;
    }
    // A protobuf message is decoded whole: the body is held until it ends.
    RequestBody.read(request, response, encoding, limits, servlet.new WholeBody(response) {
      @Override
      void ended(byte[] body) throws IOException {
        answer(request, response, auth, signal, format, body);
      }
    }, decodedBytes);
  }

  private void answer(HttpServletRequest request, HttpServletResponse response, @Nullable RequestAuthorization auth, Signal signal, Format format,
      byte[] body) throws IOException {
    OtlpExport.Outcome outcome;
    AtomicLong counter;
    try {
      switch (signal) {
        case TRACES -> {
          outcome = OtlpExport.traces(parse(format, body, ExportTraceServiceRequest.newBuilder(), ExportTraceServiceRequest::parseFrom), auth);
          counter = acceptedSpans;
        }
        case METRICS -> {
          outcome = OtlpExport.metrics(parse(format, body, ExportMetricsServiceRequest.newBuilder(), ExportMetricsServiceRequest::parseFrom), auth);
          counter = acceptedDataPoints;
        }
        case LOGS -> {
          outcome = OtlpExport.logs(parse(format, body, ExportLogsServiceRequest.newBuilder(), ExportLogsServiceRequest::parseFrom), auth);
          counter = acceptedLogRecords;
        }
        default -> throw new IllegalStateException();
      }
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      // The parser's message may quote the body; the client is told only which encoding failed.
      IntakeServlet.error(response, 400, format == Format.PROTOBUF
          ? "data decoding error: the body is not an OTLP protobuf message"
          : "data decoding error: the body is not an OTLP/JSON message");
      return;
    }
    if (outcome instanceof OtlpExport.Refused refused) {
      DenialResponse.send(request, response, refused.denial());
      return;
    }
    OtlpExport.Accepted accepted = (OtlpExport.Accepted) outcome;
    counter.addAndGet(accepted.accepted());
    byte[] bytes = format == Format.PROTOBUF
        ? accepted.response().toByteArray()
        : JSON_PRINTER.print(accepted.response()).getBytes(StandardCharsets.UTF_8);
    response.setStatus(200);
    response.setContentType(format.contentType);
    response.setContentLength(bytes.length);
    response.getOutputStream().write(bytes);
  }

  /** A protobuf parser of one message type. */
  interface ProtobufParser<T> {
    T parseFrom(byte[] bytes) throws InvalidProtocolBufferException;
  }

  @SuppressWarnings("unchecked")
  static <T extends Message> T parse(Format format, byte[] body, Message.Builder builder, ProtobufParser<T> protobuf)
      throws InvalidProtocolBufferException {
    if (format == Format.PROTOBUF) {
      return protobuf.parseFrom(body);
    }
    JsonNode tree;
    try {
      tree = JSON.readTree(body);
    } catch (IOException e) {
      throw new InvalidProtocolBufferException("not JSON");
    }
    if (tree == null || !tree.isObject()) {
      throw new InvalidProtocolBufferException("not a JSON object");
    }
    hexIdsToBase64(tree);
    JSON_PARSER.merge(tree.toString(), builder);
    return (T) builder.build();
  }

  /** Rewrites OTLP/JSON's hex trace and span ids as the base64 the protobuf JSON mapping reads. */
  private static void hexIdsToBase64(JsonNode node) {
    if (node instanceof ObjectNode object) {
      for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext();) {
        Map.Entry<String, JsonNode> field = it.next();
        if (HEX_IDS.contains(field.getKey()) && field.getValue().isTextual()) {
          // Throws IllegalArgumentException for a value that is not hex: a 400.
          field.setValue(TextNode.valueOf(Base64.getEncoder().encodeToString(HexFormat.of().parseHex(field.getValue().textValue()))));
        } else {
          hexIdsToBase64(field.getValue());
        }
      }
    } else if (node instanceof ArrayNode array) {
      array.forEach(OtlpIntake::hexIdsToBase64);
    }
  }
}
