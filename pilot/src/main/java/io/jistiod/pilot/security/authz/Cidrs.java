package io.jistiod.pilot.security.authz;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IP or CIDR from a policy ({@code ipBlocks}, {@code source.ip}, ...) as Envoy's {@link
 * CidrRange}: a bare address is a /32 or /128; the address is kept as written (not masked), IPv6 in
 * its canonical text form, as istiod's netip parsing does.
 */
final class Cidrs {
  private Cidrs() {}

  static CidrRange parse(String value) {
    if (value.isEmpty()) {
      throw new IllegalArgumentException("empty address");
    }
    String addr = value;
    Integer bits = null;
    int slash = value.indexOf('/');
    if (slash >= 0) {
      addr = value.substring(0, slash);
      String b = value.substring(slash + 1);
      if (b.isEmpty() || b.length() > 3 || !b.chars().allMatch(Character::isDigit)) {
        throw new IllegalArgumentException("invalid CIDR " + quote(value));
      }
      if (b.length() > 1 && b.charAt(0) == '0') {
        throw new IllegalArgumentException("invalid CIDR " + quote(value));
      }
      bits = Integer.parseInt(b);
    }
    String canonical;
    int max;
    if (addr.indexOf(':') >= 0) {
      canonical = ipv6(addr, value);
      max = 128;
    } else {
      canonical = ipv4(addr, value);
      max = 32;
    }
    int len = bits == null ? max : bits;
    if (len > max) {
      throw new IllegalArgumentException("invalid CIDR " + quote(value) + ": prefix too long");
    }
    return CidrRange.newBuilder()
        .setAddressPrefix(canonical)
        .setPrefixLen(UInt32Value.of(len))
        .build();
  }

  private static String ipv4(String addr, String value) {
    String[] parts = addr.split("\\.", -1);
    if (parts.length != 4) {
      throw new IllegalArgumentException("invalid IP address " + quote(value));
    }
    for (String p : parts) {
      if (p.isEmpty()
          || p.length() > 3
          || !p.chars().allMatch(Character::isDigit)
          || (p.length() > 1 && p.charAt(0) == '0')
          || Integer.parseInt(p) > 255) {
        throw new IllegalArgumentException("invalid IP address " + quote(value));
      }
    }
    return addr;
  }

  private static String ipv6(String addr, String value) {
    if (addr.indexOf('%') >= 0
        || !addr.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
      throw new IllegalArgumentException("invalid IP address " + quote(value));
    }
    byte[] b;
    try {
      b = InetAddress.getByName(addr).getAddress(); // a literal: never a DNS lookup
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("invalid IP address " + quote(value));
    }
    if (b.length == 4) {
      // an IPv4-mapped literal: netip keeps it as IPv6 ::ffff:a.b.c.d
      return "::ffff:"
          + (b[0] & 255)
          + "."
          + (b[1] & 255)
          + "."
          + (b[2] & 255)
          + "."
          + (b[3] & 255);
    }
    return canonicalV6(b);
  }

  /** RFC 5952 text: lower-case hex, the longest run (>= 2) of zero groups as "::". */
  private static String canonicalV6(byte[] b) {
    int[] g = new int[8];
    for (int i = 0; i < 8; i++) {
      g[i] = ((b[2 * i] & 255) << 8) | (b[2 * i + 1] & 255);
    }
    int bestStart = -1;
    int bestLen = 0;
    for (int i = 0; i < 8; ) {
      if (g[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && g[j] == 0) {
        j++;
      }
      if (j - i > bestLen && j - i >= 2) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(g[i]));
    }
    return sb.toString();
  }

  private static String quote(String s) {
    return "\"" + s + "\"";
  }
}
