package io.jistiod.pilot.envoy.cluster;

import static io.jistiod.pilot.envoy.cluster.EnvoyMeshes.CART;
import static io.jistiod.pilot.envoy.cluster.EnvoyMeshes.CART_80;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.networking.EndpointGenerator;
import io.jistiod.pilot.testing.FakeIstiod;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** EDS as a sidecar sees it: metadata for auto mTLS and telemetry, subsets, locality settings. */
class SidecarEndpointsTest {
  private FakeIstiod istiod;

  @AfterEach
  void tearDown() {
    if (istiod != null) {
      istiod.close();
    }
  }

  private ClusterLoadAssignment eds(String cluster, Proxy proxy) throws Exception {
    return new EndpointGenerator()
        .generate(proxy, istiod.discovery.current(), Set.of(cluster))
        .get(0)
        .body()
        .unpack(ClusterLoadAssignment.class);
  }

  private ClusterLoadAssignment eds(String cluster) throws Exception {
    return eds(cluster, EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode()));
  }

  private static Map<String, LbEndpoint> byAddress(ClusterLoadAssignment cla) {
    return cla.getEndpointsList().stream()
        .flatMap(l -> l.getLbEndpointsList().stream())
        .collect(
            Collectors.toMap(
                e -> e.getEndpoint().getAddress().getSocketAddress().getAddress(), e -> e));
  }

  @Test
  void sidecarEndpointsAreMarkedForMtlsAndCarryTheirWorkload() throws Exception {
    istiod = EnvoyMeshes.istiod();
    Map<String, LbEndpoint> eps = byAddress(eds(CART_80));
    LbEndpoint v1 = eps.get("10.1.0.1");
    assertThat(v1.getEndpoint().getAddress().getSocketAddress().getPortValue()).isEqualTo(8080);
    assertThat(
            v1.getMetadata()
                .getFilterMetadataOrThrow("envoy.transport_socket_match")
                .getFieldsOrThrow("tlsMode")
                .getStringValue())
        .isEqualTo("istio");
    // inline ServiceEntry endpoints: no workload, the canonical service from the app label
    assertThat(
            v1.getMetadata()
                .getFilterMetadataOrThrow("istio")
                .getFieldsOrThrow("workload")
                .getStringValue())
        .isEqualTo(";;cart;v1;Kubernetes");
    assertThat(v1.getLoadBalancingWeight().getValue()).isEqualTo(1);
    // ServiceEntry endpoints carry no health status (Kubernetes ones are HEALTHY)
    assertThat(v1.getHealthStatus()).isEqualTo(HealthStatus.UNKNOWN);
    // no sidecar: plaintext under auto mTLS
    assertThat(
            eps.get("10.1.0.3")
                .getMetadata()
                .containsFilterMetadata("envoy.transport_socket_match"))
        .isFalse();
  }

  @Test
  void aRuleThatSetsTlsOtherThanIstioMutualUnmarksEndpoints() throws Exception {
    istiod =
        EnvoyMeshes.istiod(
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: cart, namespace: shop}
            spec:
              host: cart
              trafficPolicy: {tls: {mode: DISABLE}}
            """);
    assertThat(byAddress(eds(CART_80)).values())
        .noneMatch(e -> e.getMetadata().containsFilterMetadata("envoy.transport_socket_match"));
  }

  @Test
  void subsetsFilterByLabelsAndUnknownSubsetsAreEmpty() throws Exception {
    istiod =
        EnvoyMeshes.istiod(
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: cart, namespace: shop}
            spec:
              host: cart
              subsets: [{name: v2, labels: {version: v2}}]
            """);
    assertThat(byAddress(eds("outbound|80|v2|" + CART))).containsOnlyKeys("10.1.0.2");
    assertThat(eds("outbound|80|nope|" + CART).getEndpointsCount()).isZero();
  }

  @Test
  void failoverPrioritiesFollowTheProxysLocalityWithOutlierDetection() throws Exception {
    istiod =
        EnvoyMeshes.istiod(
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: cart, namespace: shop}
            spec:
              host: cart
              trafficPolicy:
                loadBalancer: {localityLbSetting: {enabled: true}}
                outlierDetection: {consecutive5xxErrors: 2}
            """);
    Map<String, Integer> priorities =
        eds(CART_80, EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode(), new Locality("us-east", "a", "")))
            .getEndpointsList()
            .stream()
            .collect(
                Collectors.toMap(
                    l -> l.getLocality().getRegion() + "/" + l.getLocality().getZone(),
                    LocalityLbEndpoints::getPriority));
    assertThat(priorities)
        .containsEntry("us-east/a", 0)
        .containsEntry("us-east/b", 1)
        .containsEntry("eu-west/a", 2);
  }

  private io.jistiod.pilot.xds.XdsResource edsResource(String cluster, Proxy proxy) {
    return new EndpointGenerator()
        .generate(proxy, istiod.discovery.current(), Set.of(cluster))
        .get(0);
  }

  @Test
  void proxiesThatReadTheSameRuleAndLocalityShareOneAssignment() throws Exception {
    // a rule for cart that only namespace "other" sees, with locality failover
    istiod =
        EnvoyMeshes.istiod(
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: cart-for-other, namespace: other}
            spec:
              host: cart.shop.svc.cluster.local
              exportTo: ["."]
              trafficPolicy:
                loadBalancer: {localityLbSetting: {enabled: true}}
                outlierDetection: {consecutive5xxErrors: 2}
            """);
    Locality east = new Locality("us-east", "a", "");
    var client = EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode(), east);
    var web =
        EnvoyMeshes.proxy(
            EnvoyMeshes.node("sidecar~10.1.0.10~web-1.shop~shop.svc.cluster.local", "shop", "web"),
            east);
    var inOther =
        EnvoyMeshes.proxy(
            EnvoyMeshes.node(
                "sidecar~10.1.0.11~x-1.other~other.svc.cluster.local", "other", "client"),
            east);
    var inOtherElsewhere =
        EnvoyMeshes.proxy(
            EnvoyMeshes.node(
                "sidecar~10.1.0.12~y-1.other~other.svc.cluster.local", "other", "client"),
            new Locality("eu-west", "a", ""));
    var a = edsResource(CART_80, client);
    assertThat(edsResource(CART_80, web)).isSameAs(a); // other labels, no rule: built once
    var c = edsResource(CART_80, inOther);
    assertThat(c).isNotSameAs(a); // its namespace's rule applies: priorities by locality
    assertThat(c.body().unpack(ClusterLoadAssignment.class).getEndpointsList())
        .extracting(LocalityLbEndpoints::getPriority)
        .contains(1, 2);
    var d = edsResource(CART_80, inOtherElsewhere);
    assertThat(d).isNotSameAs(c); // same rule, another locality: other priorities
    assertThat(
            d.body().unpack(ClusterLoadAssignment.class).getEndpointsList().stream()
                .filter(l -> l.getLocality().getRegion().equals("eu-west"))
                .map(LocalityLbEndpoints::getPriority))
        .containsExactly(0);
  }

  @Test
  void failoverPriorityLabelsKeepAssignmentsApartPerProxyLabels() throws Exception {
    istiod =
        EnvoyMeshes.istiod(
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: cart, namespace: shop}
            spec:
              host: cart
              trafficPolicy:
                loadBalancer: {localityLbSetting: {enabled: true, failoverPriority: [version]}}
                outlierDetection: {consecutive5xxErrors: 2}
            """);
    var v1 =
        EnvoyMeshes.proxy(versioned("sidecar~10.1.0.10~a-1.shop~shop.svc.cluster.local", "v1"));
    var v2 =
        EnvoyMeshes.proxy(versioned("sidecar~10.1.0.11~b-1.shop~shop.svc.cluster.local", "v2"));
    assertThat(firstPriority(eds(CART_80, v1))).containsExactly("10.1.0.1");
    assertThat(firstPriority(eds(CART_80, v2))).containsExactly("10.1.0.2");
  }

  private static io.envoyproxy.envoy.config.core.v3.Node versioned(String id, String version) {
    var node = EnvoyMeshes.node(id, EnvoyMeshes.NS, "client").toBuilder();
    var labels = node.getMetadata().getFieldsOrThrow("LABELS").getStructValue().toBuilder();
    labels.putFields(
        "version", com.google.protobuf.Value.newBuilder().setStringValue(version).build());
    node.getMetadataBuilder()
        .putFields("LABELS", com.google.protobuf.Value.newBuilder().setStructValue(labels).build());
    return node.build();
  }

  /** The addresses of the endpoints at priority 0. */
  private static List<String> firstPriority(ClusterLoadAssignment cla) {
    return cla.getEndpointsList().stream()
        .filter(l -> l.getPriority() == 0)
        .flatMap(l -> l.getLbEndpointsList().stream())
        .map(e -> e.getEndpoint().getAddress().getSocketAddress().getAddress())
        .toList();
  }

  @Test
  void distributeSetsLocalityWeightsAndEmptiesOtherLocalities() throws Exception {
    istiod =
        EnvoyMeshes.istiod(
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: cart, namespace: shop}
            spec:
              host: cart
              trafficPolicy:
                loadBalancer:
                  localityLbSetting:
                    distribute:
                    - from: us-east/a/*
                      to: {"us-east/a/*": 70, "us-east/b/*": 30}
            """);
    List<LocalityLbEndpoints> groups = eds(CART_80).getEndpointsList();
    Map<String, LocalityLbEndpoints> byZone =
        groups.stream()
            .collect(
                Collectors.toMap(
                    l -> l.getLocality().getZone() + "@" + l.getLocality().getRegion(), l -> l));
    assertThat(byZone.get("a@us-east").getLoadBalancingWeight().getValue()).isEqualTo(70);
    assertThat(byZone.get("b@us-east").getLoadBalancingWeight().getValue()).isEqualTo(30);
    assertThat(byZone.get("a@eu-west").getLbEndpointsCount()).isZero();
  }

  @Test
  void gatewayPassthroughClustersOnlyReachMtlsEndpoints() throws Exception {
    istiod = EnvoyMeshes.istiod();
    ClusterLoadAssignment cla =
        eds("outbound_.80_._." + CART, EnvoyMeshes.proxy(EnvoyMeshes.routerNode()));
    assertThat(cla.getClusterName()).isEqualTo("outbound_.80_._." + CART);
    assertThat(byAddress(cla)).containsOnlyKeys("10.1.0.1", "10.1.0.2");
  }
}
