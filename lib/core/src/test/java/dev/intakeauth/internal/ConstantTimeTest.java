package dev.intakeauth.internal;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class ConstantTimeTest {

  private static final char[] SECRET = "abcdef".toCharArray();

  @Test
  void equalOnlyForTheSameCharactersAndLength() {
    assertThat(ConstantTime.equals(SECRET, "xxabcdefyy", 2, 8)).isTrue();
    assertThat(ConstantTime.equals(SECRET, "abcdef", 0, 6)).isTrue();
    for (int i = 0; i < SECRET.length; i++) {
      char[] wrong = SECRET.clone();
      wrong[i] ^= 1;
      assertThat(ConstantTime.equals(SECRET, new String(wrong), 0, 6)).as("differs at %d", i).isFalse();
    }
    assertThat(ConstantTime.equals(SECRET, "abcde", 0, 5)).isFalse();
    assertThat(ConstantTime.equals(SECRET, "abcdefg", 0, 7)).isFalse();
    assertThat(ConstantTime.equals(SECRET, "aaaaaa", 0, 6)).isFalse();
    assertThat(ConstantTime.equals(SECRET, "a", 0, 1)).isFalse();
    assertThat(ConstantTime.equals(SECRET, "abc", 3, 3)).isFalse();
    assertThat(ConstantTime.equals(new char[0], "abc", 3, 3)).isTrue();
    assertThat(ConstantTime.equals(new char[0], "abc", 0, 1)).isFalse();
  }

  @Property(tries = 3000)
  void agreesWithStringEquality(@ForAll @StringLength(max = 12) String expected, @ForAll @StringLength(max = 12) String presented) {
    String text = "<" + presented + ">";
    assertThat(ConstantTime.equals(expected.toCharArray(), text, 1, text.length() - 1)).isEqualTo(expected.equals(presented));
  }
}
