package io.jistiod.pilot.envoy.listener;

import static io.jistiod.pilot.envoy.listener.ListenerFixture.service;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.jistiod.galley.config.ConfigKey;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.pilot.testing.FakeIstiod;
import io.jistiod.pilot.xds.TypeUrls;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A PeerAuthentication applied or removed reaches a connected sidecar on the next push. */
class PeerAuthenticationPushTest {
  private FakeIstiod istiod;

  @AfterEach
  void tearDown() {
    if (istiod != null) {
      istiod.close();
    }
  }

  private static Listener inbound(DeltaDiscoveryResponse r) throws Exception {
    for (Resource res : r.getResourcesList()) {
      if (res.getName().equals("virtualInbound")) {
        return res.getResource().unpack(Listener.class);
      }
    }
    throw new AssertionError("no virtualInbound in " + r.getResourcesList());
  }

  private static List<String> transports(Listener l, int port) {
    return l.getFilterChainsList().stream()
        .filter(c -> c.getFilterChainMatch().getDestinationPort().getValue() == port)
        .map(FilterChain::getFilterChainMatch)
        .map(m -> m.getTransportProtocol())
        .toList();
  }

  @Test
  void strictAppliesAndItsRemovalRestoresPlaintextWithoutReconnecting() throws Exception {
    istiod = new FakeIstiod(service("web", "10.0.0.1", 80, "http", "10.9.0.1", 8080));
    Node node =
        Node.newBuilder()
            .setId("sidecar~10.9.0.1~web-1.shop~shop.svc.cluster.local")
            .setMetadata(
                Struct.newBuilder()
                    .putFields("NAMESPACE", Value.newBuilder().setStringValue("shop").build()))
            .build();
    FakeIstiod.DeltaClient client = istiod.connectDelta(node);
    client.subscribe(TypeUrls.LISTENER);
    DeltaDiscoveryResponse first = client.next();
    assertThat(transports(inbound(first), 8080)).containsExactly("tls", "raw_buffer");
    client.ack(first);

    istiod.apply(
        """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: default, namespace: shop}
        spec: {mtls: {mode: STRICT}}
        """);
    istiod.push();
    DeltaDiscoveryResponse strict = client.next();
    assertThat(transports(inbound(strict), 8080)).containsExactly("tls");
    client.ack(strict);

    istiod.store.delete(new ConfigKey(IstioKinds.PEER_AUTHENTICATION, "shop", "default"));
    istiod.push();
    DeltaDiscoveryResponse restored = client.next();
    assertThat(transports(inbound(restored), 8080)).containsExactly("tls", "raw_buffer");
  }
}
