package dev.intakeauth.internal;

import org.jspecify.annotations.Nullable;

/**
 * Strict IPv4 and IPv6 literals, parsed and printed by hand so that nothing ever reaches the
 * resolver: {@code InetAddress.getByName} looks up anything it does not take for a literal, and
 * {@code InetAddress.ofLiteral} needs Java 22.
 *
 * <p>IPv4 is four decimal parts from 0 to 255 without leading zeros (so {@code 010.0.0.1} is
 * refused rather than read as octal or decimal). IPv6 is RFC 4291 text: up to eight groups of one to
 * four hex digits, at most one {@code ::}, an optional dotted IPv4 tail; no zone ({@code %eth0}).
 * Only ASCII digits count.
 */
public final class IpLiteral {

  /** The longest literal: an IPv6 address with an IPv4 tail. */
  private static final int MAX_LENGTH = 45;

  private IpLiteral() {}

  /**
   * Parses a literal.
   *
   * @param text the text, without brackets, port or surrounding spaces
   * @return 4 bytes for IPv4, 16 for IPv6, or null when it is not exactly a literal
   */
  public static byte @Nullable [] parse(CharSequence text) {
    return parse(text, 0, text.length());
  }

  /**
   * Parses a literal from part of a text.
   *
   * @param text the text
   * @param from the first character
   * @param to after the last character
   * @return 4 bytes for IPv4, 16 for IPv6, or null when that part is not exactly a literal
   */
  public static byte @Nullable [] parse(CharSequence text, int from, int to) {
    int length = to - from;
    if (length < 2 || length > MAX_LENGTH) {
      return null;
    }
    for (int i = from; i < to; i++) {
      if (text.charAt(i) == ':') {
        return parseIpv6(text, from, to);
      }
    }
    byte[] out = new byte[4];
    return parseIpv4(text, from, to, out, 0) ? out : null;
  }

  /**
   * Whether a text is exactly a strict IPv4 literal, which is then also its canonical form; without
   * allocating.
   *
   * @param text the text
   * @return true for such as {@code 192.0.2.1}, false for {@code 192.0.2.01} or {@code  192.0.2.1}
   */
  public static boolean isIpv4(CharSequence text) {
    int length = text.length();
    return length >= 7 && length <= 15 && parseIpv4(text, 0, length, null, 0);
  }

  /** Four dotted decimal parts into {@code out[offset..offset+3]}, or only checked when out is null. */
  private static boolean parseIpv4(CharSequence s, int from, int to, byte @Nullable [] out, int offset) {
    int part = 0;
    int value = 0;
    int digits = 0;
    for (int i = from; i <= to; i++) {
      char c = i < to ? s.charAt(i) : '.';
      if (c == '.') {
        if (digits == 0 || part == 4) {
          return false;
        }
        if (out != null) {
          out[offset + part] = (byte) value;
        }
        part++;
        value = 0;
        digits = 0;
      } else if (c >= '0' && c <= '9') {
        if (digits == 1 && value == 0) {
          return false; // a leading zero: octal to some parsers, decimal to others
        }
        value = value * 10 + (c - '0');
        if (++digits > 3 || value > 255) {
          return false;
        }
      } else {
        return false;
      }
    }
    return part == 4;
  }

  private static byte @Nullable [] parseIpv6(CharSequence s, int from, int to) {
    byte[] out = new byte[16];
    int groups = 0; // 16-bit groups written
    int gap = -1; // the group index where :: stands
    int i = from;
    if (s.charAt(i) == ':') {
      if (s.charAt(i + 1) != ':') {
        return null;
      }
      gap = 0;
      i += 2;
      if (i == to) {
        return out;
      }
    }
    while (i < to) {
      if (groups == 8) {
        return null;
      }
      int start = i;
      int value = 0;
      while (i < to && i - start < 5) {
        int d = hex(s.charAt(i));
        if (d < 0) {
          break;
        }
        value = (value << 4) | d;
        i++;
      }
      if (i < to && s.charAt(i) == '.') {
        // The IPv4 tail: the rest of the text, in the last 32 bits.
        if (groups > 6 || !parseIpv4(s, start, to, out, groups * 2)) {
          return null;
        }
        groups += 2;
        break;
      }
      int digits = i - start;
      if (digits == 0 || digits > 4) {
        return null;
      }
      out[groups * 2] = (byte) (value >>> 8);
      out[groups * 2 + 1] = (byte) value;
      groups++;
      if (i == to) {
        break;
      }
      if (s.charAt(i) != ':') {
        return null;
      }
      i++;
      if (i == to) {
        return null; // a trailing single ':'
      }
      if (s.charAt(i) == ':') {
        if (gap >= 0) {
          return null; // a second '::'
        }
        gap = groups;
        i++;
      }
    }
    if (gap < 0) {
      return groups == 8 ? out : null;
    }
    if (groups > 7) {
      return null;
    }
    // Move the groups after '::' to the end; zeros fill the gap.
    int tail = (groups - gap) * 2;
    System.arraycopy(out, gap * 2, out, 16 - tail, tail);
    java.util.Arrays.fill(out, gap * 2, 16 - tail, (byte) 0);
    return out;
  }

  private static int hex(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  /**
   * An IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}) as its 4 IPv4 bytes; any other address as
   * it is. The same client reaches a dual-stack socket either way.
   *
   * @param address 4 or 16 bytes
   * @return 4 bytes for IPv4 and IPv4-mapped, otherwise {@code address}
   */
  public static byte[] unmapped(byte[] address) {
    if (address.length != 16) {
      return address;
    }
    for (int i = 0; i < 10; i++) {
      if (address[i] != 0) {
        return address;
      }
    }
    if (address[10] != (byte) 0xFF || address[11] != (byte) 0xFF) {
      return address;
    }
    return java.util.Arrays.copyOfRange(address, 12, 16);
  }

  /**
   * The canonical text: dotted decimal for IPv4, RFC 5952 for IPv6 (lower case, no leading zeros,
   * the longest run of two or more zero groups, the first of equals, as {@code ::}).
   *
   * @param address 4 or 16 bytes
   * @return the text
   */
  public static String format(byte[] address) {
    if (address.length == 4) {
      return (address[0] & 0xFF) + "." + (address[1] & 0xFF) + "." + (address[2] & 0xFF) + "." + (address[3] & 0xFF);
    }
    int bestStart = -1;
    int bestLength = 1;
    for (int g = 0; g < 8; ) {
      if (group(address, g) != 0) {
        g++;
        continue;
      }
      int start = g;
      while (g < 8 && group(address, g) == 0) {
        g++;
      }
      if (g - start > bestLength) {
        bestStart = start;
        bestLength = g - start;
      }
    }
    StringBuilder out = new StringBuilder(39);
    for (int g = 0; g < 8; g++) {
      if (g == bestStart) {
        out.append("::");
        g += bestLength - 1;
        continue;
      }
      if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
        out.append(':');
      }
      out.append(Integer.toHexString(group(address, g)));
    }
    return out.toString();
  }

  private static int group(byte[] address, int g) {
    return ((address[g * 2] & 0xFF) << 8) | (address[g * 2 + 1] & 0xFF);
  }
}
