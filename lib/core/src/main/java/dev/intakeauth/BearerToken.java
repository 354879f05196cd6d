package dev.intakeauth;

import dev.intakeauth.internal.ConstantTime;
import java.util.Objects;

/**
 * A secret token sent as {@code Authorization: Bearer <token>}. The token is held as given; its
 * {@link #toString()} never shows it.
 */
public final class BearerToken extends Credential {

  private final String token;

  /** Made by the header parser; the token without the scheme. */
  BearerToken(String token) {
    this.token = Objects.requireNonNull(token, "token");
  }

  /** 1 if this is the configured token, else 0, in time that depends only on its length. */
  int matchBit(char[] expected) {
    if (token.isEmpty()) {
      return expected.length == 0 ? 1 : 0;
    }
    return ConstantTime.equalsBit(expected, token, 0, token.length());
  }

  /**
   * 1 if this is one of the configured tokens, else 0: compared with every one of them, in time that
   * depends only on their lengths, never on which one matched.
   */
  int matchBit(char[][] configured) {
    // A configured token is never empty, so an empty one matches none, and costs what a miss costs.
    return token.isEmpty() ? 0 : ConstantTime.anyEqualsBit(configured, token, 0, token.length());
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
