package dev.intakeauth;

/**
 * A credential an agent presented in its {@code Authorization} header: a shared secret token
 * ({@link BearerToken}) or an Elasticsearch API key ({@link ApiKeyCredential}); there are no other
 * kinds. Its constructor is package-private, which closes the hierarchy as {@code sealed} would, but
 * without this type naming its subclasses: each of them depends on it, and it on none of them.
 *
 * <p>Obtain one with {@link AuthorizationHeader#parse(java.util.List, int)}. Implementations never
 * show their secret in {@code toString()}.
 */
public abstract class Credential {

  /** Only the two kinds of this package. */
  Credential() {}
}
