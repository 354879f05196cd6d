package dev.intakeauth.anonymous;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.intakeauth.anonymous.ClientAddressResolver.ForwardedHeader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The client address behind trusted proxies, played by a client that writes its own headers. */
class ClientAddressResolverTest {

  private static final String PROXY = "10.0.0.5";
  private final ClientAddressResolver xff = ClientAddressResolver.trusting(List.of("10.0.0.0/8", "::1"));

  /** Headers in order; a name given twice is two header lines. */
  private static Function<String, List<String>> headers(String... nameValue) {
    Map<String, List<String>> map = new LinkedHashMap<>();
    for (int i = 0; i < nameValue.length; i += 2) {
      map.computeIfAbsent(nameValue[i], k -> new ArrayList<>()).add(nameValue[i + 1]);
    }
    return name -> map.getOrDefault(name, List.of());
  }

  @Test
  void spoofedForwardedAndXRealIpAreIgnoredWhenXForwardedForIsConfigured() {
    // The proxy appended the real peer to X-Forwarded-For; the client wrote the other two itself.
    var sent = headers("Forwarded", "for=6.6.6.6", "X-Real-IP", "7.7.7.7", "X-Forwarded-For", "198.51.100.2");
    assertThat(xff.resolve(PROXY, sent)).isEqualTo("198.51.100.2");
    assertThat(ClientAddressResolver.trusting(List.of("10.0.0.0/8"), ForwardedHeader.X_FORWARDED_FOR).resolve(PROXY, sent))
        .isEqualTo("198.51.100.2");
  }

  @Test
  void spoofedXForwardedForAndXRealIpAreIgnoredWhenForwardedIsConfigured() {
    ClientAddressResolver forwarded = ClientAddressResolver.trusting(List.of("10.0.0.0/8"), ForwardedHeader.FORWARDED);
    var sent = headers("X-Forwarded-For", "6.6.6.6", "X-Real-IP", "7.7.7.7", "Forwarded", "for=198.51.100.2;proto=https");
    assertThat(forwarded.resolve(PROXY, sent)).isEqualTo("198.51.100.2");
  }

  @Test
  void spoofedXForwardedForIsIgnoredWhenXRealIpIsConfigured() {
    ClientAddressResolver realIp = ClientAddressResolver.trusting(List.of("10.0.0.0/8"), ForwardedHeader.X_REAL_IP);
    assertThat(realIp.resolve(PROXY, headers("X-Forwarded-For", "6.6.6.6", "Forwarded", "for=5.5.5.5", "X-Real-IP", "198.51.100.2")))
        .isEqualTo("198.51.100.2");
    assertThat(realIp.resolve(PROXY, headers("X-Real-IP", "198.51.100.2:4711"))).isEqualTo("198.51.100.2");
    assertThat(realIp.resolve(PROXY, headers("X-Real-IP", "localhost"))).as("not a literal: the proxy").isEqualTo(PROXY);
    assertThat(realIp.resolve(PROXY, headers())).isEqualTo(PROXY);
  }

