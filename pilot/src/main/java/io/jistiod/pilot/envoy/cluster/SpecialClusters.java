package io.jistiod.pilot.envoy.cluster;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.BindConfig;
import io.envoyproxy.envoy.config.core.v3.ExtraSourceAddress;
import io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.pilot.model.Proxy;

/**
 * The clusters every sidecar has besides its services': {@code BlackHoleCluster} (routes to
 * nowhere), {@code PassthroughCluster} (unknown outbound destinations, under ALLOW_ANY) and {@code
 * InboundPassthroughCluster} (inbound traffic to ports no service declares).
 */
final class SpecialClusters {
  private SpecialClusters() {}

  static final String BLACK_HOLE = "BlackHoleCluster";
  static final String PASSTHROUGH = "PassthroughCluster";
  static final String INBOUND_PASSTHROUGH = "InboundPassthroughCluster";

  /** A STATIC cluster without endpoints: every connection fails at once. */
  static Cluster blackHole(MeshConfig mesh) {
    return Cluster.newBuilder()
        .setName(BLACK_HOLE)
        .setType(Cluster.DiscoveryType.STATIC)
        .setConnectTimeout(mesh.getConnectTimeout())
        .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
        .setAltStatName(BLACK_HOLE + ";")
        .build();
  }

  /** To the original destination, speaking whatever protocol the downstream spoke. */
  static Cluster passthrough(MeshConfig mesh) {
    return passthroughDraft(mesh)
        .addFilters(io.jistiod.pilot.envoy.telemetry.PeerMetadataFilters.TCP_CLUSTER_MX)
        .build();
  }

  /**
   * Inbound to ports without a service: the original destination, from the source address iptables
   * lets through (127.0.0.6, or ::6 on IPv6-only pods).
   */
  static Cluster inboundPassthrough(MeshConfig mesh, Proxy proxy) {
    boolean v4 = proxy.ipAddresses().stream().anyMatch(ip -> ip.indexOf(':') < 0);
    boolean v6 = proxy.ipAddresses().stream().anyMatch(ip -> ip.indexOf(':') >= 0);
    BindConfig.Builder bind =
        BindConfig.newBuilder()
            .setSourceAddress(
                InboundClusterBuilder.socket(
                    v4 || !v6 ? InboundClusterBuilder.PASSTHROUGH_BIND : "::6", 0));
    if (v4 && v6) {
      bind.addExtraSourceAddresses(
          ExtraSourceAddress.newBuilder().setAddress(InboundClusterBuilder.socket("::6", 0)));
    }
    return passthroughDraft(mesh).setName(INBOUND_PASSTHROUGH).setUpstreamBindConfig(bind).build();
  }

  private static Cluster.Builder passthroughDraft(MeshConfig mesh) {
    HttpProtocolOptions options =
        HttpProtocolOptions.newBuilder()
            .setCommonHttpProtocolOptions(
                io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions.newBuilder()
                    .setIdleTimeout(Duration.newBuilder().setSeconds(300)))
            .setUseDownstreamProtocolConfig(
                HttpProtocolOptions.UseDownstreamHttpConfig.newBuilder()
                    .setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance())
                    .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
            .build();
    Cluster.Builder c =
        Cluster.newBuilder()
            .setName(PASSTHROUGH)
            .setType(Cluster.DiscoveryType.ORIGINAL_DST)
            .setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED)
            .putTypedExtensionProtocolOptions(ClusterDraft.HTTP_OPTIONS, Any.pack(options))
            .setAltStatName(PASSTHROUGH + ";");
    ClusterPolicies.applyConnectionPool(mesh, new ClusterDraft(c), null, null);
    return c;
  }
}
