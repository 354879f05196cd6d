package dev.intakeauth.internal;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.ApplicationPrivileges;
import java.nio.ByteBuffer;

/**
 * A cache key derived from the whole credential (id and secret) and the privileges asked about, so a
 * different secret never finds another secret's answer. Holds a SHA-256 digest, never the secret.
 */
public final class CacheKey {

  private final long d0;
  private final long d1;
  private final long d2;
  private final long d3;
  private final ApplicationPrivileges scope;
  private final String keyId;

  private CacheKey(byte[] digest, ApplicationPrivileges scope, String keyId) {
    ByteBuffer b = ByteBuffer.wrap(digest);
    this.d0 = b.getLong();
    this.d1 = b.getLong();
    this.d2 = b.getLong();
    this.d3 = b.getLong();
    this.scope = scope;
    this.keyId = keyId;
  }

  /**
   * The key for a credential and scope.
   *
   * @param credential the credential
   * @param scope what is asked about
   * @return the key
   */
  public static CacheKey of(ApiKeyCredential credential, ApplicationPrivileges scope) {
    return new CacheKey(Sha256.digest(credential.encoded()), scope, credential.id());
  }

  /**
   * The key id, for log lines.
   *
   * @return the id, not secret
   */
  public String keyId() {
    return keyId;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CacheKey k
        && d0 == k.d0
        && d1 == k.d1
        && d2 == k.d2
        && d3 == k.d3
        && (scope == k.scope || scope.equals(k.scope));
  }

  @Override
  public int hashCode() {
    return (int) d0;
  }

  @Override
  public String toString() {
    return "CacheKey[id=" + LogSafe.text(keyId) + "]";
  }
}
