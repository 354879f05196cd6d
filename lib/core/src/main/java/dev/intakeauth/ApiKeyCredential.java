package dev.intakeauth;

import dev.intakeauth.internal.Base64Credentials;
import dev.intakeauth.internal.LogSafe;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * An Elasticsearch API key sent as {@code Authorization: ApiKey <base64(id:api_key)>}.
 *
 * <p>The id is not secret and may be logged; the secret and the encoded value are, and
 * {@link #toString()} shows only the id.
 */
public final class ApiKeyCredential extends Credential {

  /** The longest value {@link #parse} takes, in characters. */
  private static final int MAX_ENCODED_LENGTH = 1024;

  private final String id;
  private final String encoded;
  private final int secretOffset;

  private ApiKeyCredential(String id, String encoded, int secretOffset) {
    this.id = id;
    this.encoded = encoded;
    this.secretOffset = secretOffset;
  }

  /**
   * Makes the credential for a key id and secret, as an agent would send it.
   *
   * @param id the API key id; not empty, no {@code :}
   * @param secret the API key secret; not empty
   * @return the credential
   * @throws IllegalArgumentException if the id is empty or contains {@code :}, or the secret is empty
   */
  public static ApiKeyCredential of(String id, String secret) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(secret, "secret");
    if (id.isEmpty() || id.indexOf(':') >= 0) {
      throw new IllegalArgumentException("an API key id must be non-empty and must not contain ':'");
    }
    if (secret.isEmpty()) {
      throw new IllegalArgumentException("an API key secret must not be empty");
    }
    String encoded = Base64Credentials.encode(id, secret);
    return new ApiKeyCredential(id, encoded, id.getBytes(StandardCharsets.UTF_8).length + 1);
  }

  /**
   * Parses the value an agent sends after {@code Authorization: ApiKey }, without the scheme, by the
   * header's rules: strict, padded, canonical standard base64, at most 1024 characters, of a
   * non-empty id, a {@code :} and a non-empty secret (which may itself contain {@code :}). White
   * space, around the value or in it, is refused, not removed.
   *
   * @param encoded {@code base64(id:api_key)}, as {@link #encoded()} gives it
   * @return the credential
   * @throws IllegalArgumentException if the value breaks a rule; the message never repeats the value
   */
  public static ApiKeyCredential parse(String encoded) {
    Objects.requireNonNull(encoded, "encoded");
    if (encoded.length() > MAX_ENCODED_LENGTH) {
      throw new IllegalArgumentException("API key credentials are longer than " + MAX_ENCODED_LENGTH + " characters");
    }
    byte[] decoded;
    try {
      decoded = Base64.getDecoder().decode(encoded);
    } catch (IllegalArgumentException e) {
      throw notBase64();
    }
    try {
      // The decoder takes a missing pad and ignores set bits after the last whole byte ("QR==" is "A"):
      // only the one canonical form is a credential, as in the header.
      if (!Base64.getEncoder().encodeToString(decoded).equals(encoded)) {
        throw notBase64();
      }
      int colon = 0;
      while (colon < decoded.length && decoded[colon] != ':') {
        colon++;
      }
      if (colon == 0 || colon >= decoded.length - 1) {
        throw new IllegalArgumentException("API key credentials must decode to id:api_key, with a non-empty id and key");
      }
      return new ApiKeyCredential(new String(decoded, 0, colon, StandardCharsets.UTF_8), encoded, colon + 1);
    } finally {
      Arrays.fill(decoded, (byte) 0);
    }
  }

  private static IllegalArgumentException notBase64() {
    return new IllegalArgumentException("API key credentials must be canonical, padded base64 of id:api_key");
  }

  /** Built by the header parser, which has already decoded and validated the value. */
  static ApiKeyCredential decoded(String id, String encoded, int secretOffset) {
    return new ApiKeyCredential(id, encoded, secretOffset);
  }

  /**
   * The API key id: the decoded bytes before the first {@code :}. Not secret.
   *
   * @return the key id
   */
  public String id() {
    return id;
  }

  /**
   * The base64 value exactly as received. It contains the secret: send it only to the backend that
   * checks it, never log it.
   *
   * @return {@code base64(id:api_key)}
   */
  public String encoded() {
    return encoded;
  }

  /**
   * The header value to forward to Elasticsearch. It contains the secret: do not log it.
   *
   * @return {@code ApiKey <encoded>}
   */
  public String authorizationValue() {
    return "ApiKey " + encoded;
  }

  /**
   * The secret's bytes (everything after the first {@code :}, which may itself contain {@code :}),
   * a fresh copy the caller may clear.
   *
   * @return the secret
   */
  public byte[] secretBytes() {
    byte[] all = Base64.getDecoder().decode(encoded);
    byte[] secret = java.util.Arrays.copyOfRange(all, secretOffset, all.length);
    java.util.Arrays.fill(all, (byte) 0);
    return secret;
  }

  /** Two credentials are equal when their encoded values are; compared in constant time. */
  @Override
  public boolean equals(Object o) {
    return o instanceof ApiKeyCredential other
        && java.security.MessageDigest.isEqual(
            encoded.getBytes(StandardCharsets.ISO_8859_1),
            other.encoded.getBytes(StandardCharsets.ISO_8859_1));
  }

  @Override
  public int hashCode() {
    return id.hashCode();
  }

  @Override
  public String toString() {
    return "ApiKeyCredential[id=" + LogSafe.text(id) + ", secret=***]";
  }
}
