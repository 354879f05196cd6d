package dev.intakeauth.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class Sha256Test {

  @Property(tries = 1000)
  void theAsciiDigestIsTheDigestOfTheUtf8Bytes(@ForAll @CharRange(from = 0, to = 127) @StringLength(max = 300) String ascii) {
    byte[] expected = Sha256.digest(ascii.getBytes(StandardCharsets.UTF_8));
    assertThat(HexFormat.of().formatHex(Sha256.digestAscii((ascii + "tail").toCharArray(), ascii.length()))).isEqualTo(HexFormat.of().formatHex(expected));
  }

  @Test
  void theAsciiDigestRefusesOtherCharacters() {
    assertThatThrownBy(() -> Sha256.digestAscii("caf\u00e9".toCharArray(), 4)).isInstanceOf(IllegalArgumentException.class);
    assertThat(HexFormat.of().formatHex(Sha256.digestAscii("abc".toCharArray(), 3)))
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }
}
