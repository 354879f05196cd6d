package dev.intakeauth.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class ConstantTimeTest {

  private static final char[] SECRET = "abcdef".toCharArray();

  private static int compare(char[] expected, String presented) {
    char[] scratch = Arrays.copyOf(presented.toCharArray(), Math.max(presented.length(), expected.length) + 3);
    // Whatever lies beyond the presented length must not matter.
    Arrays.fill(scratch, presented.length(), scratch.length, 'x');
    return ConstantTime.equalsBit(expected, scratch, presented.length());
  }

  @Test
  void equalOnlyForTheSameCharactersAndLength() {
    assertThat(compare(SECRET, "abcdef")).isEqualTo(1);
    for (int i = 0; i < SECRET.length; i++) {
      char[] wrong = SECRET.clone();
      wrong[i] ^= 1;
      assertThat(compare(SECRET, new String(wrong))).as("differs at %d", i).isZero();
    }
    assertThat(compare(SECRET, "abcde")).isZero();
    assertThat(compare(SECRET, "abcdefg")).isZero();
    assertThat(compare(SECRET, "abcdex")).isZero();
    assertThat(compare(SECRET, "")).isZero();
    assertThat(compare(new char[0], "")).isEqualTo(1);
    assertThat(compare(new char[0], "a")).isZero();
    // A presented prefix followed by the secret's own tail in the array is still not equal.
    assertThat(ConstantTime.equalsBit(SECRET, "abcdef".toCharArray(), 3)).isZero();
  }

  @Test
  void refusesAPresentedArrayShorterThanTheSecret() {
    assertThatThrownBy(() -> ConstantTime.equalsBit(SECRET, new char[3], 3)).isInstanceOf(IllegalArgumentException.class);
  }

  @Property(tries = 3000)
  void agreesWithStringEquality(@ForAll @StringLength(max = 12) String expected, @ForAll @StringLength(max = 12) String presented) {
    assertThat(compare(expected.toCharArray(), presented) == 1).isEqualTo(expected.equals(presented));
  }
}
