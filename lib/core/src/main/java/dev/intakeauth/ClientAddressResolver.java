package dev.intakeauth;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Finds the address of the client behind a request, for per-client rate limiting.
 *
 * <p>{@code Forwarded}, {@code X-Real-IP} and {@code X-Forwarded-For} (in that order) are honoured only
 * when the connection itself comes from a configured trusted proxy; otherwise anyone could pick the
 * address their requests are counted against. Within a forwarding chain the client is the rightmost
 * address that is not a trusted proxy, since everything left of it was written by the client.
 * Nothing here resolves host names.
 *
 * <pre>{@code
 * ClientAddressResolver resolver = ClientAddressResolver.trusting(List.of("10.0.0.0/8", "::1"));
 * String ip = resolver.resolve(request.getRemoteAddr(), name -> Collections.list(request.getHeaders(name)));
 * }</pre>
 */
public final class ClientAddressResolver {

  /** Reads every value of a request header by name; an empty list when absent. */
  @FunctionalInterface
  public interface Headers {
    /**
     * The header's values.
     *
     * @param name the header name
     * @return its values, in order
     */
    List<String> values(String name);
  }

  private static final ClientAddressResolver DIRECT = new ClientAddressResolver(List.of());

  private final List<Cidr> trusted;

  private ClientAddressResolver(List<Cidr> trusted) {
    this.trusted = trusted;
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
   * A resolver that honours forwarding headers from these proxies.
   *
   * @param proxies addresses or CIDR ranges, such as {@code 10.0.0.0/8}, {@code 127.0.0.1}, {@code fd00::/8}
   * @return the resolver
   * @throws IllegalArgumentException if an entry is not an IP address or CIDR range
   */
  public static ClientAddressResolver trusting(List<String> proxies) {
    List<Cidr> parsed = new ArrayList<>();
    for (String proxy : proxies) {
      parsed.add(Cidr.parse(proxy));
    }
    return new ClientAddressResolver(List.copyOf(parsed));
  }

  /**
   * The client's address.
   *
   * @param remoteAddress the connection's peer address, as the container reports it
   * @param headers the request's headers
   * @return the client address, normalized when it is an IP literal
   */
  public String resolve(String remoteAddress, Headers headers) {
    Objects.requireNonNull(remoteAddress, "remoteAddress");
    byte[] remote = parseLiteral(remoteAddress);
    if (remote == null || !isTrusted(remote)) {
      return normalize(remoteAddress, remote);
    }
    String fromForwarded = rightmostUntrusted(forwardedFor(headers.values("Forwarded")));
    if (fromForwarded != null) {
      return fromForwarded;
    }
    List<String> realIp = headers.values("X-Real-IP");
    if (!realIp.isEmpty()) {
      String candidate = realIp.get(realIp.size() - 1).strip();
      byte[] parsed = parseLiteral(candidate);
      if (parsed != null) {
        return normalize(candidate, parsed);
      }
    }
    List<String> chain = new ArrayList<>();
    for (String value : headers.values("X-Forwarded-For")) {
      for (String part : value.split(",")) {
        chain.add(part.strip());
      }
    }
    String fromXff = rightmostUntrusted(chain);
    return fromXff != null ? fromXff : normalize(remoteAddress, remote);
  }

  private @Nullable String rightmostUntrusted(List<String> chain) {
    String leftmostValid = null;
    for (int i = chain.size() - 1; i >= 0; i--) {
      byte[] parsed = parseLiteral(chain.get(i));
      if (parsed == null) {
        // An obfuscated or garbled hop: whatever is left of it cannot be trusted either.
        return leftmostValid;
      }
      leftmostValid = normalize(chain.get(i), parsed);
      if (!isTrusted(parsed)) {
        return leftmostValid;
      }
    }
    return leftmostValid;
  }

  private static List<String> forwardedFor(List<String> values) {
    List<String> out = new ArrayList<>();
    for (String value : values) {
      for (String element : value.split(",")) {
        for (String pair : element.split(";")) {
          int eq = pair.indexOf('=');
          if (eq > 0 && pair.substring(0, eq).strip().equalsIgnoreCase("for")) {
            out.add(stripForwardedNode(pair.substring(eq + 1).strip()));
          }
        }
      }
    }
    return out;
  }

  /** {@code "[2001:db8::1]:4711"} to {@code 2001:db8::1}, {@code 192.0.2.1:80} to {@code 192.0.2.1}. */
  private static String stripForwardedNode(String node) {
    String n = node;
    if (n.length() >= 2 && n.startsWith("\"") && n.endsWith("\"")) {
      n = n.substring(1, n.length() - 1);
    }
    if (n.startsWith("[")) {
      int close = n.indexOf(']');
      return close > 0 ? n.substring(1, close) : n;
    }
    int colon = n.indexOf(':');
    return colon > 0 && colon == n.lastIndexOf(':') ? n.substring(0, colon) : n;
  }

  private boolean isTrusted(byte[] address) {
    for (Cidr cidr : trusted) {
      if (cidr.contains(address)) {
        return true;
      }
    }
    return false;
  }

  private static String normalize(String text, byte @Nullable [] address) {
    if (address == null) {
      return text;
    }
    try {
      return InetAddress.getByAddress(address).getHostAddress();
    } catch (UnknownHostException e) {
      return text;
    }
  }

  /** Parses an IPv4 or IPv6 literal without any name lookup; null when it is not one. */
  static byte @Nullable [] parseLiteral(String text) {
    String s = text.strip();
    if (s.isEmpty() || s.length() > 45) {
      return null;
    }
    if (s.indexOf(':') < 0) {
      return parseIpv4(s);
    }
    if (s.startsWith("[") && s.endsWith("]")) {
      s = s.substring(1, s.length() - 1);
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
      if (!ok) {
        return null;
      }
    }
    try {
      // A string with ':' made of these characters is only ever parsed as a literal, never looked up.
      return InetAddress.getByName(s).getAddress();
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static byte @Nullable [] parseIpv4(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return null;
    }
    byte[] out = new byte[4];
    for (int i = 0; i < 4; i++) {
      String p = parts[i];
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit) || (p.length() > 1 && p.charAt(0) == '0')) {
        return null;
      }
      int v = Integer.parseInt(p);
      if (v > 255) {
        return null;
      }
      out[i] = (byte) v;
    }
    return out;
  }

