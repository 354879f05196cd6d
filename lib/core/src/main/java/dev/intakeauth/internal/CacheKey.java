package dev.intakeauth.internal;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.ApplicationPrivileges;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import org.jspecify.annotations.Nullable;

/**
 * A cache key derived from the whole credential (id and secret) and the privileges asked about, so a
 * different secret never finds another secret's answer. Holds a SHA-256 digest, never the secret.
 */
public final class CacheKey {

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private final long d0;
  private final long d1;
  private final long d2;
  private final long d3;
  private final ApplicationPrivileges scope;
  private final @Nullable String keyId;

  private CacheKey(byte[] digest, ApplicationPrivileges scope, @Nullable String keyId) {
    this.d0 = (long) LONGS.get(digest, 0);
    this.d1 = (long) LONGS.get(digest, 8);
    this.d2 = (long) LONGS.get(digest, 16);
    this.d3 = (long) LONGS.get(digest, 24);
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
   * A key to look up with, from the SHA-256 of an encoded credential's text; it equals the key
   * {@link #of} makes for that credential, but knows no key id.
   *
   * @param digest the 32-byte digest of {@code base64(id:api_key)}
   * @param scope what is asked about
   * @return the key
   */
  public static CacheKey ofDigest(byte[] digest, ApplicationPrivileges scope) {
    return new CacheKey(digest, scope, null);
  }

  /**
   * The key id, for log lines.
   *
   * @return the id, not secret; null for a lookup-only key
   */
  public @Nullable String keyId() {
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
    return "CacheKey[id=" + (keyId == null ? "?" : LogSafe.text(keyId)) + "]";
  }
}
