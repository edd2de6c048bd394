package io.jistiod.pilot.envoy.cluster;

import static io.jistiod.pilot.envoy.cluster.EnvoyMeshes.CART;
import static io.jistiod.pilot.envoy.cluster.EnvoyMeshes.CART_80;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.jistiod.pilot.testing.FakeIstiod;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Which clusters a sidecar and a gateway get, and the shape of each kind. */
class EnvoyClusterGeneratorTest {
  private FakeIstiod istiod;

  @AfterEach
  void tearDown() {
    if (istiod != null) {
      istiod.close();
    }
  }

  private static final String SUBSETS =
      """
      apiVersion: networking.istio.io/v1
      kind: DestinationRule
      metadata: {name: cart, namespace: shop}
      spec:
        host: cart
        subsets:
        - {name: v1, labels: {version: v1}}
        - {name: v2, labels: {version: v2}}
      """;

  @Test
  void sidecarGetsOutboundSubsetInboundAndSpecialClusters() throws Exception {
    istiod = EnvoyMeshes.istiod(SUBSETS);
    Map<String, Cluster> c =
        EnvoyMeshes.clusters(istiod, EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode()));
    assertThat(c)
        .containsOnlyKeys(
            CART_80,
            "outbound|80|v1|" + CART,
            "outbound|80|v2|" + CART,
            "outbound|9090||" + CART,
            "outbound|9090|v1|" + CART,
            "outbound|9090|v2|" + CART,
            "outbound|8080||client.shop.svc.cluster.local",
            "inbound|8080||",
            "BlackHoleCluster",
            "PassthroughCluster",
            "InboundPassthroughCluster");
  }

  @Test
  void proxiesWithTheSameRuleShareOneClusterWhateverTheirLabelsOrNamespace() throws Exception {
    // a rule for cart visible only to namespace "other"'s proxies
    istiod =
        EnvoyMeshes.istiod(
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: cart-for-other, namespace: other}
            spec:
              host: cart.shop.svc.cluster.local
              exportTo: ["."]
              trafficPolicy: {connectionPool: {tcp: {maxConnections: 7}}}
            """);
    var push = istiod.discovery.current();
    var client = EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode());
    var otherLabels =
        EnvoyMeshes.proxy(
            EnvoyMeshes.node("sidecar~10.1.0.10~web-1.shop~shop.svc.cluster.local", "shop", "web"));
    var inOther =
        EnvoyMeshes.proxy(
            EnvoyMeshes.node(
                "sidecar~10.1.0.11~x-1.other~other.svc.cluster.local", "other", "client"));
    EnvoyClusterGenerator g = new EnvoyClusterGenerator();
    var a = byName(g.generate(client, push, Set.of()), CART_80);
    var b = byName(g.generate(otherLabels, push, Set.of()), CART_80);
    var c = byName(g.generate(inOther, push, Set.of()), CART_80);
    assertThat(b).isSameAs(a); // other labels, same rule (none): built once
    assertThat(c).isNotSameAs(a); // its namespace's own rule applies
    assertThat(
            c.body()
                .unpack(Cluster.class)
                .getCircuitBreakers()
                .getThresholds(0)
                .getMaxConnections()
                .getValue())
        .isEqualTo(7);
  }

  private static io.jistiod.pilot.xds.XdsResource byName(
      java.util.List<io.jistiod.pilot.xds.XdsResource> resources, String name) {
    return resources.stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void outboundClusterIsEdsWithIstiodDefaults() throws Exception {
    istiod = EnvoyMeshes.istiod();
    Cluster c =
        EnvoyMeshes.clusters(istiod, EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode())).get(CART_80);
    assertThat(c.getType()).isEqualTo(Cluster.DiscoveryType.EDS);
    assertThat(c.getEdsClusterConfig().getServiceName()).isEqualTo(CART_80);
    assertThat(c.getEdsClusterConfig().getEdsConfig().hasAds()).isTrue();
    assertThat(c.getConnectTimeout().getSeconds()).isEqualTo(10);
    assertThat(c.getLbPolicy()).isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);
    assertThat(c.getAltStatName()).isEqualTo(CART_80 + ";");
    var t = c.getCircuitBreakers().getThresholds(0);
    assertThat(t.getMaxConnections().getValue()).isEqualTo(-1); // 4294967295 as unsigned
    assertThat(t.getMaxRetries().getValue()).isEqualTo(-1);
    assertThat(t.getTrackRemaining()).isTrue();
    var service =
        c.getMetadata()
            .getFilterMetadataOrThrow("istio")
            .getFieldsOrThrow("services")
            .getListValue()
            .getValues(0)
            .getStructValue();
    assertThat(service.getFieldsOrThrow("host").getStringValue()).isEqualTo(CART);
    assertThat(service.getFieldsOrThrow("namespace").getStringValue()).isEqualTo("shop");
  }

  @Test
  void grpcPortsSpeakHttp2Upstream() throws Exception {
    istiod = EnvoyMeshes.istiod();
    Cluster c =
        EnvoyMeshes.clusters(istiod, EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode()))
            .get("outbound|9090||" + CART);
    assertThat(EnvoyMeshes.http(c).getExplicitHttpConfig().hasHttp2ProtocolOptions()).isTrue();
    // and advertise h2 next to Istio's ALPN in the auto mTLS socket
    var tls =
        c.getTransportSocketMatches(0)
            .getTransportSocket()
            .getTypedConfig()
            .unpack(
                io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext.class);
    assertThat(tls.getCommonTlsContext().getAlpnProtocolsList())
        .containsExactly("istio-peer-exchange", "istio", "h2");
  }

  @Test
  void inboundClusterSendsToTheOriginalDestinationFromThePassthroughAddress() throws Exception {
    istiod = EnvoyMeshes.istiod();
    Cluster c =
        EnvoyMeshes.clusters(istiod, EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode()))
            .get("inbound|8080||");
    assertThat(c.getType()).isEqualTo(Cluster.DiscoveryType.ORIGINAL_DST);
    assertThat(c.getLbPolicy()).isEqualTo(Cluster.LbPolicy.CLUSTER_PROVIDED);
    assertThat(c.getUpstreamBindConfig().getSourceAddress().getAddress()).isEqualTo("127.0.0.6");
    assertThat(c.getCleanupInterval().getSeconds()).isEqualTo(9223372035L);
  }

  @Test
  void sidecarIngressDefaultEndpointMakesAStaticInboundCluster() throws Exception {
    istiod =
        EnvoyMeshes.istiod(
            """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: client, namespace: shop}
            spec:
              workloadSelector: {labels: {app: client}}
              ingress:
              - port: {number: 8080, protocol: HTTP, name: http}
                defaultEndpoint: 127.0.0.1:9000
            """);
    Cluster c =
        EnvoyMeshes.clusters(istiod, EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode()))
            .get("inbound|8080||");
    assertThat(c.getType()).isEqualTo(Cluster.DiscoveryType.STATIC);
    var address =
        c.getLoadAssignment().getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress();
    assertThat(address.getSocketAddress().getAddress()).isEqualTo("127.0.0.1");
    assertThat(address.getSocketAddress().getPortValue()).isEqualTo(9000);
    assertThat(c.hasUpstreamBindConfig()).isFalse();
  }

  @Test
  void specialClustersHaveIstiodsShapes() throws Exception {
    istiod = EnvoyMeshes.istiod();
    Map<String, Cluster> c =
        EnvoyMeshes.clusters(istiod, EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode()));
    assertThat(c.get("BlackHoleCluster").getType()).isEqualTo(Cluster.DiscoveryType.STATIC);
    assertThat(c.get("BlackHoleCluster").hasLoadAssignment()).isFalse();
    Cluster passthrough = c.get("PassthroughCluster");
    assertThat(passthrough.getType()).isEqualTo(Cluster.DiscoveryType.ORIGINAL_DST);
    assertThat(EnvoyMeshes.http(passthrough).hasUseDownstreamProtocolConfig()).isTrue();
    assertThat(
            EnvoyMeshes.http(passthrough)
                .getCommonHttpProtocolOptions()
                .getIdleTimeout()
                .getSeconds())
        .isEqualTo(300);
    Cluster inbound = c.get("InboundPassthroughCluster");
    assertThat(inbound.getUpstreamBindConfig().getSourceAddress().getAddress())
        .isEqualTo("127.0.0.6");
    assertThat(inbound.getAltStatName()).isEqualTo("PassthroughCluster;");
  }

  @Test
  void gatewayGetsNoInboundOrPassthroughClusters() throws Exception {
    istiod = EnvoyMeshes.istiod(SUBSETS);
    Map<String, Cluster> c =
        EnvoyMeshes.clusters(istiod, EnvoyMeshes.proxy(EnvoyMeshes.routerNode()));
    assertThat(c).containsKey(CART_80).containsKey("outbound|80|v1|" + CART);
    assertThat(c).containsKey("BlackHoleCluster");
    assertThat(c.keySet()).noneMatch(n -> n.startsWith("inbound") || n.contains("Passthrough"));
  }

  @Test
  void autoPassthroughGatewayAlsoGetsSniNamedClustersWithoutTls() throws Exception {
    istiod =
        EnvoyMeshes.istiod(
            SUBSETS,
            """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: eastwest, namespace: shop}
            spec:
              selector: {app: gw}
              servers:
              - port: {number: 15443, name: tls, protocol: TLS}
                hosts: ["*.local"]
                tls: {mode: AUTO_PASSTHROUGH}
            """);
    Map<String, Cluster> c =
        EnvoyMeshes.clusters(istiod, EnvoyMeshes.proxy(EnvoyMeshes.routerNode()));
    Cluster sni = c.get("outbound_.80_._." + CART);
    assertThat(sni).isNotNull();
    assertThat(sni.hasTransportSocket()).isFalse();
    assertThat(sni.getTransportSocketMatchesCount()).isZero();
    assertThat(sni.getEdsClusterConfig().getServiceName()).isEqualTo("outbound_.80_._." + CART);
    assertThat(c).containsKey("outbound_.80_.v1_." + CART);
  }

  @Test
  void dnsServiceEntryBecomesStrictDnsWithItsHostAsEndpoint() throws Exception {
    istiod =
        EnvoyMeshes.istiod(
            """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: ext, namespace: shop}
            spec:
              hosts: [api.example.com]
              location: MESH_EXTERNAL
              resolution: DNS
              ports: [{name: https, number: 443, protocol: TLS}, {name: http, number: 80, protocol: HTTP, targetPort: 8080}]
            """);
    Map<String, Cluster> c =
        EnvoyMeshes.clusters(istiod, EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode()));
    Cluster dns = c.get("outbound|80||api.example.com");
    assertThat(dns.getType()).isEqualTo(Cluster.DiscoveryType.STRICT_DNS);
    assertThat(dns.getDnsLookupFamily()).isEqualTo(Cluster.DnsLookupFamily.V4_ONLY);
    assertThat(dns.getRespectDnsTtl()).isTrue();
    var socket =
        dns.getLoadAssignment()
            .getEndpoints(0)
            .getLbEndpoints(0)
            .getEndpoint()
            .getAddress()
            .getSocketAddress();
    assertThat(socket.getAddress()).isEqualTo("api.example.com");
    assertThat(socket.getPortValue()).isEqualTo(8080);
    // mesh-external: marked so, and no auto mTLS
    assertThat(
            dns.getMetadata()
                .getFilterMetadataOrThrow("istio")
                .getFieldsOrThrow("external")
                .getBoolValue())
        .isTrue();
    assertThat(dns.getTransportSocketMatchesCount()).isZero();
    assertThat(dns.hasTransportSocket()).isFalse();
  }

  @Test
  void resolutionNoneBecomesOriginalDst() throws Exception {
    istiod =
        EnvoyMeshes.istiod(
            """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: wild, namespace: shop}
            spec:
              hosts: ["*.wiki.org"]
              location: MESH_EXTERNAL
              resolution: NONE
              ports: [{name: tls, number: 443, protocol: TLS}]
            """);
    Cluster c =
        EnvoyMeshes.clusters(istiod, EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode()))
            .get("outbound|443||*.wiki.org");
    assertThat(c.getType()).isEqualTo(Cluster.DiscoveryType.ORIGINAL_DST);
    assertThat(c.getLbPolicy()).isEqualTo(Cluster.LbPolicy.CLUSTER_PROVIDED);
    assertThat(c.hasEdsClusterConfig()).isFalse();
  }

  @Test
  void sidecarScopingLimitsOutboundClusters() throws Exception {
    istiod =
        EnvoyMeshes.istiod(
            """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: shop}
            spec:
              egress: [{hosts: ["./client.shop.svc.cluster.local"]}]
            """);
    Map<String, Cluster> c =
        EnvoyMeshes.clusters(istiod, EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode()));
    assertThat(c.keySet()).noneMatch(n -> n.endsWith(CART));
    assertThat(c).containsKey("outbound|8080||client.shop.svc.cluster.local");
  }

  @Test
  void requestedNamesAreHonouredAndUnknownOnesIgnored() throws Exception {
    istiod = EnvoyMeshes.istiod();
    var out =
        new EnvoyClusterGenerator()
            .generate(
                EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode()),
                istiod.discovery.current(),
                Set.of(CART_80, "BlackHoleCluster", "outbound|1||nowhere"));
    assertThat(out)
        .extracting(r -> r.name())
        .containsExactlyInAnyOrder(CART_80, "BlackHoleCluster");
  }

  @Test
  void sameClustersAreSharedAcrossReplicasWithinAPush() throws Exception {
    istiod = EnvoyMeshes.istiod();
    var push = istiod.discovery.current();
    var a =
        new EnvoyClusterGenerator()
            .generate(EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode()), push, Set.of());
    var b =
        new EnvoyClusterGenerator()
            .generate(EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode()), push, Set.of());
    var ra = a.stream().filter(r -> r.name().equals(CART_80)).findFirst().orElseThrow();
    var rb = b.stream().filter(r -> r.name().equals(CART_80)).findFirst().orElseThrow();
    assertThat(ra).isSameAs(rb);
  }

  @Test
  void dnsRoundRobinBecomesLogicalDns() throws Exception {
    istiod =
        EnvoyMeshes.istiod(
            """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: rr, namespace: shop}
            spec:
              hosts: [rr.example.com]
              location: MESH_EXTERNAL
              resolution: DNS_ROUND_ROBIN
              ports: [{name: http, number: 80, protocol: HTTP}]
            """);
    Cluster c =
        EnvoyMeshes.clusters(istiod, EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode()))
            .get("outbound|80||rr.example.com");
    assertThat(c.getType()).isEqualTo(Cluster.DiscoveryType.LOGICAL_DNS);
    assertThat(c.getLoadAssignment().getEndpointsCount()).isEqualTo(1);
  }
}
