package io.jistiod.citadel.server;

import io.grpc.Context;
import io.grpc.Metadata;
import java.net.SocketAddress;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLSession;

/**
 * What authenticators may look at for one call: its request headers and, on a TLS transport, the
 * session holding the client's verified certificates.
 *
 * <p>Captured by {@link CallInfoInterceptor} into the gRPC {@link Context}. The headers object is
 * gRPC's own and must only be read.
 *
 * @param sslSession null on plaintext and in-process transports
 * @param remoteAddress null when the transport does not say
 */
public record CallInfo(Metadata headers, SSLSession sslSession, SocketAddress remoteAddress) {
  static final Context.Key<CallInfo> CONTEXT_KEY = Context.key("jistiod-citadel-call-info");

  public CallInfo {
    Objects.requireNonNull(headers, "headers");
  }

  /** The info of the current call, if {@link CallInfoInterceptor} ran for it. */
  public static Optional<CallInfo> current() {
    return Optional.ofNullable(CONTEXT_KEY.get());
  }

  /** The first value of ASCII header {@code name} (lower case, as gRPC carries it). */
  public Optional<String> header(String name) {
    Iterable<String> values =
        headers.getAll(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER));
    if (values == null) {
      return Optional.empty();
    }
    for (String value : values) {
      return Optional.of(value);
    }
    return Optional.empty();
  }

  public Optional<SSLSession> ssl() {
    return Optional.ofNullable(sslSession);
  }

  /** For logs: where the call came from, or "unknown". */
  public String peer() {
    return remoteAddress == null ? "unknown" : remoteAddress.toString();
  }
}