  @Override
  public String toString() {
    return "ClientAddressResolver[trusted=" + trusted + "]";
  }

  /** An address range. */
  private record Cidr(byte[] network, int prefix, String text) {

    static Cidr parse(String text) {
      String s = text.strip();
      int slash = s.indexOf('/');
      String address = slash < 0 ? s : s.substring(0, slash);
      byte[] bytes = parseLiteral(address);
      if (bytes == null) {
        throw new IllegalArgumentException("not an IP address or CIDR range: \"" + dev.intakeauth.internal.LogSafe.text(text) + "\"");
      }
      int prefix = bytes.length * 8;
      if (slash >= 0) {
        try {
          prefix = Integer.parseInt(s.substring(slash + 1));
        } catch (NumberFormatException e) {
          prefix = -1;
        }
        if (prefix < 0 || prefix > bytes.length * 8) {
          throw new IllegalArgumentException("bad prefix length in \"" + dev.intakeauth.internal.LogSafe.text(text) + "\"");
        }
      }
      return new Cidr(bytes, prefix, s);
    }

    boolean contains(byte[] address) {
      byte[] candidate = address;
      if (candidate.length != network.length) {
        candidate = mapped(candidate, network.length);
        if (candidate == null) {
          return false;
        }
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

    /** IPv4-mapped IPv6 ({@code ::ffff:a.b.c.d}) and plain IPv4 compare as the same address. */
    private static byte @Nullable [] mapped(byte[] address, int length) {
      if (address.length == 16 && length == 4) {
        for (int i = 0; i < 10; i++) {
          if (address[i] != 0) {
            return null;
          }
        }
        if (address[10] != (byte) 0xFF || address[11] != (byte) 0xFF) {
          return null;
        }
        return java.util.Arrays.copyOfRange(address, 12, 16);
      }
      return null;
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
