package io.jistiod.pilot.envoy.cluster;

import static io.jistiod.pilot.envoy.cluster.EnvoyMeshes.CART;
import static io.jistiod.pilot.envoy.cluster.EnvoyMeshes.CART_80;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.jistiod.pilot.testing.FakeIstiod;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What each DestinationRule traffic policy field turns into on a cluster. */
class DestinationRulePolicyTest {
  private FakeIstiod istiod;

  @AfterEach
  void tearDown() {
    if (istiod != null) {
      istiod.close();
    }
  }

  private Map<String, Cluster> withRule(String spec) throws Exception {
    istiod =
        EnvoyMeshes.istiod(
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: cart, namespace: shop}
            spec:
              host: cart
            """
                + spec.indent(2));
    return EnvoyMeshes.clusters(istiod, EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode()));
  }

  @Test
  void simpleLoadBalancers() throws Exception {
    for (var e :
        Map.of(
                "ROUND_ROBIN", Cluster.LbPolicy.ROUND_ROBIN,
                "LEAST_REQUEST", Cluster.LbPolicy.LEAST_REQUEST,
                "LEAST_CONN", Cluster.LbPolicy.LEAST_REQUEST,
                "RANDOM", Cluster.LbPolicy.RANDOM)
            .entrySet()) {
      Cluster c =
          withRule("trafficPolicy: {loadBalancer: {simple: " + e.getKey() + "}}").get(CART_80);
      assertThat(c.getLbPolicy()).as(e.getKey()).isEqualTo(e.getValue());
      istiod.close();
      istiod = null;
    }
  }

  @Test
  void passthroughLoadBalancerSendsToTheOriginalDestination() throws Exception {
    Cluster c = withRule("trafficPolicy: {loadBalancer: {simple: PASSTHROUGH}}").get(CART_80);
    assertThat(c.getType()).isEqualTo(Cluster.DiscoveryType.ORIGINAL_DST);
    assertThat(c.getLbPolicy()).isEqualTo(Cluster.LbPolicy.CLUSTER_PROVIDED);
    assertThat(c.hasEdsClusterConfig()).isFalse();
  }

  @Test
  void consistentHashIsRingHashOrMaglev() throws Exception {
    Map<String, Cluster> c =
        withRule(
            """
            trafficPolicy:
              loadBalancer: {consistentHash: {httpHeaderName: x-user}}
            subsets:
            - name: ring
              labels: {version: v1}
              trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true, ringHash: {minimumRingSize: 2048}}}}
            - name: maglev
              labels: {version: v2}
              trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true, maglev: {tableSize: 65537}}}}
            """);
    assertThat(c.get(CART_80).getLbPolicy()).isEqualTo(Cluster.LbPolicy.RING_HASH);
    assertThat(c.get(CART_80).getRingHashLbConfig().getMinimumRingSize().getValue())
        .isEqualTo(1024);
    Cluster ring = c.get("outbound|80|ring|" + CART);
    assertThat(ring.getRingHashLbConfig().getMinimumRingSize().getValue()).isEqualTo(2048);
    Cluster maglev = c.get("outbound|80|maglev|" + CART);
    assertThat(maglev.getLbPolicy()).isEqualTo(Cluster.LbPolicy.MAGLEV);
    assertThat(maglev.getMaglevLbConfig().getTableSize().getValue()).isEqualTo(65537);
  }

  @Test
  void connectionPoolBecomesCircuitBreakersTimeoutsAndHttpOptions() throws Exception {
    Cluster c =
        withRule(
                """
                trafficPolicy:
                  connectionPool:
                    tcp: {maxConnections: 7, connectTimeout: 30ms, tcpKeepalive: {probes: 3, time: 7200s, interval: 75s}}
                    http: {http1MaxPendingRequests: 5, http2MaxRequests: 100, maxRetries: 2, maxRequestsPerConnection: 1, idleTimeout: 30s}
                """)
            .get(CART_80);
    var t = c.getCircuitBreakers().getThresholds(0);
    assertThat(t.getMaxConnections().getValue()).isEqualTo(7);
    assertThat(t.getMaxPendingRequests().getValue()).isEqualTo(5);
    assertThat(t.getMaxRequests().getValue()).isEqualTo(100);
    assertThat(t.getMaxRetries().getValue()).isEqualTo(2);
    assertThat(c.getConnectTimeout().getNanos()).isEqualTo(30_000_000);
    var keepalive = c.getUpstreamConnectionOptions().getTcpKeepalive();
    assertThat(keepalive.getKeepaliveProbes().getValue()).isEqualTo(3);
    assertThat(keepalive.getKeepaliveTime().getValue()).isEqualTo(7200);
    assertThat(keepalive.getKeepaliveInterval().getValue()).isEqualTo(75);
    var http = EnvoyMeshes.http(c);
    assertThat(http.getCommonHttpProtocolOptions().getIdleTimeout().getSeconds()).isEqualTo(30);
    assertThat(http.getCommonHttpProtocolOptions().getMaxRequestsPerConnection().getValue())
        .isEqualTo(1);
    assertThat(http.getExplicitHttpConfig().hasHttpProtocolOptions()).isTrue();
  }

  @Test
  void h2UpgradeAndUseClientProtocol() throws Exception {
    Map<String, Cluster> c =
        withRule(
            """
            trafficPolicy:
              connectionPool: {http: {h2UpgradePolicy: UPGRADE}}
            subsets:
            - name: client
              labels: {version: v1}
              trafficPolicy: {connectionPool: {http: {useClientProtocol: true}}}
            """);
    assertThat(EnvoyMeshes.http(c.get(CART_80)).getExplicitHttpConfig().hasHttp2ProtocolOptions())
        .isTrue();
    assertThat(
            EnvoyMeshes.http(c.get("outbound|80|client|" + CART)).hasUseDownstreamProtocolConfig())
        .isTrue();
  }

  @Test
  void outlierDetectionWithIstiodsEnforcingValues() throws Exception {
    Cluster c =
        withRule(
                """
                trafficPolicy:
                  outlierDetection: {consecutive5xxErrors: 1, consecutiveGatewayErrors: 0, interval: 1s, baseEjectionTime: 3m, maxEjectionPercent: 100, minHealthPercent: 20}
                """)
            .get(CART_80);
    var o = c.getOutlierDetection();
    assertThat(o.getConsecutive5Xx().getValue()).isEqualTo(1);
    assertThat(o.getEnforcingConsecutive5Xx().getValue()).isEqualTo(100);
    assertThat(o.hasConsecutiveGatewayFailure()).isTrue();
    assertThat(o.getConsecutiveGatewayFailure().getValue()).isZero();
    assertThat(o.getEnforcingConsecutiveGatewayFailure().getValue()).isZero();
    assertThat(o.hasEnforcingSuccessRate()).isTrue();
    assertThat(o.getEnforcingSuccessRate().getValue()).isZero();
    assertThat(o.getInterval().getSeconds()).isEqualTo(1);
    assertThat(o.getBaseEjectionTime().getSeconds()).isEqualTo(180);
    assertThat(o.getMaxEjectionPercent().getValue()).isEqualTo(100);
    assertThat(c.getCommonLbConfig().getHealthyPanicThreshold().getValue()).isEqualTo(20);
  }

  @Test
  void localityFailoverNeedsOutlierDetectionForWeightedLbConfig() throws Exception {
    String failover =
        "trafficPolicy: {loadBalancer: {localityLbSetting: {enabled: true, failover: [{from: us-east, to: eu-west}]}}%s}";
    Cluster without = withRule(failover.formatted("")).get(CART_80);
    assertThat(without.getCommonLbConfig().hasLocalityWeightedLbConfig()).isFalse();
    istiod.close();
    Cluster with =
        withRule(failover.formatted(", outlierDetection: {consecutive5xxErrors: 3}")).get(CART_80);
    assertThat(with.getCommonLbConfig().hasLocalityWeightedLbConfig()).isTrue();
    istiod.close();
    Cluster distribute =
        withRule(
                "trafficPolicy: {loadBalancer: {localityLbSetting: {distribute: [{from: 'us-east/*', to: {'us-east/*': 100}}]}}}")
            .get(CART_80);
    assertThat(distribute.getCommonLbConfig().hasLocalityWeightedLbConfig()).isTrue();
  }

  @Test
  void subsetSectionsOverrideTheRuleAndPortLevelReplacesIt() throws Exception {
    Map<String, Cluster> c =
        withRule(
            """
            trafficPolicy:
              loadBalancer: {simple: RANDOM}
              connectionPool: {tcp: {maxConnections: 9}}
              portLevelSettings:
              - port: {number: 9090}
                loadBalancer: {simple: ROUND_ROBIN}
            subsets:
            - name: v1
              labels: {version: v1}
              trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}
            """);
    assertThat(c.get(CART_80).getLbPolicy()).isEqualTo(Cluster.LbPolicy.RANDOM);
    // the subset replaces only the section it sets
    Cluster v1 = c.get("outbound|80|v1|" + CART);
    assertThat(v1.getLbPolicy()).isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);
    assertThat(v1.getCircuitBreakers().getThresholds(0).getMaxConnections().getValue())
        .isEqualTo(9);
    // port-level settings replace the whole rule-level policy for their port
    Cluster grpc = c.get("outbound|9090||" + CART);
    assertThat(grpc.getLbPolicy()).isEqualTo(Cluster.LbPolicy.ROUND_ROBIN);
    assertThat(grpc.getCircuitBreakers().getThresholds(0).getMaxConnections().getValue())
        .isEqualTo(-1);
  }

  @Test
  void ruleAndSubsetAreRecordedInClusterMetadata() throws Exception {
    Map<String, Cluster> c = withRule("subsets: [{name: v1, labels: {version: v1}}]");
    var md = c.get("outbound|80|v1|" + CART).getMetadata().getFilterMetadataOrThrow("istio");
    assertThat(md.getFieldsOrThrow("config").getStringValue())
        .isEqualTo("/apis/networking.istio.io/v1/namespaces/shop/destination-rule/cart");
    assertThat(md.getFieldsOrThrow("subset").getStringValue()).isEqualTo("v1");
  }

  @Test
  void inboundClusterTakesTheRulesConnectionPoolOnly() throws Exception {
    istiod =
        EnvoyMeshes.istiod(
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: client, namespace: shop}
            spec:
              host: client
              trafficPolicy:
                loadBalancer: {simple: RANDOM}
                connectionPool: {tcp: {maxConnections: 3}}
            """);
    Cluster c =
        EnvoyMeshes.clusters(istiod, EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode()))
            .get("inbound|8080||");
    assertThat(c.getCircuitBreakers().getThresholds(0).getMaxConnections().getValue()).isEqualTo(3);
    assertThat(c.getLbPolicy()).isEqualTo(Cluster.LbPolicy.CLUSTER_PROVIDED);
  }

  @Test
  void retryBudgetGoesOnTheThresholdsWithEnvoysDefaultsMadeExplicit() throws Exception {
    Cluster c = withRule("trafficPolicy: {retryBudget: {minRetryConcurrency: 5}}").get(CART_80);
    var budget = c.getCircuitBreakers().getThresholds(0).getRetryBudget();
    assertThat(budget.getBudgetPercent().getValue()).isEqualTo(20.0);
    assertThat(budget.getMinRetryConcurrency().getValue()).isEqualTo(5);
  }

  @Test
  void proxyProtocolWrapsEveryTransportSocket() throws Exception {
    Cluster c = withRule("trafficPolicy: {proxyProtocol: {version: V2}}").get(CART_80);
    // auto mTLS matches are each wrapped
    assertThat(c.getTransportSocketMatchesList())
        .allSatisfy(
            m ->
                assertThat(m.getTransportSocket().getName())
                    .isEqualTo("envoy.transport_sockets.upstream_proxy_protocol"));
    var pp =
        c.getTransportSocketMatches(0)
            .getTransportSocket()
            .getTypedConfig()
            .unpack(
                io.envoyproxy.envoy.extensions.transport_sockets.proxy_protocol.v3
                    .ProxyProtocolUpstreamTransport.class);
    assertThat(pp.getConfig().getVersion())
        .isEqualTo(io.envoyproxy.envoy.config.core.v3.ProxyProtocolConfig.Version.V2);
    assertThat(pp.getTransportSocket().getName()).isEqualTo("envoy.transport_sockets.tls");
  }

  @Test
  void sidecarInboundConnectionPoolOverridesTheRules() throws Exception {
    istiod =
        EnvoyMeshes.istiod(
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: client, namespace: shop}
            spec:
              host: client
              trafficPolicy: {connectionPool: {tcp: {maxConnections: 3}}}
            ---
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: shop}
            spec:
              inboundConnectionPool: {tcp: {maxConnections: 11}}
            """);
    Cluster c =
        EnvoyMeshes.clusters(istiod, EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode()))
            .get("inbound|8080||");
    assertThat(c.getCircuitBreakers().getThresholds(0).getMaxConnections().getValue())
        .isEqualTo(11);
  }
}
