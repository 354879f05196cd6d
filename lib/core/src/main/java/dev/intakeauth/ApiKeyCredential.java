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
    Object decoded = decode(encoded);
    if (decoded instanceof ApiKeyCredential credential) {
      return credential;
    }
    throw new IllegalArgumentException(decoded == DecodeFailure.NOT_CANONICAL_BASE64
        ? "API key credentials must be canonical, padded base64 of id:api_key"
        : "API key credentials must decode to id:api_key, with a non-empty id and key");
  }

  /** Why a token is not a credential, in the words of the two callers' rules. */
  enum DecodeFailure {
    /** Not padded base64, or not its one canonical form. */
    NOT_CANONICAL_BASE64,
    /** Base64, but not of {@code id:api_key} with a non-empty id and key. */
    NOT_ID_AND_SECRET
  }

  /**
   * The rules of an {@code ApiKey} token, in one place for the header parser and {@link #parse}:
   * padded, canonical standard base64 (the decoder takes a missing pad and ignores set bits after the
   * last whole byte, so "QR==" would be "A") of {@code id:api_key}, with a non-empty id before the
   * first {@code :} and a non-empty secret. The decoded bytes are wiped before returning.
   *
   * @param token the value after {@code ApiKey }
   * @return the credential, or the {@link DecodeFailure}
   */
  static Object decode(String token) {
    if ((token.length() & 3) != 0) {
      return DecodeFailure.NOT_CANONICAL_BASE64;
    }
    byte[] decoded;
    try {
      decoded = Base64.getDecoder().decode(token);
    } catch (IllegalArgumentException e) {
      return DecodeFailure.NOT_CANONICAL_BASE64;
    }
    try {
      if (!hasZeroPadBits(token)) {
        return DecodeFailure.NOT_CANONICAL_BASE64;
      }
      int colon = 0;
      while (colon < decoded.length && decoded[colon] != ':') {
        colon++;
      }
      if (colon == 0 || colon >= decoded.length - 1) {
        return DecodeFailure.NOT_ID_AND_SECRET;
      }
      return new ApiKeyCredential(new String(decoded, 0, colon, StandardCharsets.UTF_8), token, colon + 1);
    } finally {
      Arrays.fill(decoded, (byte) 0);
    }
  }

  /** Whether the bits after the last whole byte are zero, as only the canonical form has them. */
  private static boolean hasZeroPadBits(String token) {
    int n = token.length();
    int pad = n >= 2 && token.charAt(n - 2) == '=' ? 2 : n >= 1 && token.charAt(n - 1) == '=' ? 1 : 0;
    if (pad == 0) {
      return true;
    }
    char last = token.charAt(n - 1 - pad);
    int value;
    if (last >= 'A' && last <= 'Z') {
      value = last - 'A';
    } else if (last >= 'a' && last <= 'z') {
      value = last - 'a' + 26;
    } else if (last >= '0' && last <= '9') {
      value = last - '0' + 52;
    } else {
      value = last == '+' ? 62 : 63;
    }
    return (value & (pad == 1 ? 0x3 : 0xF)) == 0;
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
