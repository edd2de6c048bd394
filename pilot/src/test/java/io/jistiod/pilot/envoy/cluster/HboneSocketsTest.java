package io.jistiod.pilot.envoy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport;
import io.jistiod.galley.api.networking.v1alpha3.ClientTLSSettings;
import io.jistiod.pilot.networking.EnvoyEndpoints;
import org.junit.jupiter.api.Test;

/** An HBONE-sending proxy's transport socket matches, as istiod 1.27 writes them. */
class HboneSocketsTest {
  private static final TransportSocket TLS =
      TransportSocket.newBuilder().setName(UpstreamTls.TLS_SOCKET).build();

  private static Cluster apply(
      Cluster.DiscoveryType type, ClientTLSSettings.TLSmode mode, TransportSocket s, boolean auto) {
    Cluster.Builder c = Cluster.newBuilder().setName("outbound|80||a").setType(type);
    if (s != null) {
      c.setTransportSocket(s);
    }
    HboneSockets.apply(
        c, mode == null ? null : ClientTLSSettings.newBuilder().setMode(mode).build(), s, auto);
    return c.build();
  }

  @Test
  void hboneComesFirstThenWhatTheClusterWouldHaveHad() throws Exception {
    Cluster none = apply(Cluster.DiscoveryType.EDS, null, null, false);
    assertThat(none.getTransportSocketMatchesList())
        .extracting(Cluster.TransportSocketMatch::getName)
        .containsExactly("hbone", "tlsMode-disabled");
    Cluster.TransportSocketMatch hbone = none.getTransportSocketMatches(0);
    assertThat(hbone.getMatch().getFieldsOrThrow("tunnel").getStringValue()).isEqualTo("http");
    InternalUpstreamTransport internal =
        hbone.getTransportSocket().getTypedConfig().unpack(InternalUpstreamTransport.class);
    assertThat(internal.getPassthroughMetadataList())
        .extracting(m -> m.getName() + "/" + m.getKind().getKindCase())
        .containsExactly("envoy.filters.listener.original_dst/HOST", "istio/CLUSTER", "istio/HOST");
    assertThat(internal.getTransportSocket().getName())
        .isEqualTo("envoy.transport_sockets.raw_buffer");

    assertThat(
            apply(Cluster.DiscoveryType.EDS, ClientTLSSettings.TLSmode.ISTIO_MUTUAL, TLS, true)
                .getTransportSocketMatchesList())
        .extracting(Cluster.TransportSocketMatch::getName)
        .containsExactly("hbone", "tlsMode-istio", "tlsMode-disabled");
    // ISTIO_MUTUAL set by hand: mTLS for everything HBONE does not carry, unmatched
    Cluster mutual =
        apply(Cluster.DiscoveryType.EDS, ClientTLSSettings.TLSmode.ISTIO_MUTUAL, TLS, false);
    assertThat(mutual.getTransportSocketMatchesList())
        .extracting(Cluster.TransportSocketMatch::getName)
        .containsExactly("hbone", "tlsMode-istio");
    assertThat(mutual.getTransportSocketMatches(1).hasMatch()).isFalse();
    assertThat(mutual.hasTransportSocket()).isFalse();
    // the user's TLS goes inside the tunnel too
    Cluster simple = apply(Cluster.DiscoveryType.EDS, ClientTLSSettings.TLSmode.SIMPLE, TLS, false);
    assertThat(simple.getTransportSocketMatchesList())
        .extracting(Cluster.TransportSocketMatch::getName)
        .containsExactly("hbone", "user");
    assertThat(
            simple
                .getTransportSocketMatches(0)
                .getTransportSocket()
                .getTypedConfig()
                .unpack(InternalUpstreamTransport.class)
                .getTransportSocket())
        .isEqualTo(TLS);
    // DISABLE: HBONE or plaintext
    assertThat(
            apply(Cluster.DiscoveryType.EDS, ClientTLSSettings.TLSmode.DISABLE, null, false)
                .getTransportSocketMatchesList())
        .extracting(Cluster.TransportSocketMatch::getName)
        .containsExactly("hbone", "tlsMode-disabled");
    // passthrough keeps its socket
    Cluster passthrough =
        apply(
            Cluster.DiscoveryType.ORIGINAL_DST, ClientTLSSettings.TLSmode.ISTIO_MUTUAL, TLS, true);
    assertThat(passthrough.getTransportSocketMatchesCount()).isZero();
    assertThat(passthrough.getTransportSocket()).isEqualTo(TLS);
  }

  @Test
  void aTunneledEndpointIsTheInternalListenerNamedByItsDestination() {
    LbEndpoint plain = LbEndpoint.getDefaultInstance();
    LbEndpoint direct = EnvoyEndpoints.tunneled(plain, "fd00::7", 9080, null);
    assertThat(direct.getEndpoint().getAddress().getEnvoyInternalAddress().getServerListenerName())
        .isEqualTo("connect_originate");
    assertThat(direct.getEndpoint().getAddress().getEnvoyInternalAddress().getEndpointId())
        .isEqualTo("[fd00::7]:9080");
    var md = direct.getMetadata().getFilterMetadataMap();
    assertThat(md.get("envoy.filters.listener.original_dst").getFieldsMap())
        .containsOnlyKeys("local");
    assertThat(md.get("envoy.transport_socket_match").getFieldsOrThrow("tunnel").getStringValue())
        .isEqualTo("http");

    LbEndpoint viaWaypoint = EnvoyEndpoints.tunneled(plain, "10.96.0.10", 9080, "10.1.0.9:15008");
    assertThat(viaWaypoint.getEndpoint().getAddress().getEnvoyInternalAddress().getEndpointId())
        .isEqualTo("10.1.0.9:15008");
    var dst =
        viaWaypoint.getMetadata().getFilterMetadataMap().get("envoy.filters.listener.original_dst");
    assertThat(dst.getFieldsOrThrow("local").getStringValue()).isEqualTo("10.96.0.10:9080");
    assertThat(dst.getFieldsOrThrow("waypoint").getStringValue()).isEqualTo("10.1.0.9:15008");
  }
}
