package dev.intakeauth.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class Sha256Test {

  @Property(tries = 1000)
  void theScratchDigestIsTheDigestOfTheBytes(@ForAll @CharRange(from = 0, to = 127) @StringLength(max = 600) String ascii)
      throws Exception {
    byte[] bytes = ascii.getBytes(StandardCharsets.US_ASCII);
    TokenScratch scratch = TokenScratch.get();
    System.arraycopy(bytes, 0, scratch.bytes(bytes.length), 0, bytes.length);
    String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    assertThat(HexFormat.of().formatHex(scratch.sha256(bytes.length))).isEqualTo(expected);
    assertThat(HexFormat.of().formatHex(Sha256.digest(ascii))).isEqualTo(expected);
  }

  @Test
  void theScratchDigestKnowsTheStandardVector() {
    TokenScratch scratch = TokenScratch.get();
    System.arraycopy(new byte[] {'a', 'b', 'c'}, 0, scratch.bytes(3), 0, 3);
    assertThat(HexFormat.of().formatHex(scratch.sha256(3)))
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }

  @Test
  void theScratchGrowsToTheAskedLengthAndCountsItsDigests() {
    TokenScratch scratch = TokenScratch.get();
    assertThat(scratch.bytes(5000).length).isGreaterThanOrEqualTo(5000);
    long before = scratch.digests();
    scratch.sha256(10);
    Sha256.digest("abc");
    assertThat(scratch.digests()).isEqualTo(before + 2);
  }
}
