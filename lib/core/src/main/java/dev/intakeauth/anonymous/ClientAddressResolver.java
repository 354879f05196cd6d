package dev.intakeauth.anonymous;

import dev.intakeauth.internal.IpLiteral;
import dev.intakeauth.internal.LogSafe;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Finds the address of the client behind a request, for per-client rate limiting.
 *
 * <p>By default it is the connection's own address. A forwarding header is honoured only when the
 * connection itself comes from a configured trusted proxy (otherwise anyone could pick the address
 * their requests are counted against), and only the one header the configuration names: the one
 * those proxies set. Any other forwarding header is the client's own text and is ignored.
 *
 * <ul>
 *   <li>{@link ForwardedHeader#X_FORWARDED_FOR} (the default): all values of all
 *       {@code X-Forwarded-For} lines, in order, as one comma-separated chain, walked from the right
 *       past trusted hops. The first hop that is not a trusted proxy is the client: everything left of
 *       it was written by the client.
 *   <li>{@link ForwardedHeader#FORWARDED}: the {@code for=} parameters of RFC 7239
 *       {@code Forwarded}, walked the same way.
 *   <li>{@link ForwardedHeader#X_REAL_IP}: the last {@code X-Real-IP} value, as is.
 * </ul>
 *
 * <p>Ports and brackets are stripped ({@code 192.0.2.1:5678}, {@code [2001:db8::1]:443},
 * {@code "[2001:db8::1]"}). Entries are parsed as IP literals by hand: nothing here ever looks a
 * name up. An entry that is not a literal ({@code unknown}, {@code _hidden}, a host name) stops the
 * walk, and the client is the trusted hop that wrote it (the connection, if it is the rightmost): a
 * trusted proxy that cannot name its peer leaves that proxy as the best-known source. The result is
 * always a canonical literal: dotted IPv4, RFC 5952 IPv6 ({@code 2001:db8::1}), and IPv4-mapped IPv6
 * as IPv4.
 *
 * <pre>{@code
 * ClientAddressResolver resolver = ClientAddressResolver.trusting(List.of("10.0.0.0/8", "::1"), ForwardedHeader.X_FORWARDED_FOR);
 * String ip = resolver.resolve(request.getRemoteAddr(), name -> Collections.list(request.getHeaders(name)));
 * }</pre>
 */
public final class ClientAddressResolver {

  /** The one forwarding header the trusted proxies set. */
  public enum ForwardedHeader {
    /** {@code X-Forwarded-For}, each proxy appending its peer's address. */
    X_FORWARDED_FOR("X-Forwarded-For"),
    /** RFC 7239 {@code Forwarded}, each proxy appending an element with {@code for=}. */
    FORWARDED("Forwarded"),
    /** {@code X-Real-IP}, set (not appended) by the one proxy in front. */
    X_REAL_IP("X-Real-IP");

    private final String headerName;

    ForwardedHeader(String headerName) {
      this.headerName = headerName;
    }

    /**
     * The header's name on the wire.
     *
     * @return such as {@code X-Forwarded-For}
     */
    String headerName() {
      return headerName;
    }
  }

  /** The longest IPv6 prefix: one address per group. */
  private static final int IPV6_BITS = 128;

  private static final ClientAddressResolver DIRECT = new ClientAddressResolver(List.of(), ForwardedHeader.X_FORWARDED_FOR);

  private final List<Cidr> trusted;
  private final ForwardedHeader header;

  private ClientAddressResolver(List<Cidr> trusted, ForwardedHeader header) {
    this.trusted = trusted;
    this.header = header;
  }

  /**
   * A resolver that trusts no proxy: the connection's own address, always.
   *
   * @return the resolver
   */
  public static ClientAddressResolver direct() {
    return DIRECT;
  }

  /**
   * A resolver that honours {@code X-Forwarded-For} from these proxies.
   *
   * @param proxies addresses or CIDR ranges, such as {@code 10.0.0.0/8}, {@code 127.0.0.1}, {@code fd00::/8}
   * @return the resolver
   * @throws IllegalArgumentException if an entry is not an IP address or CIDR range, or is an
   *     IPv4-mapped range ({@code ::ffff:a.b.c.d/n}) with a prefix shorter than 96 bits
   */
  public static ClientAddressResolver trusting(List<String> proxies) {
    return trusting(proxies, ForwardedHeader.X_FORWARDED_FOR);
  }

  /**
   * A resolver that honours one forwarding header from these proxies and ignores the others.
   *
   * @param proxies addresses or CIDR ranges, such as {@code 10.0.0.0/8}, {@code 127.0.0.1}, {@code fd00::/8}
   * @param header the header those proxies set
   * @return the resolver
   * @throws IllegalArgumentException if an entry is not an IP address or CIDR range, or is an
   *     IPv4-mapped range ({@code ::ffff:a.b.c.d/n}) with a prefix shorter than 96 bits
   */
  public static ClientAddressResolver trusting(List<String> proxies, ForwardedHeader header) {
    Objects.requireNonNull(header, "header");
    List<Cidr> parsed = new ArrayList<>();
    for (String proxy : proxies) {
      parsed.add(Cidr.parse(proxy));
    }
    return new ClientAddressResolver(List.copyOf(parsed), header);
  }

  /**
   * The client's address.
   *
   * @param remoteAddress the connection's peer address, as the container reports it
   * @param headers every value of a request header by name; an empty list when absent
   * @return the client address: a canonical IP literal, or {@code remoteAddress} as it is when that
   *     is not one (a Unix socket, say)
   */
  public String resolve(String remoteAddress, Function<String, List<String>> headers) {
    Objects.requireNonNull(remoteAddress, "remoteAddress");
    byte[] remote = node(remoteAddress, 0, remoteAddress.length(), false);
    if (remote == null) {
      return remoteAddress;
    }
    if (!isTrusted(remote)) {
      return IpLiteral.format(IpLiteral.unmapped(remote));
    }
    byte[] client = switch (header) {
      case X_FORWARDED_FOR, FORWARDED -> walk(remote, headers.apply(header.headerName()), header == ForwardedHeader.FORWARDED);
      case X_REAL_IP -> realIp(remote, headers.apply(header.headerName()));
    };
    return IpLiteral.format(IpLiteral.unmapped(client));
  }

  /**
   * The group an address is rate limited in, as text to key per-client state by: an IPv4 address
   * (or IPv4-mapped IPv6 address) is its own group; an IPv6 address belongs to its network of
   * {@code ipv6PrefixLength} bits, since one host is commonly handed a whole /64 and can send from
   * any address in it.
   *
   * @param address an address, such as {@link #resolve} returns; brackets allowed
   * @param ipv6PrefixLength 1 to 128; 128 keys each IPv6 address alone
   * @return such as {@code 192.0.2.1}, {@code 2001:db8:1:2::/64}, or {@code 2001:db8::1} for 128;
   *     text that is not an IP literal is returned as it is
   * @throws IllegalArgumentException if the prefix length is out of range
   */
  static String clientGroup(String address, int ipv6PrefixLength) {
    checkIpv6Prefix(ipv6PrefixLength);
    if (IpLiteral.isIpv4(address)) {
      return address; // the common case, already canonical: no allocation on the rate limiter's path
    }
    byte[] parsed = node(address, 0, address.length(), false);
    if (parsed == null) {
      return address;
    }
    byte[] bytes = IpLiteral.unmapped(parsed);
    if (bytes.length == 4 || ipv6PrefixLength == IPV6_BITS) {
      return IpLiteral.format(bytes);
    }
    byte[] network = bytes.clone();
    for (int bit = ipv6PrefixLength; bit < IPV6_BITS; bit++) {
      network[bit >>> 3] &= (byte) ~(0x80 >>> (bit & 7));
    }
    return IpLiteral.format(network) + "/" + ipv6PrefixLength;
  }

  /**
   * Checks an IPv6 grouping prefix length.
   *
   * @param ipv6PrefixLength the length
   * @return it, when from 1 to 128
   * @throws IllegalArgumentException otherwise
   */
  static int checkIpv6Prefix(int ipv6PrefixLength) {
    if (ipv6PrefixLength < 1 || ipv6PrefixLength > IPV6_BITS) {
      throw new IllegalArgumentException("the IPv6 prefix length must be from 1 to 128, got " + ipv6PrefixLength);
    }
    return ipv6PrefixLength;
  }

  /** Walks a comma-separated chain, all lines joined in order, from the right past trusted hops. */
  private byte[] walk(byte[] remote, List<String> lines, boolean forwarded) {
    byte[] last = remote;
    for (int line = lines.size() - 1; line >= 0; line--) {
      String value = lines.get(line);
      int end = value.length();
      while (end >= 0) {
        int comma = value.lastIndexOf(',', end - 1);
        int from = comma + 1;
        int to = end;
        end = comma;
        if (isBlank(value, from, to)) {
          continue; // an empty list element, which RFC 9110 says to ignore
        }
        byte[] hop = forwarded ? forwardedFor(value, from, to) : node(value, from, to, false);
        if (hop == null) {
          return last;
        }
        last = hop;
        if (!isTrusted(hop)) {
          return hop;
        }
        if (comma < 0) {
          break;
        }
      }
    }
    return last;
  }

  private static byte[] realIp(byte[] remote, List<String> values) {
    if (values.isEmpty()) {
      return remote;
    }
    String value = values.get(values.size() - 1);
    byte[] parsed = node(value, 0, value.length(), false);
    return parsed != null ? parsed : remote;
  }

  /** The node of the {@code for=} parameter of one {@code Forwarded} element; null if none. */
  private static byte @Nullable [] forwardedFor(String value, int from, int to) {
    int pair = from;
    while (pair < to) {
      int semicolon = value.indexOf(';', pair);
      int pairEnd = semicolon < 0 || semicolon > to ? to : semicolon;
      int start = skipSpace(value, pair, pairEnd);
      if (pairEnd - start > 4 && value.charAt(start + 3) == '='
          && (value.charAt(start) | 0x20) == 'f' && (value.charAt(start + 1) | 0x20) == 'o' && (value.charAt(start + 2) | 0x20) == 'r') {
        return node(value, start + 4, pairEnd, true);
      }
      pair = pairEnd + 1;
    }
    return null;
  }

  /**
   * One address entry: surrounding spaces, quotes (only where {@code quoted} may be), brackets and a
   * port stripped, then strictly parsed. Null when it is not an IP literal.
   */
  private static byte @Nullable [] node(String s, int from, int to, boolean quotable) {
    int a = skipSpace(s, from, to);
    int b = to;
    while (b > a && isSpace(s.charAt(b - 1))) {
      b--;
    }
    if (quotable && b - a >= 2 && s.charAt(a) == '"' && s.charAt(b - 1) == '"') {
      a++;
      b--;
    }
    if (a >= b) {
      return null;
    }
    if (s.charAt(a) == '[') {
      int close = s.indexOf(']', a);
      if (close < 0 || close >= b || !(close == b - 1 || (s.charAt(close + 1) == ':' && isPort(s, close + 2, b)))) {
        return null;
      }
      byte[] v6 = IpLiteral.parse(s, a + 1, close);
      return v6 != null && v6.length == 16 ? v6 : null;
    }
    int colon = indexOf(s, ':', a, b);
    if (colon >= 0 && indexOf(s, ':', colon + 1, b) < 0) {
      // Exactly one ':' is IPv4 with a port; IPv6 without brackets has no port.
      byte[] v4 = isPort(s, colon + 1, b) ? IpLiteral.parse(s, a, colon) : null;
      return v4 != null && v4.length == 4 ? v4 : null;
    }
    return IpLiteral.parse(s, a, b);
  }

  /** A decimal port, or an RFC 7239 obfuscated one ({@code _abc}). */
  private static boolean isPort(String s, int from, int to) {
    if (from >= to || to - from > 16) {
      return false;
    }
    if (s.charAt(from) == '_') {
      for (int i = from + 1; i < to; i++) {
        char c = s.charAt(i);
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
          return false;
        }
      }
      return to - from > 1;
    }
    if (to - from > 5) {
      return false;
    }
    int port = 0;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
      port = port * 10 + (c - '0');
    }
    return port <= 65535;
  }

  private static int indexOf(String s, char c, int from, int to) {
    int i = s.indexOf(c, from);
    return i < to ? i : -1;
  }

  private static int skipSpace(String s, int from, int to) {
    int i = from;
    while (i < to && isSpace(s.charAt(i))) {
      i++;
    }
    return i;
  }

  private static boolean isBlank(String s, int from, int to) {
    return skipSpace(s, from, to) == to;
  }

  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t';
  }

  private boolean isTrusted(byte[] address) {
    for (Cidr cidr : trusted) {
      if (cidr.contains(address)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "ClientAddressResolver[trusted=" + trusted + ", header=" + header.headerName() + "]";
  }

  /** An address range. */
  private record Cidr(byte[] network, int prefix, String text) {

    static Cidr parse(String text) {
      String s = text.strip();
      int slash = s.indexOf('/');
      String address = slash < 0 ? s : s.substring(0, slash);
      if (address.length() > 2 && address.startsWith("[") && address.endsWith("]")) {
        address = address.substring(1, address.length() - 1);
      }
      byte[] bytes = IpLiteral.parse(address);
      if (bytes == null) {
        throw new IllegalArgumentException("not an IP address or CIDR range: \"" + LogSafe.text(text) + "\"");
      }
      int prefix = bytes.length * 8;
      if (slash >= 0) {
        try {
          prefix = Integer.parseInt(s.substring(slash + 1));
        } catch (NumberFormatException e) {
          prefix = -1;
        }
        if (prefix < 0 || prefix > bytes.length * 8) {
          throw new IllegalArgumentException("bad prefix length in \"" + LogSafe.text(text) + "\"");
        }
      }
      byte[] v4 = IpLiteral.unmapped(bytes);
      if (v4 != bytes) {
        // An IPv4-mapped range is an IPv4 range: addresses are compared unmapped. Below 96 bits it
        // would reach past ::ffff:0:0/96 and take in every IPv4 client.
        if (prefix < 96) {
          throw new IllegalArgumentException("an IPv4-mapped range needs a prefix of 96 or more (::ffff:10.0.0.0/104 is 10.0.0.0/8) in \""
              + LogSafe.text(text) + "\"");
        }
        return new Cidr(v4, prefix - 96, s);
      }
      return new Cidr(bytes, prefix, s);
    }

    boolean contains(byte[] address) {
      // IPv4-mapped IPv6 and plain IPv4 compare as the same address, and only with IPv4 ranges: as 16
      // bytes, every mapped address lies in any IPv6 range whose leading bits are zero.
      byte[] candidate = IpLiteral.unmapped(address);
      if (candidate.length != network.length) {
        return false;
      }
      int full = prefix / 8;
      for (int i = 0; i < full; i++) {
        if (candidate[i] != network[i]) {
          return false;
        }
      }
      int rest = prefix % 8;
      if (rest == 0) {
        return true;
      }
      int mask = 0xFF << (8 - rest);
      return (candidate[full] & mask) == (network[full] & mask);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Cidr c && c.prefix == prefix && java.util.Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
      return java.util.Arrays.hashCode(network) * 31 + prefix;
    }

    @Override
    public String toString() {
      return text;
    }
  }
}
