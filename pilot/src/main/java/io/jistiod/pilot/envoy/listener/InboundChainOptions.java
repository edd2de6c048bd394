package io.jistiod.pilot.envoy.listener;

import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.jistiod.pilot.model.Protocol;
import io.jistiod.pilot.security.MtlsMode;
import java.util.List;

/**
 * istiod's table of inbound filter chain matches: for a port's protocol (HTTP, TCP, or unknown: the
 * passthrough chains and sniffed ports) and its PeerAuthentication mode, which chains the port
 * gets, what each matches (transport protocol, ALPN) and whether it terminates Istio mTLS.
 *
 * <p>STRICT has no plaintext chain at all, so plaintext to that port matches nothing and is
 * refused; DISABLE has no TLS-terminating chain.
 */
final class InboundChainOptions {
  private InboundChainOptions() {}

  /** One way a chain matches and what it runs; {@code tls} null = no termination. */
  record Option(String transport, List<String> alpns, boolean http, DownstreamTlsContext tls) {}

  /**
   * @param sniffed the protocol is not known (passthrough, or a port of unknown protocol)
   * @param httpTls the Istio mTLS context for HTTP chains, {@code tcpTls} for TCP chains
   */
  static List<Option> of(
      Protocol protocol,
      boolean sniffed,
      MtlsMode mode,
      DownstreamTlsContext httpTls,
      DownstreamTlsContext tcpTls) {
    if (sniffed || protocol == Protocol.UNSUPPORTED) {
      return switch (mode) {
        case STRICT ->
            List.of(
                new Option(Filters.TLS, Filters.MTLS_HTTP_ALPNS, true, httpTls),
                new Option(Filters.TLS, List.of(), false, tcpTls));
        case PERMISSIVE ->
            List.of(
                new Option(Filters.TLS, Filters.MTLS_HTTP_ALPNS, true, httpTls),
                new Option(Filters.RAW_BUFFER, Filters.PLAINTEXT_HTTP_ALPNS, true, null),
                new Option(Filters.TLS, Filters.MTLS_TCP_ALPNS, false, tcpTls),
                new Option(Filters.RAW_BUFFER, List.of(), false, null),
                new Option(Filters.TLS, List.of(), false, null));
        case DISABLE ->
            List.of(
                new Option(Filters.RAW_BUFFER, Filters.PLAINTEXT_HTTP_ALPNS, true, null),
                new Option(Filters.RAW_BUFFER, List.of(), false, null));
      };
    }
    if (protocol.isHttp()) {
      return switch (mode) {
        case STRICT -> List.of(new Option(Filters.TLS, List.of(), true, httpTls));
        case PERMISSIVE ->
            List.of(
                new Option(Filters.TLS, Filters.ALL_ISTIO_MTLS_ALPNS, true, httpTls),
                new Option(Filters.RAW_BUFFER, List.of(), true, null));
        case DISABLE -> List.of(new Option(Filters.RAW_BUFFER, List.of(), true, null));
      };
    }
    return switch (mode) {
      case STRICT -> List.of(new Option(Filters.TLS, List.of(), false, tcpTls));
      case PERMISSIVE ->
          List.of(
              new Option(Filters.TLS, Filters.ALL_ISTIO_MTLS_ALPNS, false, tcpTls),
              new Option(Filters.TLS, List.of(), false, null),
              new Option(Filters.RAW_BUFFER, List.of(), false, null));
      case DISABLE -> List.of(new Option(Filters.RAW_BUFFER, List.of(), false, null));
    };
  }
}
