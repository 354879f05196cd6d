package dev.intakeauth.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
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

  @Property(tries = 3000)
  void theByteComparisonAgreesWithArrayEqualityWhateverFollowsThePresentedBytes(
      @ForAll @Size(max = 40) byte[] expected, @ForAll @Size(max = 40) byte[] presented, @ForAll byte filler) {
    byte[] scratch = new byte[Math.max(expected.length, presented.length) + 9];
    Arrays.fill(scratch, filler);
    System.arraycopy(presented, 0, scratch, 0, presented.length);
    assertThat(ConstantTime.equalsBit(expected, scratch, presented.length) == 1).isEqualTo(Arrays.equals(expected, presented));
  }

  @Test
  void theByteComparisonSeesEveryPlaceAndTheLength() {
    byte[] secret = "0123456789abcdefXYZ".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] scratch = new byte[32];
    System.arraycopy(secret, 0, scratch, 0, secret.length);
    assertThat(ConstantTime.equalsBit(secret, scratch, secret.length)).isEqualTo(1);
    assertThat(ConstantTime.equalsBit(secret, scratch, secret.length - 1)).isZero();
    for (int i = 0; i < secret.length; i++) {
      scratch[i] ^= (byte) 0x80;
      assertThat(ConstantTime.equalsBit(secret, scratch, secret.length)).as("differs at %d", i).isZero();
      scratch[i] ^= (byte) 0x80;
    }
    assertThatThrownBy(() -> ConstantTime.equalsBit(secret, new byte[3], 3)).isInstanceOf(IllegalArgumentException.class);
  }

  @Property(tries = 3000)
  void agreesWithStringEquality(@ForAll @StringLength(max = 12) String expected, @ForAll @StringLength(min = 1, max = 12) String presented) {
    assertThat(compare(expected.toCharArray(), presented) == 1).isEqualTo(expected.equals(presented));
  }
}
