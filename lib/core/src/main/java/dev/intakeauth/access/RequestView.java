package dev.intakeauth.access;

import java.util.List;

/**
 * What {@link AccessControl} reads of a request; a transport adapter implements it over its own
 * request type. Nothing is read before it is needed: a preflight or a 405 never reads the headers
 * beyond {@code Origin}.
 */
public interface RequestView {

  /**
   * The method.
   *
   * @return such as {@code POST}, as sent
   */
  String method();

  /**
   * The path within the application, without the query.
   *
   * @return such as {@code /intake/v2/events}; {@code /} for the root
   */
  String path();

  /**
   * Every value of a header.
   *
   * @param name the header name, case-insensitive
   * @return its values in order; empty when absent
   */
  List<String> headers(String name);

  /**
   * The address of the connection's peer.
   *
   * @return such as {@code 192.0.2.1}, as the transport reports it
   */
  String remoteAddress();

  /**
   * Whether the request came over TLS.
   *
   * @return true for HTTPS (or a scheme a trusted proxy forwarded as such)
   */
  boolean secure();
}
