package dev.intakeauth.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class Sha256Test {

  @Property(tries = 1000)
  void theScratchDigestIsTheDigestOfTheBytes(@ForAll @CharRange(from = 0, to = 127) @StringLength(max = 600) String ascii) {
    String header = "ApiKey " + ascii;
    TokenScratch scratch = TokenScratch.get();
    char[] chars = scratch.copy(header, 7, header.length(), 0);
    assertThat(new String(chars, 0, ascii.length())).isEqualTo(ascii);
    byte[] bytes = ascii.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    System.arraycopy(bytes, 0, scratch.bytes(), 0, bytes.length);
    assertThat(HexFormat.of().formatHex(scratch.sha256(bytes.length))).isEqualTo(HexFormat.of().formatHex(Sha256.digest(ascii)));
  }

  @Test
  void theScratchDigestKnowsTheStandardVector() {
    TokenScratch scratch = TokenScratch.get();
    scratch.copy("abc", 0, 3, 0);
    System.arraycopy(new byte[] {'a', 'b', 'c'}, 0, scratch.bytes(), 0, 3);
    assertThat(HexFormat.of().formatHex(scratch.sha256(3)))
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }

  @Test
  void theScratchGrowsToTheLongerOfTheTokenAndTheAskedCapacity() {
    TokenScratch scratch = TokenScratch.get();
    assertThat(scratch.copy("x".repeat(5000), 0, 5000, 0).length).isGreaterThanOrEqualTo(5000);
    assertThat(scratch.copy("ab", 0, 2, 9000).length).isGreaterThanOrEqualTo(9000);
    assertThat(scratch.bytes().length).isEqualTo(scratch.copy("ab", 0, 2, 0).length);
  }
}
