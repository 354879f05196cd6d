package dev.intakeauth.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class ConstantTimeTest {

  private static final char[] SECRET = "abcdef".toCharArray();

  /** Compares the presented text in the middle of a header value, as the request path does. */
  private static int compare(char[] expected, String presented) {
    String value = "Bearer " + presented + "xxxx";
    return ConstantTime.equalsBit(expected, value, 7, presented.length());
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
    assertThat(compare(SECRET, "a")).isZero();
    assertThat(compare(SECRET, "ffffff")).isZero();
    assertThat(compare(new char[0], "a")).isZero();
    // A presented prefix followed by the secret's own tail in the text is still not equal.
    assertThat(ConstantTime.equalsBit(SECRET, "abcdef", 0, 3)).isZero();
    // A shorter presentation repeats its last character, which never makes it equal.
    assertThat(ConstantTime.equalsBit("aaa".toCharArray(), "aaa", 0, 1)).isZero();
  }

  @Test
  void refusesAnEmptyPresentation() {
    assertThatThrownBy(() -> ConstantTime.equalsBit(SECRET, "abc", 0, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  /** The in-place comparison of the request path, on a header value. */
  private static int inPlace(String secret, String presented) {
    return ConstantTime.visibleTokenEqualsBit(ConstantTime.padded(secret, 64), secret.length(), "Bearer " + presented, 7);
  }

  @Test
  void theInPlaceComparisonSeesEveryPlaceTheLengthAndThePadding() {
    String secret = "0123456789abcdefXYZ";
    assertThat(inPlace(secret, secret)).isEqualTo(1);
    assertThat(inPlace(secret, secret.substring(0, secret.length() - 1))).as("a prefix").isZero();
    assertThat(inPlace(secret, secret + "Z")).as("one more character").isZero();
    for (int i = 0; i < secret.length(); i++) {
      char[] wrong = secret.toCharArray();
      wrong[i] = wrong[i] == '~' ? '!' : '~';
      assertThat(inPlace(secret, new String(wrong))).as("differs at %d", i).isZero();
    }
    // A character that shares its low byte with the secret's is another character, never taken here.
    assertThat(inPlace("ab", "a\u0162")).isEqualTo(-1);
    assertThat(inPlace("ab", "a b")).as("not a token the parser takes whole").isEqualTo(-1);
    assertThat(inPlace("ab", "a\u007f")).isEqualTo(-1);
  }

  @Property(tries = 3000)
  void theInPlaceComparisonAgreesWithStringEqualityForVisibleTokens(
      @ForAll @StringLength(min = 1, max = 20) @CharRange(from = '!', to = '~') String secret,
      @ForAll @StringLength(min = 1, max = 30) @CharRange(from = '!', to = '~') String presented) {
    assertThat(inPlace(secret, presented) == 1).isEqualTo(secret.equals(presented));
    assertThat(inPlace(secret, secret)).isEqualTo(1);
  }

  @Property(tries = 3000)
  void agreesWithStringEquality(@ForAll @StringLength(max = 12) String expected, @ForAll @StringLength(min = 1, max = 12) String presented) {
    assertThat(compare(expected.toCharArray(), presented) == 1).isEqualTo(expected.equals(presented));
  }
}
