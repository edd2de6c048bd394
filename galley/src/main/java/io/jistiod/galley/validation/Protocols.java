package io.jistiod.galley.validation;

import java.util.Locale;

/** Port protocols as Istio names them (case-insensitive). */
enum Protocols {
  TCP,
  UDP,
  GRPC,
  GRPC_WEB,
  HTTP,
  HTTP_PROXY,
  HTTP2,
  HTTPS,
  TLS,
  MONGO,
  REDIS,
  MYSQL,
  UNSUPPORTED;

  static Protocols parse(String s) {
    switch (s.toLowerCase(Locale.ROOT)) {
      case "tcp":
        return TCP;
      case "udp":
        return UDP;
      case "grpc":
        return GRPC;
      case "grpc-web":
        return GRPC_WEB;
      case "http":
        return HTTP;
      case "http_proxy":
        return HTTP_PROXY;
      case "http2":
        return HTTP2;
      case "https":
        return HTTPS;
      case "tls":
        return TLS;
      case "mongo":
        return MONGO;
      case "redis":
        return REDIS;
      case "mysql":
        return MYSQL;
      default:
        return UNSUPPORTED;
    }
  }

  boolean isHttp() {
    return this == HTTP || this == HTTP2 || this == HTTP_PROXY || this == GRPC || this == GRPC_WEB;
  }

  boolean isTcp() {
    return this == TCP
        || this == HTTPS
        || this == TLS
        || this == MONGO
        || this == REDIS
        || this == MYSQL;
  }

  boolean isTls() {
    return this == HTTPS || this == TLS;
  }
}
