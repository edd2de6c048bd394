package io.jistiod.pilot.envoy.listener;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilterChainMatchPredicate;
import io.envoyproxy.envoy.extensions.filters.listener.http_inspector.v3.HttpInspector;
import io.envoyproxy.envoy.extensions.filters.listener.original_dst.v3.OriginalDst;
import io.envoyproxy.envoy.extensions.filters.listener.original_src.v3.OriginalSrc;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.type.v3.Int32Range;
import java.util.List;

/**
 * The listener and network filters every Envoy listener is assembled from, with istiod's names and
 * defaults, and the well-known cluster and filter chain names.
 */
final class Filters {
  private Filters() {}

  static final String PASSTHROUGH_CLUSTER = "PassthroughCluster";
  static final String BLACKHOLE_CLUSTER = "BlackHoleCluster";
  static final String INBOUND_PASSTHROUGH_CLUSTER = "InboundPassthroughCluster";
  static final String PASSTHROUGH_FILTER_CHAIN = "PassthroughFilterChain";

  static final String TCP_PROXY = "envoy.filters.network.tcp_proxy";
  static final String HTTP_CONNECTION_MANAGER = "envoy.filters.network.http_connection_manager";

  /** Transport protocols the TLS inspector reports. */
  static final String TLS = "tls";

  static final String RAW_BUFFER = "raw_buffer";

  /** ALPN values the HTTP inspector sets for plaintext HTTP/1.x and HTTP/2. */
  static final List<String> PLAINTEXT_HTTP_ALPNS = List.of("http/1.1", "h2c");

  /** ALPN values Istio's client sidecars offer for HTTP over mutual TLS. */
  static final List<String> MTLS_HTTP_ALPNS =
      List.of("istio-http/1.0", "istio-http/1.1", "istio-h2");

  /** ALPN values Istio's client sidecars offer for TCP over mutual TLS. */
  static final List<String> MTLS_TCP_ALPNS = List.of("istio-peer-exchange", "istio");

  /** Every ALPN value an Istio client sidecar may offer. */
  static final List<String> ALL_ISTIO_MTLS_ALPNS =
      List.of("istio", "istio-peer-exchange", "istio-http/1.0", "istio-http/1.1", "istio-h2");

  static final ListenerFilter ORIGINAL_DST =
      listenerFilter("envoy.filters.listener.original_dst", OriginalDst.getDefaultInstance());

  /**
   * Under TPROXY interception: upstream connections to the application keep the caller's address
   * (marked 1337, the mark Istio's iptables rules route back through the proxy).
   */
  static final ListenerFilter ORIGINAL_SRC =
      listenerFilter(
          "envoy.filters.listener.original_src", OriginalSrc.newBuilder().setMark(1337).build());

  /** istiod reads at most 512 bytes of ClientHello (Envoy's default is larger). */
  static final ListenerFilter TLS_INSPECTOR =
      listenerFilter(
          "envoy.filters.listener.tls_inspector",
          TlsInspector.newBuilder().setInitialReadBufferSize(UInt32Value.of(512)).build());

  static final ListenerFilter HTTP_INSPECTOR =
      listenerFilter("envoy.filters.listener.http_inspector", HttpInspector.getDefaultInstance());

  static ListenerFilter listenerFilter(String name, Message config) {
    return ListenerFilter.newBuilder().setName(name).setTypedConfig(Any.pack(config)).build();
  }

  static Filter network(String name, Message config) {
    return Filter.newBuilder().setName(name).setTypedConfig(Any.pack(config)).build();
  }

  /** A tcp_proxy to one cluster, with the cluster as stat prefix unless one is given. */
  static Filter tcpProxy(String statPrefix, String cluster) {
    return network(
        TCP_PROXY, TcpProxy.newBuilder().setStatPrefix(statPrefix).setCluster(cluster).build());
  }

  static Filter tcpProxy(TcpProxy proxy) {
    return network(TCP_PROXY, proxy);
  }

  /** A chain that sends everything to {@code cluster} through tcp_proxy. */
  static FilterChain tcpChain(String name, FilterChainMatch match, String cluster) {
    FilterChain.Builder b = FilterChain.newBuilder().addFilters(tcpProxy(cluster, cluster));
    if (match != null) {
      b.setFilterChainMatch(match);
    }
    if (name != null) {
      b.setName(name);
    }
    return b.build();
  }

  /** The predicate "destination port is one of {@code ports}" (each a range [p, p+1)). */
  static ListenerFilterChainMatchPredicate destinationPorts(List<Integer> ports) {
    List<ListenerFilterChainMatchPredicate> rules =
        ports.stream()
            .map(
                p ->
                    ListenerFilterChainMatchPredicate.newBuilder()
                        .setDestinationPortRange(
                            Int32Range.newBuilder().setStart(p).setEnd(p + 1).build())
                        .build())
            .toList();
    if (rules.size() == 1) {
      return rules.get(0);
    }
    return ListenerFilterChainMatchPredicate.newBuilder()
        .setOrMatch(ListenerFilterChainMatchPredicate.MatchSet.newBuilder().addAllRules(rules))
        .build();
  }

  /** The predicate "destination port is not one of {@code ports}". */
  static ListenerFilterChainMatchPredicate notDestinationPorts(List<Integer> ports) {
    return ListenerFilterChainMatchPredicate.newBuilder()
        .setNotMatch(destinationPorts(ports))
        .build();
  }
}
