package dev.intakeauth.grpc;

import dev.intakeauth.access.Decision;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The one mapping of a denial to gRPC: its status code, with the spec's message as the description,
 * and its trailers. Never {@code UNKNOWN}.
 *
 * <table>
 *   <caption>Statuses</caption>
 *   <tr><th>HTTP</th><th>gRPC</th><th>Trailers</th></tr>
 *   <tr><td>400</td><td>{@code INVALID_ARGUMENT}</td><td></td></tr>
 *   <tr><td>401</td><td>{@code UNAUTHENTICATED}</td><td>{@code www-authenticate}, one per challenge</td></tr>
 *   <tr><td>403</td><td>{@code PERMISSION_DENIED}</td><td></td></tr>
 *   <tr><td>405</td><td>{@code UNIMPLEMENTED}</td><td></td></tr>
 *   <tr><td>429</td><td>{@code RESOURCE_EXHAUSTED}</td><td>{@code retry-after}, {@code grpc-status-details-bin} with a {@code google.rpc.RetryInfo}</td></tr>
 *   <tr><td>503</td><td>{@code UNAVAILABLE}</td><td>{@code retry-after}, {@code grpc-status-details-bin} with a {@code google.rpc.RetryInfo}</td></tr>
 *   <tr><td>other</td><td>{@code INTERNAL}</td><td></td></tr>
 * </table>
 *
 * <p>The service uses it for the denials it reaches itself, such as the 403 of
 * {@link dev.intakeauth.access.RequestAuthorization#authorizeEvent}:
 * {@code responseObserver.onError(GrpcDenials.exception(Decision.Deny.of(denied)))}.
 */
public final class GrpcDenials {

  /** The {@code google.rpc.Status} of a denial with a retry hint, as gRPC's rich error model reads it. */
  static final Metadata.Key<byte[]> STATUS_DETAILS = Metadata.Key.of("grpc-status-details-bin", Metadata.BINARY_BYTE_MARSHALLER);

  /** The retry hint in whole seconds, as the HTTP {@code Retry-After} header carries it. */
  static final Metadata.Key<String> RETRY_AFTER = Metadata.Key.of("retry-after", Metadata.ASCII_STRING_MARSHALLER);

  /** The challenges of a 401. */
  static final Metadata.Key<String> WWW_AUTHENTICATE = Metadata.Key.of("www-authenticate", Metadata.ASCII_STRING_MARSHALLER);

  private static final String RETRY_INFO_TYPE = "type.googleapis.com/google.rpc.RetryInfo";

  private GrpcDenials() {}

  /**
   * The status of a denial.
   *
   * @param deny the denial
   * @return its code, described by the denial's message
   */
  public static Status status(Decision.Deny deny) {
    return code(deny.status()).toStatus().withDescription(deny.message());
  }

  /**
   * The gRPC code of an HTTP status.
   *
   * @param httpStatus such as 401
   * @return such as {@code UNAUTHENTICATED}; {@code INTERNAL} for a status with no mapping
   */
  public static Status.Code code(int httpStatus) {
    return switch (httpStatus) {
      case 400 -> Status.Code.INVALID_ARGUMENT;
      case 401 -> Status.Code.UNAUTHENTICATED;
      case 403 -> Status.Code.PERMISSION_DENIED;
      case 405 -> Status.Code.UNIMPLEMENTED;
      case 429 -> Status.Code.RESOURCE_EXHAUSTED;
      case 503 -> Status.Code.UNAVAILABLE;
      default -> Status.Code.INTERNAL;
    };
  }

  /**
   * The trailers of a denial: its challenges and its retry hint.
   *
   * @param deny the denial
   * @return new trailers
   */
  public static Metadata trailers(Decision.Deny deny) {
    Metadata trailers = new Metadata();
    long retrySeconds = -1;
    for (Map.Entry<String, String> h : deny.headers()) {
      if ("WWW-Authenticate".equalsIgnoreCase(h.getKey())) {
        trailers.put(WWW_AUTHENTICATE, h.getValue());
      } else if ("Retry-After".equalsIgnoreCase(h.getKey())) {
        retrySeconds = Long.parseLong(h.getValue());
      }
    }
    if (retrySeconds > 0) {
      trailers.put(RETRY_AFTER, Long.toString(retrySeconds));
      trailers.put(STATUS_DETAILS, statusDetails(code(deny.status()).value(), deny.message(), retrySeconds));
    }
    return trailers;
  }

  /**
   * The denial as an exception for a {@code StreamObserver.onError}.
   *
   * @param deny the denial
   * @return its status and trailers
   */
  public static StatusRuntimeException exception(Decision.Deny deny) {
    return status(deny).asRuntimeException(trailers(deny));
  }

  /**
   * A {@code google.rpc.Status} with one {@code google.rpc.RetryInfo} detail, in the protobuf wire
   * format. Written here rather than with the protobuf runtime so that the module needs grpc-api only.
   */
  static byte[] statusDetails(int code, @Nullable String message, long retrySeconds) {
    Proto duration = new Proto().varint(1, retrySeconds);                              // google.protobuf.Duration.seconds
    Proto retryInfo = new Proto().message(1, duration);                                // RetryInfo.retry_delay
    Proto any = new Proto().string(1, RETRY_INFO_TYPE).message(2, retryInfo);          // Any.type_url, Any.value
    Proto status = new Proto().varint(1, code);                                        // Status.code
    if (message != null && !message.isEmpty()) {
      status.string(2, message);                                                       // Status.message
    }
    return status.message(3, any).bytes();                                             // Status.details
  }

  /** Just enough of the protobuf wire format for the messages above. */
  private static final class Proto {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Proto varint(int field, long value) {
      if (value != 0) {
        raw(field << 3);
        raw(value);
      }
      return this;
    }

    Proto string(int field, String value) {
      return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    Proto message(int field, Proto message) {
      return bytes(field, message.bytes());
    }

    private Proto bytes(int field, byte[] value) {
      raw((field << 3) | 2);
      raw(value.length);
      out.write(value, 0, value.length);
      return this;
    }

    private void raw(long value) {
      long v = value;
      while ((v & ~0x7FL) != 0) {
        out.write((int) ((v & 0x7F) | 0x80));
        v >>>= 7;
      }
      out.write((int) v);
    }

    byte[] bytes() {
      return out.toByteArray();
    }
  }
}
