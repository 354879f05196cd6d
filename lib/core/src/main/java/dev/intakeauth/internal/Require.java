package dev.intakeauth.internal;

import java.time.Duration;
import java.util.Objects;

/** Argument checks for builders, with messages that name the setting. */
public final class Require {

  private Require() {}

  /**
   * Checks that a number is positive.
   *
   * @param value the value
   * @param setting the setting's name, for the message
   * @return the value
   * @throws IllegalArgumentException if it is not positive
   */
  public static int positive(int value, String setting) {
    if (value <= 0) {
      throw new IllegalArgumentException(setting + " must be positive: " + value);
    }
    return value;
  }

  /**
   * Checks that a number is positive.
   *
   * @param value the value
   * @param setting the setting's name, for the message
   * @return the value
   * @throws IllegalArgumentException if it is not positive
   */
  public static long positive(long value, String setting) {
    if (value <= 0) {
      throw new IllegalArgumentException(setting + " must be positive: " + value);
    }
    return value;
  }

  /**
   * Checks that a duration is positive.
   *
   * @param value the value
   * @param setting the setting's name, for the message
   * @return the value
   * @throws IllegalArgumentException if it is zero or negative
   */
  public static Duration positive(Duration value, String setting) {
    Objects.requireNonNull(value, setting);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(setting + " must be positive: " + value);
    }
    return value;
  }
}
