package dev.intakeauth.internal;

import dev.intakeauth.ApplicationPrivileges;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The per-thread working memory of the request path: the one SHA-256 digest of the thread, a byte
 * buffer a token is written to, the 32-byte buffer its digest is written to, and the lookup key made
 * of that digest, so that a request that finds its answer cached allocates nothing. Cache keys are
 * made here.
 *
 * <p>The buffers are not zeroed after use: the same token stays in the request's header string and
 * in the container's own pooled buffers for as long as the container keeps them, so zeroing this
 * copy would cost every request and protect nothing. The next request on the thread overwrites it.
 */
public final class TokenScratch {

  /** The length of a SHA-256 digest, in bytes. */
  public static final int SHA256_LENGTH = 32;

  private static final ThreadLocal<TokenScratch> PER_THREAD = ThreadLocal.withInitial(TokenScratch::new);

  private final MessageDigest sha256;
  private final byte[] digest = new byte[SHA256_LENGTH];
  private final CacheKey lookupKey = CacheKey.ofDigest(new byte[SHA256_LENGTH], ApplicationPrivileges.APM);
  private byte[] bytes = new byte[256];
  private long digests;

  private TokenScratch() {
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /**
   * This thread's scratch.
   *
   * @return the scratch; use it on this thread only, and not across calls that may use it too
   */
  public static TokenScratch get() {
    return PER_THREAD.get();
  }

  /**
   * The byte buffer, grown to hold at least {@code length} bytes.
   *
   * @param length how many bytes the caller writes
   * @return the buffer
   */
  public byte[] bytes(int length) {
    if (bytes.length < length) {
      bytes = new byte[Math.max(length, bytes.length * 2)];
    }
    return bytes;
  }

  /**
   * The SHA-256 of the first {@code length} bytes of the byte buffer, written to this thread's
   * 32-byte buffer, which the next call overwrites.
   *
   * @param length how many bytes
   * @return the digest buffer
   */
  public byte[] sha256(int length) {
    digests++;
    try {
      // No reset first: digest() leaves the digest reset, and update() of an array cannot fail midway.
      sha256.update(bytes, 0, length);
      sha256.digest(digest, 0, SHA256_LENGTH);
      return digest;
    } catch (DigestException e) {
      throw new IllegalStateException("SHA-256 writes " + SHA256_LENGTH + " bytes", e);
    }
  }

  /**
   * The key for a credential and scope: the SHA-256 of its {@code base64(id:api_key)} text.
   *
   * @param encoded the credential's {@code base64(id:api_key)} text, ASCII only
   * @param keyId the credential's key id
   * @param scope what is asked about
   * @return a new key
   */
  @SuppressWarnings("deprecation") // getBytes(int, int, byte[], int) copies ASCII text to bytes without allocating
  public CacheKey keyOf(String encoded, String keyId, ApplicationPrivileges scope) {
    int length = encoded.length();
    encoded.getBytes(0, length, bytes(length), 0);
    return CacheKey.ofDigest(sha256(length), scope).withKeyId(keyId);
  }

  /**
   * This thread's lookup key, made the key of the first {@code length} bytes of the byte buffer (their
   * SHA-256) and {@code scope}. The next call changes it: look up with it, never store it; store a
   * {@link CacheKey#withKeyId copy}.
   *
   * @param length how many bytes
   * @param scope what is asked about
   * @return the lookup key
   */
  public CacheKey lookupKey(int length, ApplicationPrivileges scope) {
    return lookupKey.fill(sha256(length), scope);
  }

  /**
   * The SHA-256 of {@code input}, in a new array, with this thread's digest.
   *
   * @param input the bytes
   * @return 32 new bytes
   */
  public byte[] sha256Of(byte[] input) {
    digests++;
    return sha256.digest(input);
  }

  /**
   * How many digests this thread has computed; a seam for tests that a request hashes its token once.
   *
   * @return the count since the thread first used its scratch
   */
  public long digests() {
    return digests;
  }
}
