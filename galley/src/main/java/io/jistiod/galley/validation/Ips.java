package io.jistiod.galley.validation;

/**
 * IP addresses and CIDR blocks with the exact syntax Istio accepts (Go's {@code net/netip}):
 * dotted-quad IPv4 without leading zeros, RFC 4291 IPv6 with an optional zone on plain addresses,
 * and {@code address/bits} prefixes without zones.
 */
final class Ips {
  private Ips() {}

  /** A plain IPv4 or IPv6 address (an IPv6 zone such as {@code fe80::1%eth0} is allowed). */
  static boolean isAddress(String s) {
    if (s.indexOf(':') >= 0) {
      int pct = s.indexOf('%');
      if (pct >= 0) {
        if (pct == s.length() - 1) {
          return false; // empty zone
        }
        s = s.substring(0, pct);
      }
      return isIpv6(s);
    }
    return isIpv4(s);
  }

  /** A CIDR block {@code address/bits}; host bits may be set, as in Go. */
  static boolean isPrefix(String s) {
    int slash = s.lastIndexOf('/');
    if (slash < 0) {
      return false;
    }
    String addr = s.substring(0, slash);
    String bits = s.substring(slash + 1);
    if (addr.indexOf('%') >= 0 || bits.isEmpty() || bits.length() > 3) {
      return false;
    }
    for (int i = 0; i < bits.length(); i++) {
      if (!Character.isDigit(bits.charAt(i)) || bits.charAt(i) > '9') {
        return false;
      }
    }
    if (bits.length() > 1 && bits.charAt(0) == '0') {
      return false;
    }
    int n = Integer.parseInt(bits);
    if (addr.indexOf(':') >= 0) {
      return isIpv6(addr) && n <= 128;
    }
    return isIpv4(addr) && n <= 32;
  }

  /** An address, or a CIDR block when it contains exactly one slash. */
  static boolean isAddressOrPrefix(String s) {
    long slashes = s.chars().filter(c -> c == '/').count();
    return slashes == 1 ? isPrefix(s) : isAddress(s);
  }

  static boolean isIpv4(String s) {
    int fields = 0;
    int start = 0;
    while (true) {
      int dot = s.indexOf('.', start);
      String part = dot < 0 ? s.substring(start) : s.substring(start, dot);
      if (!isOctet(part)) {
        return false;
      }
      fields++;
      if (dot < 0) {
        break;
      }
      start = dot + 1;
    }
    return fields == 4;
  }

  private static boolean isOctet(String p) {
    if (p.isEmpty() || p.length() > 3) {
      return false;
    }
    for (int i = 0; i < p.length(); i++) {
      char c = p.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    if (p.length() > 1 && p.charAt(0) == '0') {
      return false;
    }
    return Integer.parseInt(p) <= 255;
  }

  static boolean isIpv6(String s) {
    if (s.isEmpty()) {
      return false;
    }
    int doubleColon = s.indexOf("::");
    if (doubleColon >= 0 && s.indexOf("::", doubleColon + 1) >= 0) {
      return false;
    }
    int groups;
    if (doubleColon >= 0) {
      String head = s.substring(0, doubleColon);
      String tail = s.substring(doubleColon + 2);
      int h = head.isEmpty() ? 0 : countGroups(head, false);
      int t = tail.isEmpty() ? 0 : countGroups(tail, true);
      if (h < 0 || t < 0) {
        return false;
      }
      groups = h + t;
      return groups <= 7;
    }
    groups = countGroups(s, true);
    return groups == 8;
  }

  /** Number of 16-bit groups in a colon-separated run, or -1 if malformed. */
  private static int countGroups(String run, boolean ipv4TailAllowed) {
    String[] parts = run.split(":", -1);
    int groups = 0;
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i];
      if (i == parts.length - 1 && ipv4TailAllowed && p.indexOf('.') >= 0) {
        if (!isIpv4(p)) {
          return -1;
        }
        groups += 2;
        continue;
      }
      if (p.isEmpty() || p.length() > 4) {
        return -1;
      }
      for (int j = 0; j < p.length(); j++) {
        if (Character.digit(p.charAt(j), 16) < 0 || p.charAt(j) > 'f') {
          return -1;
        }
      }
      groups++;
    }
    return groups;
  }
}
