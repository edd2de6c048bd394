package io.jistiod.pilot.envoy.cluster;

import static io.jistiod.pilot.envoy.cluster.EnvoyMeshes.CART;
import static io.jistiod.pilot.envoy.cluster.EnvoyMeshes.CART_80;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.jistiod.pilot.networking.EndpointGenerator;
import io.jistiod.pilot.testing.FakeIstiod;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Auto mTLS honours the destination's PeerAuthentication as istiod does: a namespace (or mesh)
 * DISABLE turns the cluster's mTLS off; a workload or port-level DISABLE unmarks those endpoints in
 * EDS so the plaintext socket match is used; a DestinationRule's {@code tls} always wins.
 */
class AutoMtlsPeerAuthenticationTest {
  private static final String CART_9090 = "outbound|9090||" + CART;
  private FakeIstiod istiod;

  @AfterEach
  void tearDown() {
    if (istiod != null) {
      istiod.close();
    }
  }

  private static String pa(String namespace, String name, String spec) {
    return """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: %s, namespace: %s}
        spec: %s
        """
        .formatted(name, namespace, spec);
  }

  private Cluster cluster(String name) throws Exception {
    return EnvoyMeshes.clusters(istiod, EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode())).get(name);
  }

  /** The addresses EDS marks for mTLS in {@code cluster}, sorted. */
  private List<String> mtlsEndpoints(String cluster) throws Exception {
    ClusterLoadAssignment cla =
        new EndpointGenerator()
            .generate(
                EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode()),
                istiod.discovery.current(),
                Set.of(cluster))
            .get(0)
            .body()
            .unpack(ClusterLoadAssignment.class);
    return cla.getEndpointsList().stream()
        .flatMap(l -> l.getLbEndpointsList().stream())
        .filter(e -> e.getMetadata().containsFilterMetadata("envoy.transport_socket_match"))
        .map(e -> e.getEndpoint().getAddress().getSocketAddress().getAddress())
        .sorted()
        .toList();
  }

  @Test
  void withoutPoliciesSidecarEndpointsGetMtls() throws Exception {
    istiod = EnvoyMeshes.istiod();
    assertThat(cluster(CART_80).getTransportSocketMatchesCount()).isEqualTo(2);
    assertThat(mtlsEndpoints(CART_80)).containsExactly("10.1.0.1", "10.1.0.2");
  }

  @Test
  void namespaceDisableTurnsTheClusterPlaintext() throws Exception {
    istiod = EnvoyMeshes.istiod(pa("shop", "default", "{mtls: {mode: DISABLE}}"));
    Cluster c = cluster(CART_80);
    assertThat(c.hasTransportSocket()).isFalse();
    assertThat(c.getTransportSocketMatchesCount()).isZero();
    assertThat(mtlsEndpoints(CART_80)).isEmpty();
  }

  @Test
  void meshDisableWithANamespaceStrictKeepsMtls() throws Exception {
    istiod =
        EnvoyMeshes.istiod(
            pa("istio-system", "default", "{mtls: {mode: DISABLE}}"),
            pa("shop", "default", "{mtls: {mode: STRICT}}"));
    assertThat(cluster(CART_80).getTransportSocketMatchesCount()).isEqualTo(2);
    assertThat(mtlsEndpoints(CART_80)).containsExactly("10.1.0.1", "10.1.0.2");
  }

  @Test
  void meshDisableTurnsEveryClusterPlaintext() throws Exception {
    istiod = EnvoyMeshes.istiod(pa("istio-system", "default", "{mtls: {mode: DISABLE}}"));
    assertThat(cluster(CART_80).getTransportSocketMatchesCount()).isZero();
    assertThat(mtlsEndpoints(CART_80)).isEmpty();
  }

  @Test
  void workloadDisableUnmarksOnlyItsEndpoints() throws Exception {
    istiod =
        EnvoyMeshes.istiod(
            pa("shop", "v1", "{selector: {matchLabels: {version: v1}}, mtls: {mode: DISABLE}}"));
    // the service as a whole still gets auto mTLS: istiod infers it from namespace policies only
    assertThat(cluster(CART_80).getTransportSocketMatchesCount()).isEqualTo(2);
    assertThat(mtlsEndpoints(CART_80)).containsExactly("10.1.0.2");
    assertThat(mtlsEndpoints(CART_9090)).containsExactly("10.1.0.2");
  }

  @Test
  void portLevelDisableUnmarksEndpointsOnThatTargetPortOnly() throws Exception {
    istiod =
        EnvoyMeshes.istiod(
            pa(
                "shop",
                "v1",
                "{selector: {matchLabels: {version: v1}}, portLevelMtls: {8080: {mode: DISABLE}}}"));
    // port 80's target port is 8080; port 9090 targets 9090
    assertThat(mtlsEndpoints(CART_80)).containsExactly("10.1.0.2");
    assertThat(mtlsEndpoints(CART_9090)).containsExactly("10.1.0.1", "10.1.0.2");
  }

  @Test
  void destinationRuleTlsWinsOverPeerAuthentication() throws Exception {
    istiod =
        EnvoyMeshes.istiod(
            pa("shop", "default", "{mtls: {mode: DISABLE}}"),
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: cart, namespace: shop}
            spec:
              host: cart.shop.svc.cluster.local
              trafficPolicy:
                tls: {mode: ISTIO_MUTUAL}
                portLevelSettings:
                - port: {number: 9090}
                  tls: {mode: DISABLE}
            """);
    Cluster c80 = cluster(CART_80);
    assertThat(c80.hasTransportSocket()).isTrue();
    assertThat(c80.getTransportSocket().getName()).isEqualTo("envoy.transport_sockets.tls");
    assertThat(mtlsEndpoints(CART_80)).containsExactly("10.1.0.1", "10.1.0.2");
    // the port-level DISABLE: plaintext, and EDS marks nothing
    assertThat(cluster(CART_9090).hasTransportSocket()).isFalse();
    assertThat(mtlsEndpoints(CART_9090)).isEmpty();
  }

  @Test
  void destinationRuleDisableOverridesAStrictDestination() throws Exception {
    istiod =
        EnvoyMeshes.istiod(
            pa("shop", "default", "{mtls: {mode: STRICT}}"),
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: cart, namespace: shop}
            spec:
              host: cart.shop.svc.cluster.local
              trafficPolicy: {tls: {mode: DISABLE}}
            """);
    Cluster c = cluster(CART_80);
    assertThat(c.hasTransportSocket()).isFalse();
    assertThat(c.getTransportSocketMatchesCount()).isZero();
    assertThat(mtlsEndpoints(CART_80)).isEmpty();
  }
}
