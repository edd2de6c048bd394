package io.jistiod.pilot.grpcgen;

/** A {@code host[:port]} as gRPC targets write it; IPv6 hosts in brackets. Port 0 = none. */
record HostPort(String host, int port) {

  static HostPort parse(String s) {
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close > 0) {
        String host = s.substring(1, close);
        String rest = s.substring(close + 1);
        return new HostPort(host, rest.startsWith(":") ? port(rest.substring(1)) : 0);
      }
    }
    int colon = s.lastIndexOf(':');
    if (colon < 0 || s.indexOf(':') != colon) {
      return new HostPort(s, 0);
    }
    int p = port(s.substring(colon + 1));
    return p == 0 ? new HostPort(s, 0) : new HostPort(s.substring(0, colon), p);
  }

  private static int port(String s) {
    try {
      int p = Integer.parseInt(s);
      return p > 0 && p <= 65535 ? p : 0;
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
