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
 *
 * <p>Keys are made by {@link TokenScratch}. They are immutable, except each thread's one lookup key
 * ({@link TokenScratch#lookupKey}), which
 * the request path fills anew for every lookup, so that a cache hit allocates no key. It is only ever
 * looked up with, never stored: what a cache stores is a copy ({@link #withKeyId}).
 */
public final class CacheKey {

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private long d0;
  private long d1;
  private long d2;
  private long d3;
  private ApplicationPrivileges scope;
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
   * A key to look up with, from the SHA-256 of an encoded credential's text; it equals the key
   * {@link TokenScratch#keyOf} makes for that credential, but knows no key id.
   *
   * @param digest the 32-byte digest of {@code base64(id:api_key)}
   * @param scope what is asked about
   * @return the key
   */
  public static CacheKey ofDigest(byte[] digest, ApplicationPrivileges scope) {
    return new CacheKey(0, 0, 0, 0, scope, null).fill(digest, scope);
  }

  /** Makes this key the one of {@code digest} and {@code scope}; for new keys and a thread's lookup key only. */
  CacheKey fill(byte[] digest, ApplicationPrivileges scope) {
    this.d0 = (long) LONGS.get(digest, 0);
    this.d1 = (long) LONGS.get(digest, 8);
    this.d2 = (long) LONGS.get(digest, 16);
    this.d3 = (long) LONGS.get(digest, 24);
    this.scope = scope;
    return this;
  }

  /**
   * A new key equal to this one, naming the key id it stands for: what a cache stores.
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
