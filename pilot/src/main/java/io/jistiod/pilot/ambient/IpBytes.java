package io.jistiod.pilot.ambient;

import com.google.protobuf.ByteString;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** IP literals as the workload API carries them: 4 or 16 raw bytes. */
final class IpBytes {
  private IpBytes() {}

  /**
   * The bytes of {@code ip}, or null if it is not an IP literal. An IPv4-mapped IPv6 literal gives
   * 4 bytes, as Go's {@code netip.Addr.AsSlice} of such an address would not: none reaches us from
   * Kubernetes, which writes IPv4 addresses in dotted form.
   */
  static ByteString parse(String ip) {
    if (ip == null || ip.isEmpty() || !looksLiteral(ip)) {
      return null;
    }
    try {
      return ByteString.copyFrom(InetAddress.getByName(ip).getAddress());
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /** The text form of {@code bytes} (for lookup keys), as Go's {@code netip.Addr.String}. */
  static String format(ByteString bytes) {
    try {
      String s = InetAddress.getByAddress(bytes.toByteArray()).getHostAddress();
      return bytes.size() == 16 ? compressV6(s) : s;
    } catch (UnknownHostException e) {
      return "";
    }
  }

  /** Only digits, dots, hex digits and colons: never a host name, so never a DNS lookup. */
  private static boolean looksLiteral(String s) {
    if (s.length() > 45) {
      return false;
    }
    boolean colon = s.indexOf(':') >= 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok =
          (c >= '0' && c <= '9')
              || c == '.'
              || (colon && (Character.digit(c, 16) >= 0 || c == ':'));
      if (!ok) {
        return false;
      }
    }
    if (!colon) {
      String[] parts = s.split("\\.", -1);
      if (parts.length != 4) {
        return false;
      }
      for (String p : parts) {
        if (p.isEmpty() || p.length() > 3 || Integer.parseInt(p) > 255) {
          return false;
        }
      }
    }
    return true;
  }

  /** Java writes every IPv6 group ({@code 0:0:0:0:0:0:0:1}); Go compresses the longest zero run. */
  private static String compressV6(String full) {
    String[] groups = full.split(":", -1);
    int bestStart = -1;
    int bestLen = 1;
    for (int i = 0; i < groups.length; ) {
      if (groups[i].equals("0")) {
        int j = i;
        while (j < groups.length && groups[j].equals("0")) {
          j++;
        }
        if (j - i > bestLen) {
          bestStart = i;
          bestLen = j - i;
        }
        i = j;
      } else {
        i++;
      }
    }
    if (bestStart < 0) {
      return full;
    }
    String head = String.join(":", java.util.Arrays.copyOfRange(groups, 0, bestStart));
    String tail =
        String.join(":", java.util.Arrays.copyOfRange(groups, bestStart + bestLen, groups.length));
    return head + "::" + tail;
  }
}
