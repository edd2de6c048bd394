package io.jistiod.pilot.envoy.cluster;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.metadata.v3.MetadataKey;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.pilot.envoy.waypoint.HboneTls;

/**
 * The {@code connect_originate} cluster, of a sidecar or gateway that sends HBONE and of a
 * waypoint: the endpoint the {@code connect_originate} internal listener tunnels to. Its upstream
 * is the original destination (the endpoint's {@code local} address), on port 15008, or the
 * waypoint the endpoint's metadata names; HTTP/2 CONNECT over TLS 1.3 with the workload
 * certificate, accepting any identity of the mesh's trust domains.
 */
public final class ConnectOriginate {
  private ConnectOriginate() {}

  public static final String NAME = "connect_originate";

  /** Where ztunnel and waypoints take HBONE. */
  static final int HBONE_PORT = 15008;

  /**
   * @param extraSans further URI SAN matchers a peer may satisfy instead of the trust domains' (a
   *     waypoint adds its own namespace's identities, as istiod does)
   */
  public static Cluster cluster(MeshConfig mesh, StringMatcher... extraSans) {
    HttpProtocolOptions h2Connect =
        HttpProtocolOptions.newBuilder()
            .setExplicitHttpConfig(
                HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                    .setHttp2ProtocolOptions(
                        Http2ProtocolOptions.newBuilder().setAllowConnect(true)))
            .build();
    return Cluster.newBuilder()
        .setName(NAME)
        .setType(Cluster.DiscoveryType.ORIGINAL_DST)
        .setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED)
        .setConnectTimeout(mesh.getConnectTimeout())
        .setCleanupInterval(Duration.newBuilder().setSeconds(60))
        .setCircuitBreakers(
            CircuitBreakers.newBuilder().addThresholds(ClusterPolicies.defaultThresholds()))
        .putTypedExtensionProtocolOptions(ClusterDraft.HTTP_OPTIONS, Any.pack(h2Connect))
        .setOriginalDstLbConfig(
            Cluster.OriginalDstLbConfig.newBuilder()
                .setUpstreamPortOverride(UInt32Value.of(HBONE_PORT))
                // a waypoint in the endpoint's metadata overrides the destination pod
                .setMetadataKey(
                    MetadataKey.newBuilder()
                        .setKey("envoy.filters.listener.original_dst")
                        .addPath(MetadataKey.PathSegment.newBuilder().setKey("waypoint"))))
        .setTransportSocket(
            TransportSocket.newBuilder()
                .setName("tls")
                .setTypedConfig(
                    Any.pack(
                        UpstreamTlsContext.newBuilder()
                            .setCommonTlsContext(HboneTls.common(mesh, extraSans))
                            .build())))
        .setAltStatName(NAME + ";")
        .build();
  }
}
