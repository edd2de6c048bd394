package io.jistiod.pilot.envoy.telemetry;

import com.github.udpa.udpa.type.v1.TypedStruct;
import com.google.protobuf.Any;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Filter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.jistiod.galley.api.envoy.alpn.v2alpha1.FilterConfig;
import io.jistiod.galley.api.envoy.alpn.v2alpha1.FilterConfig.AlpnOverride;
import io.jistiod.galley.api.envoy.alpn.v2alpha1.FilterConfig.Protocol;
import java.util.List;

/**
 * The constant filters of Istio's Envoy build (istio/proxy) that istiod 1.27 places for telemetry:
 * metadata exchange (each side learns the peer workload's name, namespace, labels... that label the
 * istio_* metrics) and ALPN override (an mTLS upstream connection says which HTTP version it
 * carries, so the peer's inbound chains can tell HTTP from TCP). Upstream Envoy does not know them;
 * Istio's proxyv2 image does. The metadata exchange configs are TypedStructs, as istiod sends them
 * (their protos are istio/proxy's, not istio.io/api's), of the udpa.type.v1 flavour istiod uses.
 */
public final class PeerMetadataFilters {
  private PeerMetadataFilters() {}

  /** The name istiod gives the metadata exchange filters, network and HTTP. */
  public static final String MX = "istio.metadata_exchange";

  /** The name of the ALPN override filter. */
  public static final String ALPN = "istio.alpn";

  /** The TCP metadata exchange config's type (istio/proxy's network filter). */
  static final String MX_TYPE =
      "type.googleapis.com/envoy.tcp.metadataexchange.config.MetadataExchange";

  /** The HTTP peer metadata filter's config type. */
  static final String PEER_METADATA_TYPE = "type.googleapis.com/io.istio.http.peer_metadata.Config";

  private static final Struct TCP_MX =
      struct(
              "protocol",
              str("istio-peer-exchange"),
              "enable_discovery",
              Value.newBuilder().setBoolValue(true).build())
          .getStructValue();

  /** First network filter of a sidecar's inbound chains (and ISTIO_MUTUAL gateway TCP routes). */
  public static final io.envoyproxy.envoy.config.listener.v3.Filter TCP_LISTENER_MX =
      io.envoyproxy.envoy.config.listener.v3.Filter.newBuilder()
          .setName(MX)
          .setTypedConfig(typedStruct(MX_TYPE, TCP_MX))
          .build();

  /** Upstream network filter of outbound and passthrough clusters. */
  public static final Filter TCP_CLUSTER_MX =
      Filter.newBuilder().setName(MX).setTypedConfig(typedStruct(MX_TYPE, TCP_MX)).build();

  /** Inbound HCMs: discover the downstream peer from Istio's headers or the workload index. */
  public static final HttpFilter SIDECAR_INBOUND =
      httpMx(
          struct(
              "downstream_discovery",
              list(struct("istio_headers", empty()), struct("workload_discovery", empty())),
              "downstream_propagation",
              list(struct("istio_headers", empty()))));

  /** Outbound and gateway HCMs: discover the upstream peer, announce ourselves to it. */
  public static final HttpFilter SIDECAR_OUTBOUND = outbound(empty());

  /**
   * Outbound HCMs of proxies whose ProxyConfig asks to skip Istio's MX headers towards external
   * services (the upstream propagation leaves clusters of mesh-external services out).
   */
  public static final HttpFilter SIDECAR_OUTBOUND_SKIP_EXTERNAL =
      outbound(struct("skip_external_clusters", Value.newBuilder().setBoolValue(true).build()));

  /** A waypoint's (or an HBONE sidecar's) connect_terminate HCM: downstream peer by workload. */
  public static final HttpFilter WAYPOINT_DOWNSTREAM =
      HttpFilter.newBuilder()
          .setName("waypoint_downstream_peer_metadata")
          .setTypedConfig(
              typedStruct(
                  PEER_METADATA_TYPE,
                  struct(
                      "downstream_discovery",
                      list(struct("workload_discovery", empty())),
                      "shared_with_upstream",
                      Value.newBuilder().setBoolValue(true).build())))
          .build();

  /** A waypoint's main_internal HCMs: upstream peer by workload, before the router. */
  public static final HttpFilter WAYPOINT_UPSTREAM =
      HttpFilter.newBuilder()
          .setName("waypoint_upstream_peer_metadata")
          .setTypedConfig(
              typedStruct(
                  PEER_METADATA_TYPE,
                  struct("upstream_discovery", list(struct("workload_discovery", empty())))))
          .build();

  /**
   * istio.alpn: for each upstream HTTP version, the Istio ALPN first (what Istio's inbound chains
   * match), then plain "istio" for old peers, then the standard value for peers outside the mesh
   * (the HCM does not know yet whether the upstream is in the mesh).
   */
  public static final HttpFilter ALPN_FILTER =
      HttpFilter.newBuilder()
          .setName(ALPN)
          .setTypedConfig(
              Any.pack(
                  FilterConfig.newBuilder()
                      .addAlpnOverride(alpn(Protocol.HTTP10, "istio-http/1.0", "http/1.0"))
                      .addAlpnOverride(alpn(Protocol.HTTP11, "istio-http/1.1", "http/1.1"))
                      .addAlpnOverride(alpn(Protocol.HTTP2, "istio-h2", "h2"))
                      .build()))
          .build();

  private static AlpnOverride alpn(Protocol p, String istio, String standard) {
    return AlpnOverride.newBuilder()
        .setUpstreamProtocol(p)
        .addAllAlpnOverride(List.of(istio, "istio", standard))
        .build();
  }

  private static HttpFilter outbound(Value istioHeadersPropagation) {
    return httpMx(
        struct(
            "upstream_discovery",
            list(struct("istio_headers", empty()), struct("workload_discovery", empty())),
            "upstream_propagation",
            list(struct("istio_headers", istioHeadersPropagation))));
  }

  private static HttpFilter httpMx(Value config) {
    return HttpFilter.newBuilder()
        .setName(MX)
        .setTypedConfig(typedStruct(PEER_METADATA_TYPE, config.getStructValue()))
        .build();
  }

  private static Any typedStruct(String typeUrl, Value value) {
    return typedStruct(typeUrl, value.getStructValue());
  }

  private static Any typedStruct(String typeUrl, Struct value) {
    return Any.pack(TypedStruct.newBuilder().setTypeUrl(typeUrl).setValue(value).build());
  }

  private static Value empty() {
    return Value.newBuilder().setStructValue(Struct.getDefaultInstance()).build();
  }

  private static Value str(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  private static Value list(Value... values) {
    return Value.newBuilder()
        .setListValue(ListValue.newBuilder().addAllValues(List.of(values)))
        .build();
  }

  private static Value struct(String k, Value v) {
    return Value.newBuilder().setStructValue(Struct.newBuilder().putFields(k, v)).build();
  }

  private static Value struct(String k1, Value v1, String k2, Value v2) {
    return Value.newBuilder()
        .setStructValue(Struct.newBuilder().putFields(k1, v1).putFields(k2, v2))
        .build();
  }
}
