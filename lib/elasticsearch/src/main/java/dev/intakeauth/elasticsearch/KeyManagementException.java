package dev.intakeauth.elasticsearch;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A key-management call that could not be done, with a message fit to show a person as it is (it
 * never carries a secret) and the kind of failure for programs.
 */
public final class KeyManagementException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** What went wrong. */
  public enum Kind {
    /** A bad argument: unknown privilege, bad expiration, neither id nor name. */
    INVALID_ARGUMENT,
    /** Elasticsearch refused the administrator's credentials (401). */
    UNAUTHORIZED,
    /** The administrator lacks privileges the call needs; {@link #missing()} names them. */
    MISSING_PRIVILEGES,
    /** The credential being verified is unknown, invalidated or expired. */
    INVALID_CREDENTIALS,
    /** Elasticsearch could not be reached. */
    UNREACHABLE,
    /** Elasticsearch answered with an error. */
    ELASTICSEARCH_ERROR
  }

  private final Kind kind;
  private final List<String> missing;
  /** What Elasticsearch answered, when it did: its HTTP status (0 when it did not answer) and {@code error.type}. */
  private final int status;
  private final @Nullable String errorType;

  KeyManagementException(Kind kind, String message) {
    this(kind, message, List.of(), 0, null);
  }

  KeyManagementException(Kind kind, String message, List<String> missing) {
    this(kind, message, missing, 0, null);
  }

  KeyManagementException(Kind kind, String message, int status, @Nullable String errorType) {
    this(kind, message, List.of(), status, errorType);
  }

  private KeyManagementException(Kind kind, String message, List<String> missing, int status, @Nullable String errorType) {
    super(message);
    this.kind = kind;
    this.missing = List.copyOf(missing);
    this.status = status;
    this.errorType = errorType;
  }

  /**
   * The kind of failure.
   *
   * @return the kind
   */
  public Kind kind() {
    return kind;
  }

  /**
   * For {@link Kind#MISSING_PRIVILEGES}: the missing privileges, such as {@code manage_own_api_key}
   * or {@code apm:event:write}.
   *
   * @return the missing privileges; empty for other kinds
   */
  public List<String> missing() {
    return missing;
  }

  /** Whether Elasticsearch answered with this status and {@code error.type}. */
  boolean answered(int status, String type) {
    return this.status == status && type.equals(errorType);
  }
}
