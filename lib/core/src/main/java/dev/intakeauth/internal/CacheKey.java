package dev.intakeauth.internal;

import dev.intakeauth.ApplicationPrivileges;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import org.jspecify.annotations.Nullable;

/**
 * A cache key derived from the whole credential (id and secret) and the privileges asked about, so a
 * different secret never finds another secret's answer: the SHA-256 of the credential's exact
 * {@code base64(id:api_key)} text, never the secret itself.
 */
public final class CacheKey {

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private final long d0;
  private final long d1;
  private final long d2;
  private final long d3;
  private final ApplicationPrivileges scope;
  private final @Nullable String keyId;

  private CacheKey(long d0, long d1, long d2, long d3, ApplicationPrivileges scope, @Nullable String keyId) {
    this.d0 = d0;
    this.d1 = d1;
    this.d2 = d2;
    this.d3 = d3;
    this.scope = scope;
    this.keyId = keyId;
  }

  /**
   * The key for a credential and scope, hashed with the thread's digest.
   *
   * @param encoded the credential's {@code base64(id:api_key)} text, ASCII only
   * @param keyId the credential's key id
   * @param scope what is asked about
   * @return the key
   */
  @SuppressWarnings("deprecation") // getBytes(int, int, byte[], int) copies ASCII text to bytes without allocating
  public static CacheKey of(String encoded, String keyId, ApplicationPrivileges scope) {
    int length = encoded.length();
    TokenScratch scratch = TokenScratch.get();
    encoded.getBytes(0, length, scratch.bytes(length), 0);
    return ofDigest(scratch.sha256(length), scope).withKeyId(keyId);
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
    return new CacheKey(
        (long) LONGS.get(digest, 0), (long) LONGS.get(digest, 8), (long) LONGS.get(digest, 16), (long) LONGS.get(digest, 24),
        scope, null);
  }

  /**
   * This key, naming the key id it stands for; equal to this one.
   *
   * @param id the API key id, not secret
   * @return the key
   */
  public CacheKey withKeyId(String id) {
    return new CacheKey(d0, d1, d2, d3, scope, id);
  }

  /**
   * What is asked about.
   *
   * @return the application, resource and privileges
   */
  public ApplicationPrivileges scope() {
    return scope;
  }

  /**
   * The key id, for log lines and outcomes.
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