  @Test
  void aMappedIpv4HopIsComparedAsIpv4SoNoIpv6RangeTrustsEveryIpv4Client() {
    // A dual-stack proxy writes IPv4 clients as ::ffff:a.b.c.d. As 16 bytes they all fall in any IPv6
    // range starting with zero bits, and the walk would go on into what the client wrote itself.
    ClientAddressResolver ipv6Proxies = ClientAddressResolver.trusting(List.of("::/1"));
    assertThat(ipv6Proxies.resolve("::1", headers("X-Forwarded-For", "6.6.6.6, ::ffff:198.51.100.2"))).isEqualTo("198.51.100.2");
    // ::ffff:10.0.0.0/8 reads as 0::/8, every mapped address: refused, naming the fix.
    assertThatThrownBy(() -> ClientAddressResolver.trusting(List.of("::ffff:10.0.0.0/8")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("96");
    // Written in the mapped form with a mapped prefix, it is the IPv4 range, whichever form the addresses take.
    ClientAddressResolver mapped = ClientAddressResolver.trusting(List.of("::ffff:10.0.0.0/104"));
    assertThat(mapped.resolve(PROXY, headers("X-Forwarded-For", "6.6.6.6, ::ffff:198.51.100.2"))).isEqualTo("198.51.100.2");
    assertThat(mapped.resolve("::ffff:10.0.0.5", headers("X-Forwarded-For", "198.51.100.2"))).isEqualTo("198.51.100.2");
    assertThat(mapped.resolve("11.0.0.5", headers("X-Forwarded-For", "198.51.100.2"))).isEqualTo("11.0.0.5");
  }

  @Test
  void forwardingHeadersFromAnUntrustedConnectionAreIgnored() {
    var sent = headers("X-Forwarded-For", "1.2.3.4", "X-Real-IP", "5.6.7.8", "Forwarded", "for=9.9.9.9");
    assertThat(xff.resolve("203.0.113.9", sent)).isEqualTo("203.0.113.9");
    for (ForwardedHeader header : ForwardedHeader.values()) {
      assertThat(ClientAddressResolver.trusting(List.of("10.0.0.0/8"), header).resolve("203.0.113.9", sent)).isEqualTo("203.0.113.9");
    }
    assertThat(ClientAddressResolver.direct().resolve(PROXY, sent)).isEqualTo(PROXY);
  }

  @Test
  void clientWrittenEntriesLeftOfTheProxysEntryAreIgnored() {
    // The client sent "1.1.1.1, 2.2.2.2"; the proxy appended what it saw. All lines count, in order.
    assertThat(xff.resolve(PROXY, headers("X-Forwarded-For", "1.1.1.1, 2.2.2.2, 198.51.100.2"))).isEqualTo("198.51.100.2");
    assertThat(xff.resolve(PROXY, headers("X-Forwarded-For", "1.1.1.1, 2.2.2.2", "X-Forwarded-For", "198.51.100.2, 10.0.0.9")))
        .isEqualTo("198.51.100.2");
    // A client claiming to be a trusted proxy is walked past, to the address the proxy saw.
    assertThat(xff.resolve(PROXY, headers("X-Forwarded-For", "10.9.9.9, 198.51.100.2"))).isEqualTo("198.51.100.2");
    // Only trusted hops: the leftmost of them.
    assertThat(xff.resolve(PROXY, headers("X-Forwarded-For", "10.0.0.8"))).isEqualTo("10.0.0.8");
    assertThat(xff.resolve(PROXY, headers("X-Forwarded-For", " , 198.51.100.2 ,, "))).as("empty elements are skipped").isEqualTo("198.51.100.2");
    assertThat(xff.resolve(PROXY, headers())).isEqualTo(PROXY);
  }

  @Test
  void ipColonPortEntryIsTheClientNotTheProxy() {
    assertThat(xff.resolve(PROXY, headers("X-Forwarded-For", "198.51.100.2:5678"))).isEqualTo("198.51.100.2");
    assertThat(xff.resolve(PROXY, headers("X-Forwarded-For", "6.6.6.6, 198.51.100.2:5678, 10.0.0.7:443"))).isEqualTo("198.51.100.2");
    ClientAddressResolver forwarded = ClientAddressResolver.trusting(List.of("10.0.0.0/8"), ForwardedHeader.FORWARDED);
    assertThat(forwarded.resolve(PROXY, headers("Forwarded", "for=\"198.51.100.2:5678\""))).isEqualTo("198.51.100.2");
    assertThat(forwarded.resolve(PROXY, headers("Forwarded", "for=\"198.51.100.2:_hidden\""))).isEqualTo("198.51.100.2");
  }

  @Test
  void bracketedIpv6WithAndWithoutPortIsStripped() {
    assertThat(xff.resolve(PROXY, headers("X-Forwarded-For", "[2001:db8::1]:443"))).isEqualTo("2001:db8::1");
    assertThat(xff.resolve(PROXY, headers("X-Forwarded-For", "[2001:DB8:0:0::1]"))).isEqualTo("2001:db8::1");
    assertThat(xff.resolve(PROXY, headers("X-Forwarded-For", "2001:db8::1"))).isEqualTo("2001:db8::1");
    assertThat(xff.resolve("::1", headers("X-Forwarded-For", "2001:db8::1"))).as("trusted IPv6 proxy").isEqualTo("2001:db8::1");
    assertThat(xff.resolve(PROXY, headers("X-Forwarded-For", "[2001:db8::1]:99999"))).as("not a port").isEqualTo(PROXY);
    assertThat(xff.resolve(PROXY, headers("X-Forwarded-For", "[198.51.100.2]"))).as("IPv4 in brackets").isEqualTo(PROXY);
    ClientAddressResolver forwarded = ClientAddressResolver.trusting(List.of("10.0.0.0/8", "::1"), ForwardedHeader.FORWARDED);
    assertThat(forwarded.resolve(PROXY, headers("Forwarded", "for=\"[2001:db8::1]\""))).isEqualTo("2001:db8::1");
    assertThat(forwarded.resolve("::1", headers("Forwarded", "For=\"[2001:db8:cafe::17]:4711\";proto=http"))).isEqualTo("2001:db8:cafe::17");
    assertThat(forwarded.resolve(PROXY, headers("Forwarded", "proto=https; for=\"[2001:db8::1]:443\"; by=10.0.0.5"))).isEqualTo("2001:db8::1");
  }

  @Test
  void ipv4MappedIpv6ResolvesToTheIpv4Address() {
    assertThat(xff.resolve(PROXY, headers("X-Forwarded-For", "::ffff:198.51.100.2"))).isEqualTo("198.51.100.2");
    assertThat(xff.resolve("::ffff:10.0.0.5", headers("X-Forwarded-For", "198.51.100.2"))).as("mapped proxy is trusted").isEqualTo("198.51.100.2");
    assertThat(xff.resolve("::ffff:203.0.113.9", headers())).isEqualTo("203.0.113.9");
  }

  /**
   * {@code localhost} resolves (to 127.0.0.1 or ::1); had it been looked up, the client would be that
   * address. It is not a literal, so it stops the walk and the client is the trusted proxy that wrote it.
   */
  @ParameterizedTest
  @ValueSource(strings = {"localhost", ".evil", ".localhost", "localhost.", "evil.example.com", "127.1", "0x7f.0.0.1", "2130706433",
      "010.0.0.1", "\u0661\u0662\u0667.0.0.1", "127.0.0.1.nip.io", "::ffff:127.0.0.1%lo", "fe80::1%eth0", "[localhost]:80",
      "localhost:80", "unknown", "_hidden", "1.2.3.4/8", "1.2.3.4 5.6.7.8"})
  void hostNamesAndNonLiteralsAreNeverLookedUp(String entry) {
    String client = xff.resolve(PROXY, headers("X-Forwarded-For", entry));
    assertThat(client).isEqualTo(PROXY);
    assertThat(xff.resolve(PROXY, headers("X-Forwarded-For", "198.51.100.2, " + entry + ", 10.0.0.9")))
        .as("the walk stops at the trusted hop that wrote it").isEqualTo("10.0.0.9");
    ClientAddressResolver forwarded = ClientAddressResolver.trusting(List.of("10.0.0.0/8"), ForwardedHeader.FORWARDED);
    assertThat(forwarded.resolve(PROXY, headers("Forwarded", "for=\"" + entry + "\""))).isEqualTo(PROXY);
    assertThat(ClientAddressResolver.trusting(List.of("10.0.0.0/8"), ForwardedHeader.X_REAL_IP).resolve(PROXY, headers("X-Real-IP", entry)))
        .isEqualTo(PROXY);
  }

  @Test
  void aForwardedElementWithoutForStopsTheWalk() {
    ClientAddressResolver forwarded = ClientAddressResolver.trusting(List.of("10.0.0.0/8"), ForwardedHeader.FORWARDED);
    assertThat(forwarded.resolve(PROXY, headers("Forwarded", "for=198.51.100.2, proto=https;by=10.0.0.9, for=10.0.0.9"))).isEqualTo("10.0.0.9");
    assertThat(forwarded.resolve(PROXY, headers("Forwarded", "for=198.51.100.2", "Forwarded", "for=unknown"))).isEqualTo(PROXY);
    assertThat(forwarded.resolve(PROXY, headers("Forwarded", "for=198.51.100.2", "Forwarded", "for=10.0.0.9"))).isEqualTo("198.51.100.2");
    assertThat(forwarded.resolve(PROXY, headers("Forwarded", "format=198.51.100.2"))).isEqualTo(PROXY);
  }

  @Test
  void manyTrustedHopsAreWalkedToTheClient() {
    List<String> hops = new ArrayList<>();
    hops.add("6.6.6.6");
    hops.add("198.51.100.2");
    for (int i = 0; i < 200; i++) {
      hops.add("10.0." + (i / 250) + "." + (i % 250));
    }
    assertThat(xff.resolve(PROXY, headers("X-Forwarded-For", String.join(", ", hops)))).isEqualTo("198.51.100.2");
    // The same chain spread over many header lines.
    String[] lines = new String[hops.size() * 2];
    for (int i = 0; i < hops.size(); i++) {
      lines[2 * i] = "X-Forwarded-For";
      lines[2 * i + 1] = hops.get(i);
    }
    assertThat(xff.resolve(PROXY, headers(lines))).isEqualTo("198.51.100.2");
  }

  @Test
  void aHugeClientWrittenHeaderIsNotWhereTheClientIsTaken() {
    // A megabyte of client-written chain in front of the entry the proxy appended.
    String junk = String.join(",", Collections.nCopies(100_000, "6.6.6.6:1")) + "," + "x".repeat(100_000);
    assertThat(xff.resolve(PROXY, headers("X-Forwarded-For", junk + ", 198.51.100.2"))).isEqualTo("198.51.100.2");
    assertThat(xff.resolve(PROXY, headers("X-Forwarded-For", "198.51.100.2," + "9".repeat(1_000_000)))).isEqualTo(PROXY);
    assertThat(xff.resolve(PROXY, headers("X-Forwarded-For", "[" + ":".repeat(1_000_000) + "]"))).isEqualTo(PROXY);
  }

  @Test
  void theResultIsACanonicalLiteral() {
    assertThat(xff.resolve(PROXY, headers("X-Forwarded-For", "2001:0DB8:0000:0000:0000:0000:0000:0001"))).isEqualTo("2001:db8::1");
    assertThat(xff.resolve("2001:db8:0:0:0:0:0:7", headers())).isEqualTo("2001:db8::7");
    assertThat(xff.resolve(" 198.51.100.2 ", headers())).isEqualTo("198.51.100.2");
    assertThat(ClientAddressResolver.direct().resolve("not-an-address", headers())).as("kept as it is").isEqualTo("not-an-address");
  }

  @Test
  void clientGroupsKeyIpv6ByPrefixAndIpv4ByAddress() {
    assertThat(ClientAddressResolver.clientGroup("2001:db8:1:2:aaaa:bbbb:cccc:dddd", 64)).isEqualTo("2001:db8:1:2::/64");
    assertThat(ClientAddressResolver.clientGroup("2001:db8:1:2::1", 64)).isEqualTo("2001:db8:1:2::/64");
    assertThat(ClientAddressResolver.clientGroup("2001:db8:1:3::1", 64)).isEqualTo("2001:db8:1:3::/64");
    assertThat(ClientAddressResolver.clientGroup("2001:db8:1:2::1", 48)).isEqualTo("2001:db8:1::/48");
    assertThat(ClientAddressResolver.clientGroup("2001:db8:1:2::1", 61)).isEqualTo("2001:db8:1::/61");
    assertThat(ClientAddressResolver.clientGroup("[2001:db8::1]", 128)).isEqualTo("2001:db8::1");
    assertThat(ClientAddressResolver.clientGroup("198.51.100.2", 64)).isEqualTo("198.51.100.2");
    assertThat(ClientAddressResolver.clientGroup("::ffff:198.51.100.2", 64)).isEqualTo("198.51.100.2");
    assertThat(ClientAddressResolver.clientGroup("not-an-address", 64)).isEqualTo("not-an-address");
    assertThatThrownBy(() -> ClientAddressResolver.clientGroup("::1", 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ClientAddressResolver.clientGroup("::1", 129)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void trustedProxyRangesAreStrictLiterals() {
    assertThatThrownBy(() -> ClientAddressResolver.trusting(List.of("localhost"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ClientAddressResolver.trusting(List.of("10.0.0.1:80"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ClientAddressResolver.trusting(List.of("::1/129"))).isInstanceOf(IllegalArgumentException.class);
    assertThat(ClientAddressResolver.trusting(List.of("[::1]"), ForwardedHeader.X_FORWARDED_FOR).resolve("::1", headers("X-Forwarded-For", "198.51.100.2")))
        .isEqualTo("198.51.100.2");
    assertThat(xff.toString()).contains("10.0.0.0/8", "X-Forwarded-For");
  }
}
