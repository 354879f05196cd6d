package dev.intakeauth.elasticsearch;

import java.util.Locale;

/**
 * How much of Elasticsearch's TLS certificate is checked, as Elastic's {@code ssl.verification_mode}.
 * Which certificates are trusted is set apart: the JVM's trust store, a CA file
 * ({@link ElasticsearchConnection.Builder#caCertificate}) or a pinned fingerprint
 * ({@link ElasticsearchConnection.Builder#trustedFingerprint}).
 */
public enum VerificationMode {

  /** The chain must lead to a trusted certificate, and the certificate must name the host connected to. The default. */
  FULL,

  /** The chain must lead to a trusted certificate; any host name is accepted. */
  CERTIFICATE,

  /**
   * Nothing is checked: any server, a man in the middle included, receives every credential sent.
   * For tests only; logged as a warning when a connection is built with it.
   */
  NONE;

  /**
   * The mode named as in Elastic's settings.
   *
   * @param name {@code full}, {@code certificate} or {@code none}, in any case
   * @return the mode
   * @throws IllegalArgumentException for another name (the message does not repeat it)
   */
  public static VerificationMode parse(String name) {
    return switch (name.strip().toLowerCase(Locale.ROOT)) {
      case "full" -> FULL;
      case "certificate" -> CERTIFICATE;
      case "none" -> NONE;
      default -> throw new IllegalArgumentException("a verification mode is one of full, certificate, none");
    };
  }

  /** The name used in settings: {@code full}, {@code certificate} or {@code none}. */
  String settingName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
