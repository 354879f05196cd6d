package dev.intakeauth;

/**
 * A credential an agent presented in its {@code Authorization} header: a shared secret token
 * ({@code Bearer}) or an Elasticsearch API key ({@code ApiKey}).
 *
 * <p>Obtain one with {@link AuthorizationHeader#parse(java.util.List, int)}. Implementations never
 * show their secret in {@code toString()}.
 */
public sealed interface Credential permits BearerToken, ApiKeyCredential {

  /**
   * The {@code Authorization} scheme this credential came with, in its canonical spelling.
   *
   * @return {@code Bearer} or {@code ApiKey}
   */
  String scheme();
}
