package dev.intakeauth.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpLiteralTest {

  @ParameterizedTest
  @CsvSource({
      "0.0.0.0, 0.0.0.0",
      "198.51.100.255, 198.51.100.255",
      "::, ::",
      "::1, ::1",
      "1::, 1::",
      "2001:DB8::1, 2001:db8::1",
      "2001:0db8:0000:0000:0000:0000:0000:0001, 2001:db8::1",
      "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
      "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
      "1:2:3:4:5:6:7:8, 1:2:3:4:5:6:7:8",
      "1:2:3:4:5:6:7::, 1:2:3:4:5:6:7:0",
      "::2:3:4:5:6:7:8, 0:2:3:4:5:6:7:8",
      "::ffff:192.0.2.1, ::ffff:c000:201",
      "64:ff9b::192.0.2.33, 64:ff9b::c000:221",
      "1:2:3:4:5:6:1.2.3.4, 1:2:3:4:5:6:102:304",
  })
  void parsesAndPrintsCanonically(String text, String canonical) {
    byte[] parsed = IpLiteral.parse(text);
    assertThat(parsed).isNotNull();
    assertThat(IpLiteral.format(parsed)).isEqualTo(canonical);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "1", "1.2.3", "1.2.3.4.5", "1.2.3.256", "01.2.3.4", "1.2.3.04", "1..2.3", ".1.2.3.4", "1.2.3.4.",
      "+1.2.3.4", "1.2.3.-4", " 1.2.3.4", "\u0661.2.3.4", "0x1.2.3.4", "localhost", ".evil", "evil.", "a.b.c.d",
      ":", ":::", "1:::2", "1::2::3", ":1::", "1:", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8",
      "12345::", "g::1", "::1%eth0", "[::1]", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3", "::1.2.3.4:5", "1.2.3.4::",
      "::ffff:1.2.3.256", "\uff11.2.3.4"})
  void refusesAnythingButAStrictLiteral(String text) {
    assertThat(IpLiteral.parse(text)).isNull();
    assertThat(IpLiteral.isIpv4(text)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"0.0.0.0", "192.0.2.1", "255.255.255.255", "10.0.3.232"})
  void aStrictIpv4LiteralIsItsOwnCanonicalText(String text) {
    assertThat(IpLiteral.isIpv4(text)).isTrue();
    assertThat(IpLiteral.format(IpLiteral.parse(text))).isEqualTo(text);
  }

  @Property(tries = 5000)
  void agreesWithTheJdkOnEveryAddress(@ForAll("addresses") byte[] address) throws UnknownHostException {
    // getByAddress never looks anything up; its text is the uncompressed form.
    String jdk = InetAddress.getByAddress(address).getHostAddress();
    byte[] expected = InetAddress.getByAddress(address).getAddress();
    assertThat(IpLiteral.parse(jdk)).isEqualTo(expected);
    assertThat(IpLiteral.parse(IpLiteral.format(address))).isEqualTo(address);
    assertThat(IpLiteral.parse(IpLiteral.format(address).toUpperCase())).isEqualTo(address);
  }

  @Property(tries = 5000)
  void neverThrowsOnAnyText(@ForAll @StringLength(max = 60) String text) {
    byte[] parsed = IpLiteral.parse(text);
    if (parsed != null) {
      assertThat(parsed.length == 4 || parsed.length == 16).isTrue();
    }
  }

  @Property(tries = 5000)
  void neverThrowsOnAddressLikeText(@ForAll("addressLike") String text) {
    byte[] parsed = IpLiteral.parse(text);
    if (parsed != null) {
      assertThat(IpLiteral.parse(IpLiteral.format(parsed))).isEqualTo(parsed);
    }
  }

  @Provide
  Arbitrary<byte[]> addresses() {
    Arbitrary<byte[]> v4 = Arbitraries.bytes().array(byte[].class).ofSize(4);
    // Sparse IPv6 addresses, so that runs of zero groups are common.
    Arbitrary<byte[]> v6 = Arbitraries.of((byte) 0, (byte) 0, (byte) 0, (byte) 1, (byte) 0xff, (byte) 0x80).array(byte[].class).ofSize(16);
    Arbitrary<byte[]> v6Random = Arbitraries.bytes().array(byte[].class).ofSize(16);
    return Arbitraries.oneOf(v4, v6, v6Random);
  }

  @Provide
  Arbitrary<String> addressLike() {
    return Arbitraries.strings().withChars("0123456789abcdefABCDEF:.").ofMaxLength(46);
  }
}
