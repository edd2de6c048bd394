package io.jistiod.pilot.envoy.cluster;

import static io.jistiod.pilot.envoy.cluster.EnvoyMeshes.CART;
import static io.jistiod.pilot.envoy.cluster.EnvoyMeshes.CART_80;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.testing.FakeIstiod;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Clusters built from several DestinationRules for one host, merged as istiod merges them. */
class MergedDestinationRuleClustersTest {
  private static final String V1 = "outbound|80|v1|" + CART;
  private static final String V2 = "outbound|80|v2|" + CART;
  private static final String V3 = "outbound|80|v3|" + CART;

  private FakeIstiod istiod;

  @AfterEach
  void tearDown() {
    if (istiod != null) {
      istiod.close();
    }
  }

  private static final String FIRST =
      """
      apiVersion: networking.istio.io/v1
      kind: DestinationRule
      metadata: {name: cart-a, namespace: shop}
      spec:
        host: cart
        trafficPolicy: {connectionPool: {tcp: {maxConnections: 7}}}
        subsets: [{name: v1, labels: {version: v1}}]
      ---
      """;

  private static String second(String subset) {
    return """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: cart-b, namespace: shop}
        spec:
          host: cart
          trafficPolicy: {connectionPool: {tcp: {maxConnections: 9}}}
          subsets: [{name: %s, labels: {version: %s}}]
        ---
        """
        .formatted(subset, subset);
  }

  private static int maxConnections(Cluster c) {
    return c.getCircuitBreakers().getThresholds(0).getMaxConnections().getValue();
  }

  private static String config(Cluster c) {
    return c.getMetadata()
        .getFilterMetadataOrThrow("istio")
        .getFieldsOrThrow("config")
        .getStringValue();
  }

  @Test
  void subsetsOfBothRulesWithTheFirstRulesPolicyAndName() throws Exception {
    istiod = EnvoyMeshes.istiod(FIRST, second("v2"));
    Map<String, Cluster> c =
        EnvoyMeshes.clusters(istiod, EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode()));
    assertThat(c).containsKeys(CART_80, V1, V2);
    for (String name : new String[] {CART_80, V1, V2}) {
      assertThat(maxConnections(c.get(name))).as(name).isEqualTo(7);
      assertThat(config(c.get(name)))
          .as(name)
          .isEqualTo("/apis/networking.istio.io/v1/namespaces/shop/destination-rule/cart-a");
    }
  }

  @Test
  void editingTheSecondRuleOfAMergeRebuildsTheClusters() throws Exception {
    istiod = EnvoyMeshes.istiod(FIRST, second("v2"));
    Proxy client = EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode());
    assertThat(EnvoyMeshes.clusters(istiod, client)).containsKey(V2).doesNotContainKey(V3);

    istiod.apply(second("v3"));
    assertThat(istiod.pushChanges()).isNotNull();
    istiod.awaitPushes();
    assertThat(EnvoyMeshes.clusters(istiod, client)).containsKeys(V1, V3).doesNotContainKey(V2);
  }

  @Test
  void proxiesThatGetDifferentMergesOfOneFirstRuleDoNotShareClusters() throws Exception {
    // "other" also sees a rule exported to it alone, which stays apart and wins there
    istiod =
        EnvoyMeshes.istiod(
            FIRST,
            second("v2"),
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: cart-c, namespace: shop}
            spec:
              host: cart
              exportTo: [other]
              trafficPolicy: {connectionPool: {tcp: {maxConnections: 11}}}
            """);
    Proxy client = EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode());
    Proxy inOther =
        EnvoyMeshes.proxy(
            EnvoyMeshes.node(
                "sidecar~10.1.0.11~x-1.other~other.svc.cluster.local", "other", "client"));
    assertThat(maxConnections(EnvoyMeshes.clusters(istiod, client).get(CART_80))).isEqualTo(7);
    Map<String, Cluster> other = EnvoyMeshes.clusters(istiod, inOther);
    assertThat(maxConnections(other.get(CART_80))).isEqualTo(11);
    assertThat(other).doesNotContainKeys(V1, V2);
  }

  @Test
  void aSelectorRuleShapesTheClustersOfTheWorkloadsItSelects() throws Exception {
    istiod =
        EnvoyMeshes.istiod(
            FIRST,
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: cart-tuned, namespace: shop}
            spec:
              host: cart
              workloadSelector: {matchLabels: {app: tuned}}
              trafficPolicy: {connectionPool: {tcp: {maxConnections: 3}}}
            """);
    Proxy client = EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode());
    Proxy tuned =
        EnvoyMeshes.proxy(
            EnvoyMeshes.node("sidecar~10.1.0.12~t-1.shop~shop.svc.cluster.local", "shop", "tuned"));
    // the client first, so a cache keyed by the namespace alone would hand its cluster on
    assertThat(maxConnections(EnvoyMeshes.clusters(istiod, client).get(CART_80))).isEqualTo(7);
    Map<String, Cluster> t = EnvoyMeshes.clusters(istiod, tuned);
    assertThat(maxConnections(t.get(CART_80))).isEqualTo(3);
    assertThat(config(t.get(CART_80))).endsWith("/destination-rule/cart-tuned");
    assertThat(t).doesNotContainKey(V1);
  }
}
