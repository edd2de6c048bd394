package io.jistiod.pilot.gatewayapi;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.regex.Pattern;

/** Small formatting rules of Kubernetes status: condition times and address types. */
final class StatusTime {
  private static final Pattern IPV4 =
      Pattern.compile(
          "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+(%.+)?");

  private StatusTime() {}

  /** metav1.Time: RFC 3339 to the second, in UTC. */
  static String format(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** Whether an address is an IP (reported as {@code IPAddress}) rather than a host name. */
  static boolean isIp(String s) {
    if (IPV4.matcher(s).matches()) {
      return true;
    }
    if (s.indexOf(':') < 0 || !IPV6_CHARS.matcher(s).matches()) {
      return false;
    }
    try {
      // A literal with a colon is parsed, never looked up.
      java.net.InetAddress.getByName(s);
      return true;
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }
}
