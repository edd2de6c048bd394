package io.jistiod.pilot.envoy.cluster;

import com.google.protobuf.Any;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport;
import io.envoyproxy.envoy.type.metadata.v3.MetadataKind;
import io.jistiod.galley.api.networking.v1alpha3.ClientTLSSettings;

/**
 * The transport socket matches of an outbound cluster of a proxy that sends HBONE (ambient mode):
 * endpoints EDS marks {@code tunnel: http} go through the {@code hbone} socket, an internal
 * upstream that hands the connection (and the metadata the tunnel needs) to the {@code
 * connect_originate} listener; the others get what the cluster would have had otherwise.
 */
final class HboneSockets {
  private HboneSockets() {}

  /**
   * Replaces the cluster's socket by matches, as istiod does for every outbound cluster once HBONE
   * may be sent.
   *
   * @param tls the cluster's TLS settings after auto mTLS (null: none)
   * @param socket the TLS socket built from them, or null
   * @param autoDetected whether {@code tls} is auto mTLS (the rule set none)
   */
  static void apply(
      Cluster.Builder c, ClientTLSSettings tls, TransportSocket socket, boolean autoDetected) {
    c.clearTransportSocket();
    if (tls == null) {
      hboneOrPlaintext(c);
      return;
    }
    if (c.getType() == Cluster.DiscoveryType.ORIGINAL_DST) {
      // passthrough keeps its socket: there is no endpoint metadata to match on
      if (socket != null) {
        c.setTransportSocket(socket);
      }
      return;
    }
    if (socket == null) {
      hboneOrPlaintext(c);
    } else if (autoDetected) {
      c.addTransportSocketMatches(hbone(UpstreamTls.rawBuffer()));
      c.addTransportSocketMatches(
          Cluster.TransportSocketMatch.newBuilder()
              .setName("tlsMode-istio")
              .setMatch(Struct.newBuilder().putFields("tlsMode", string("istio")))
              .setTransportSocket(socket));
      c.addTransportSocketMatches(plaintext());
    } else if (tls.getMode() == ClientTLSSettings.TLSmode.ISTIO_MUTUAL) {
      // HBONE replaces Istio mTLS where the endpoint takes it; the rest get mTLS
      c.addTransportSocketMatches(hbone(UpstreamTls.rawBuffer()));
      c.addTransportSocketMatches(
          Cluster.TransportSocketMatch.newBuilder()
              .setName("tlsMode-istio")
              .setTransportSocket(socket));
    } else {
      // the user's own TLS reaches the backend either way: inside the tunnel or not
      c.addTransportSocketMatches(hbone(socket));
      c.addTransportSocketMatches(
          Cluster.TransportSocketMatch.newBuilder().setName("user").setTransportSocket(socket));
    }
  }

  private static void hboneOrPlaintext(Cluster.Builder c) {
    c.addTransportSocketMatches(hbone(UpstreamTls.rawBuffer()));
    c.addTransportSocketMatches(plaintext());
  }

  private static Cluster.TransportSocketMatch plaintext() {
    return Cluster.TransportSocketMatch.newBuilder()
        .setName("tlsMode-disabled")
        .setMatch(Struct.getDefaultInstance())
        .setTransportSocket(UpstreamTls.rawBuffer())
        .build();
  }

  /**
   * The {@code hbone} match: an internal upstream around {@code inner} that passes the endpoint's
   * original destination and Istio metadata and the cluster's Istio metadata to the internal
   * listener.
   */
  static Cluster.TransportSocketMatch hbone(TransportSocket inner) {
    InternalUpstreamTransport internal =
        InternalUpstreamTransport.newBuilder()
            .addPassthroughMetadata(
                metadata(
                    MetadataKind.newBuilder().setHost(MetadataKind.Host.getDefaultInstance()),
                    "envoy.filters.listener.original_dst"))
            .addPassthroughMetadata(
                metadata(
                    MetadataKind.newBuilder().setCluster(MetadataKind.Cluster.getDefaultInstance()),
                    "istio"))
            .addPassthroughMetadata(
                metadata(
                    MetadataKind.newBuilder().setHost(MetadataKind.Host.getDefaultInstance()),
                    "istio"))
            .setTransportSocket(inner)
            .build();
    return Cluster.TransportSocketMatch.newBuilder()
        .setName("hbone")
        .setMatch(Struct.newBuilder().putFields("tunnel", string("http")))
        .setTransportSocket(
            TransportSocket.newBuilder()
                .setName("envoy.transport_sockets.internal_upstream")
                .setTypedConfig(Any.pack(internal)))
        .build();
  }

  private static InternalUpstreamTransport.MetadataValueSource metadata(
      MetadataKind.Builder kind, String name) {
    return InternalUpstreamTransport.MetadataValueSource.newBuilder()
        .setKind(kind)
        .setName(name)
        .build();
  }

  private static Value string(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }
}
