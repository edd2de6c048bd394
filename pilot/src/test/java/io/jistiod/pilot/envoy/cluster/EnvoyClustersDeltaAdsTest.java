package io.jistiod.pilot.envoy.cluster;

import static io.jistiod.pilot.envoy.cluster.EnvoyMeshes.CART_80;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.jistiod.pilot.testing.FakeIstiod;
import io.jistiod.pilot.xds.TypeUrls;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A sidecar speaking delta ADS (pilot-agent's default) gets its clusters, then their endpoints. */
class EnvoyClustersDeltaAdsTest {
  private FakeIstiod istiod;

  @AfterEach
  void tearDown() {
    if (istiod != null) {
      istiod.close();
    }
  }

  @Test
  void sidecarGetsClustersThenEndpointsOverDeltaAds() throws Exception {
    istiod = EnvoyMeshes.istiod();
    FakeIstiod.DeltaClient client = istiod.connectDelta(EnvoyMeshes.sidecarNode());
    client.subscribe(TypeUrls.CLUSTER);
    DeltaDiscoveryResponse cds = client.next();
    Map<String, Resource> clusters =
        cds.getResourcesList().stream().collect(Collectors.toMap(Resource::getName, r -> r));
    assertThat(clusters)
        .containsKeys(
            CART_80,
            "inbound|8080||",
            "BlackHoleCluster",
            "PassthroughCluster",
            "InboundPassthroughCluster");
    Cluster cart = clusters.get(CART_80).getResource().unpack(Cluster.class);
    assertThat(cart.getEdsClusterConfig().getServiceName()).isEqualTo(CART_80);
    client.ack(cds);

    client.subscribe(TypeUrls.ENDPOINT, CART_80);
    DeltaDiscoveryResponse eds = client.next();
    assertThat(eds.getResourcesList()).extracting(Resource::getName).containsExactly(CART_80);
    ClusterLoadAssignment cla =
        eds.getResources(0).getResource().unpack(ClusterLoadAssignment.class);
    assertThat(cla.getEndpointsList().stream().mapToInt(l -> l.getLbEndpointsCount()).sum())
        .isEqualTo(3);

    // a DestinationRule subset adds a cluster, and only that one is sent
    client.ack(eds);
    istiod.apply(
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: cart, namespace: shop}
        spec:
          host: cart
          subsets: [{name: v1, labels: {version: v1}}]
        """);
    istiod.push();
    DeltaDiscoveryResponse changed = client.next();
    assertThat(changed.getTypeUrl()).isEqualTo(TypeUrls.CLUSTER);
    assertThat(changed.getResourcesList())
        .extracting(Resource::getName)
        .contains("outbound|80|v1|cart.shop.svc.cluster.local");
  }
}
