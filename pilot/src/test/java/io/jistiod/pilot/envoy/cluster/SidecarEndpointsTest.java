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
