package io.jistiod.pilot.model;

import java.util.Locale;

/** Application protocol of a service port, as Istio derives it from a port's name or protocol. */
public enum Protocol {
  GRPC,
  GRPC_WEB,
  HTTP,
  HTTP2,
  HTTPS,
  TCP,
  TLS,
  MONGO,
  REDIS,
  MYSQL,
  UDP,
  UNSUPPORTED;

  /**
   * Parses a protocol name case-insensitively ({@code "grpc"}, {@code "HTTP2"}, ...); anything else
   * is {@link #UNSUPPORTED}, which Istio treats as "detect by sniffing".
   */
  public static Protocol parse(String name) {
    if (name == null || name.isEmpty()) {
      return UNSUPPORTED;
    }
    switch (name.toLowerCase(Locale.ROOT)) {
      case "grpc":
        return GRPC;
      case "grpc-web":
        return GRPC_WEB;
      case "http":
        return HTTP;
      case "http2":
        return HTTP2;
      case "https":
        return HTTPS;
      case "tcp":
        return TCP;
      case "tls":
        return TLS;
      case "mongo":
        return MONGO;
      case "redis":
        return REDIS;
      case "mysql":
        return MYSQL;
      case "udp":
        return UDP;
      default:
        return UNSUPPORTED;
    }
  }

  /** Kubernetes style: the prefix of a port name before the first '-', e.g. {@code grpc-web}. */
  public static Protocol fromPortName(String portName) {
    if (portName == null) {
      return UNSUPPORTED;
    }
    if (portName.regionMatches(true, 0, "grpc-web", 0, 8)) {
      return GRPC_WEB; // its own prefix contains the separator, so it is checked first
    }
    Protocol whole = parse(portName);
    if (whole != UNSUPPORTED) {
      return whole;
    }
    int dash = portName.indexOf('-');
    return dash < 0 ? UNSUPPORTED : parse(portName.substring(0, dash));
  }

  public boolean isHttp() {
    return this == HTTP || this == HTTP2 || this == GRPC || this == GRPC_WEB;
  }
}
