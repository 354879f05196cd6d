package dev.intakeauth;

import dev.intakeauth.internal.ConstantTime;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A secret token sent as {@code Authorization: Bearer <token>}. The token is held as given; its
 * {@link #toString()} never shows it.
 */
public final class BearerToken implements Credential {

  private final String token;

  /**
   * Wraps a token.
   *
   * @param token the token, without the scheme
   */
  public BearerToken(String token) {
    this.token = Objects.requireNonNull(token, "token");
  }

  @Override
  public String scheme() {
    return "Bearer";
  }

  /**
   * The token's UTF-8 bytes, a fresh copy the caller may clear.
   *
   * @return the secret token's bytes
   */
  public byte[] tokenBytes() {
    return token.getBytes(StandardCharsets.UTF_8);
  }

  /** 1 if this is the configured token, else 0, in time that depends only on its length. */
  int matchBit(char[] expected) {
    char[] presented = java.util.Arrays.copyOf(token.toCharArray(), Math.max(token.length(), expected.length));
    try {
      return ConstantTime.equalsBit(expected, presented, token.length());
    } finally {
      java.util.Arrays.fill(presented, '\0');
    }
  }

  /**
   * The header value that carries this token. It contains the secret: do not log it.
   *
   * @return {@code Bearer <token>}
   */
  public String authorizationValue() {
    return "Bearer " + token;
  }

  /** Compared in constant time, so that equality checks never leak the token. */
  @Override
  public boolean equals(Object o) {
    return o instanceof BearerToken other && other.matchBit(token.toCharArray()) == 1;
  }

  @Override
  public int hashCode() {
    return BearerToken.class.hashCode();
  }

  @Override
  public String toString() {
    return "BearerToken[***]";
  }
}
