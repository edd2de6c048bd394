package io.jistiod.istiod;

import java.net.InetSocketAddress;

/** Parses istiod's address flags: {@code :15010} (all interfaces) or {@code 127.0.0.1:15010}. */
final class ListenAddress {
  private ListenAddress() {}

  static InetSocketAddress parse(String flag, String value) {
    int colon = value.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException(flag + ": \"" + value + "\" (expected: [host]:port)");
    }
    String host = value.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(value.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + ": \"" + value + "\" has no valid port");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(flag + ": port " + port + " (expected: 0-65535)");
    }
    return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
  }
}
