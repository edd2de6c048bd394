package io.jistiod.pilot.envoy.route;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.jistiod.pilot.testing.FakeIstiod;
import io.jistiod.pilot.xds.TypeUrls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A sidecar over delta ADS (pilot-agent's default) gets the route configurations it names. */
class EnvoyRouteDeltaAdsTest {
  private FakeIstiod istiod;

  @AfterEach
  void tearDown() {
    if (istiod != null) {
      istiod.close();
    }
  }

  private static Node sidecarNode() {
    return Node.newBuilder()
        .setId("sidecar~10.9.0.1~client-1.shop~shop.svc.cluster.local")
        .setMetadata(
            Struct.newBuilder()
                .putFields("NAMESPACE", Value.newBuilder().setStringValue("shop").build()))
        .build();
  }

  @Test
  void aSidecarGetsTheRouteConfigurationsItSubscribesTo() throws Exception {
    istiod =
        new FakeIstiod(
            RouteFixture.service("reviews", 9080, "http", "10.96.0.10")
                + """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews, namespace: shop}
                spec:
                  hosts: [reviews]
                  http: [{route: [{destination: {host: reviews, subset: v1}}]}]
                """);
    FakeIstiod.DeltaClient client = istiod.connectDelta(sidecarNode());
    client.subscribe(TypeUrls.ROUTE, "9080", "8080");
    DeltaDiscoveryResponse r = client.next();
    assertThat(r.getTypeUrl()).isEqualTo(TypeUrls.ROUTE);
    assertThat(r.getResourcesList())
        .extracting(Resource::getName)
        .containsExactlyInAnyOrder("9080", "8080");
    Resource port9080 =
        r.getResourcesList().stream()
            .filter(x -> x.getName().equals("9080"))
            .findFirst()
            .orElseThrow();
    RouteConfiguration rc = port9080.getResource().unpack(RouteConfiguration.class);
    assertThat(rc.getVirtualHostsList())
        .extracting(VirtualHost::getName)
        .containsExactly("reviews.shop.svc.cluster.local:9080", "allow_any");
    assertThat(rc.getVirtualHosts(0).getRoutes(0).getRoute().getCluster())
        .isEqualTo("outbound|9080|v1|reviews.shop.svc.cluster.local");
    client.ack(r);
    client.expectNothing(200);
  }
}
