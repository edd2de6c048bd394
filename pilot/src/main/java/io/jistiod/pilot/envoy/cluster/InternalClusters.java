package io.jistiod.pilot.envoy.cluster;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.EnvoyInternalAddress;
import io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport;
import io.envoyproxy.envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.UseDownstreamHttpConfig;
import io.jistiod.pilot.envoy.waypoint.WaypointNames;

/**
 * Static clusters whose one endpoint is an internal listener of the same Envoy: how a terminated
 * HBONE stream reaches {@code main_internal} (waypoints, and sidecars that accept HBONE), and how a
 * waypoint's direct chains reach {@code connect_originate} ({@code encap}).
 */
public final class InternalClusters {
  private InternalClusters() {}

  /** {@code main_internal}: from {@code connect_terminate} to the listener of the same name. */
  public static Cluster mainInternal() {
    return to(WaypointNames.MAIN_INTERNAL, WaypointNames.MAIN_INTERNAL);
  }

  /** A cluster {@code name} to the internal listener {@code listener}. */
  static Cluster to(String name, String listener) {
    return Cluster.newBuilder()
        .setName(name)
        .setType(Cluster.DiscoveryType.STATIC)
        .setCircuitBreakers(
            CircuitBreakers.newBuilder().addThresholds(ClusterPolicies.defaultThresholds()))
        .setTransportSocket(
            TransportSocket.newBuilder()
                .setName("internal_upstream")
                .setTypedConfig(
                    Any.pack(
                        InternalUpstreamTransport.newBuilder()
                            .setTransportSocket(
                                TransportSocket.newBuilder()
                                    .setName("raw_buffer")
                                    .setTypedConfig(Any.pack(RawBuffer.getDefaultInstance())))
                            .build())))
        .setAltStatName(name + ";")
        .setLoadAssignment(
            ClusterLoadAssignment.newBuilder()
                .setClusterName(name)
                .addEndpoints(
                    LocalityLbEndpoints.newBuilder()
                        .addLbEndpoints(
                            LbEndpoint.newBuilder()
                                .setEndpoint(
                                    Endpoint.newBuilder()
                                        .setAddress(
                                            Address.newBuilder()
                                                .setEnvoyInternalAddress(
                                                    EnvoyInternalAddress.newBuilder()
                                                        .setServerListenerName(listener)))))))
        // the stream keeps the protocol it arrived with (HTTP/2 from a tunnel, or HTTP/1.1)
        .putTypedExtensionProtocolOptions(
            ClusterDraft.HTTP_OPTIONS,
            Any.pack(
                io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.newBuilder()
                    .setCommonHttpProtocolOptions(
                        HttpProtocolOptions.newBuilder()
                            .setIdleTimeout(Duration.newBuilder().setSeconds(300)))
                    .setUseDownstreamProtocolConfig(
                        UseDownstreamHttpConfig.newBuilder()
                            .setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance())
                            .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
                    .build()))
        .build();
  }
}
