package io.jistiod.pilot.envoy.listener;

import static io.jistiod.pilot.envoy.listener.ListenerFixture.SIDECAR_IP;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.hcm;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.listeners;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.service;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.sidecar;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.jistiod.galley.api.envoy.stats.PluginConfig;
import io.jistiod.galley.mesh.MeshConfigs;
import io.jistiod.pilot.push.PushContext;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Where istiod 1.27 puts the telemetry filters of Istio's Envoy build: metadata exchange first in
 * inbound chains and HCMs, istio.alpn in outbound HCMs only, istio.stats after CORS and before the
 * TCP proxy, but only when a Prometheus metrics provider is in scope.
 */
class TelemetryFiltersPlacementTest {
  private static final String[] SERVICES = {
    service("web", "10.0.0.1", 80, "http", SIDECAR_IP, 8080),
    service("db", "10.0.0.2", 5432, "tcp", SIDECAR_IP, 5432),
    service("other", "10.0.0.3", 80, "http", "10.0.9.9", 8080),
    service("store", "10.0.0.4", 6379, "tcp", "10.0.9.9", 6379)
  };

  private static PushContext push(String mesh, String... extra) {
    String[] yaml = new String[SERVICES.length + extra.length];
    System.arraycopy(SERVICES, 0, yaml, 0, SERVICES.length);
    System.arraycopy(extra, 0, yaml, SERVICES.length, extra.length);
    return ListenerFixture.push(MeshConfigs.parse(mesh, "mesh.yaml"), yaml);
  }

  private static final String PROMETHEUS = "defaultProviders: {metrics: [prometheus]}";

  private static List<String> names(List<Filter> filters) {
    return filters.stream().map(Filter::getName).toList();
  }

  private static List<String> httpNames(FilterChain c) {
    return hcm(c).getHttpFiltersList().stream().map(HttpFilter::getName).toList();
  }

  private static FilterChain chain(Listener l, String name) {
    return l.getFilterChainsList().stream()
        .filter(c -> c.getName().equals(name))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void withoutAMetricsProviderOnlyMetadataExchangeAndAlpnArePlaced() {
    Map<String, Listener> ls = listeners(sidecar(), push("{}"));
    Listener inbound = ls.get("virtualInbound");
    FilterChain http = chain(inbound, "0.0.0.0_8080");
    assertThat(names(http.getFiltersList()))
        .containsExactly(
            "istio.metadata_exchange", "envoy.filters.network.http_connection_manager");
    assertThat(httpNames(http))
        .containsExactly(
            "istio.metadata_exchange",
            "envoy.filters.http.grpc_stats",
            "envoy.filters.http.fault",
            "envoy.filters.http.cors",
            "envoy.filters.http.router");
    assertThat(names(chain(inbound, "0.0.0.0_5432").getFiltersList()))
        .containsExactly("istio.metadata_exchange", "envoy.filters.network.tcp_proxy");

    FilterChain outbound = ls.get("0.0.0.0_80").getFilterChains(0);
    assertThat(httpNames(outbound))
        .containsExactly(
            "istio.metadata_exchange",
            "envoy.filters.http.grpc_stats",
            "istio.alpn",
            "envoy.filters.http.fault",
            "envoy.filters.http.cors",
            "envoy.filters.http.router");
    // outbound TCP: the exchange happens on the cluster, not the listener
    assertThat(names(ls.get("10.0.0.4_6379").getFilterChains(0).getFiltersList()))
        .containsExactly("envoy.filters.network.tcp_proxy");
  }

  @Test
  void thePrometheusProviderAddsStatsToEveryChain() throws Exception {
    Map<String, Listener> ls = listeners(sidecar(), push(PROMETHEUS));
    Listener inbound = ls.get("virtualInbound");
    List<String> inboundHttp = httpNames(chain(inbound, "0.0.0.0_8080"));
    assertThat(inboundHttp.subList(inboundHttp.size() - 2, inboundHttp.size()))
        .containsExactly("istio.stats", "envoy.filters.http.router");
    assertThat(names(chain(inbound, "0.0.0.0_5432").getFiltersList()))
        .containsExactly(
            "istio.metadata_exchange", "istio.stats", "envoy.filters.network.tcp_proxy");
    HttpFilter inboundStats =
        hcm(chain(inbound, "0.0.0.0_8080")).getHttpFiltersList().stream()
            .filter(f -> f.getName().equals("istio.stats"))
            .findFirst()
            .orElseThrow();
    assertThat(
            inboundStats.getTypedConfig().unpack(PluginConfig.class).getDisableHostHeaderFallback())
        .isTrue();

    FilterChain outbound = ls.get("0.0.0.0_80").getFilterChains(0);
    HttpFilter outboundStats =
        hcm(outbound).getHttpFiltersList().stream()
            .filter(f -> f.getName().equals("istio.stats"))
            .findFirst()
            .orElseThrow();
    assertThat(outboundStats.getTypedConfig().unpack(PluginConfig.class))
        .isEqualTo(PluginConfig.getDefaultInstance());
    assertThat(names(ls.get("10.0.0.4_6379").getFilterChains(0).getFiltersList()))
        .containsExactly("istio.stats", "envoy.filters.network.tcp_proxy");
  }

  @Test
  void aTelemetryDisablingClientMetricsRemovesOutboundStatsOnly() {
    String telemetry =
        """
        apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata: {name: no-client, namespace: shop}
        spec:
          metrics:
          - overrides:
            - match: {mode: CLIENT}
              disabled: true
        """;
    Map<String, Listener> ls = listeners(sidecar(), push(PROMETHEUS, telemetry));
    assertThat(httpNames(ls.get("0.0.0.0_80").getFilterChains(0))).doesNotContain("istio.stats");
    assertThat(httpNames(chain(ls.get("virtualInbound"), "0.0.0.0_8080"))).contains("istio.stats");
  }

  @Test
  void metadataExchangeHeadersInMeshOnlySkipExternalClustersOnTheOutboundSide() throws Exception {
    String mesh = "defaultConfig: {proxyHeaders: {metadataExchangeHeaders: {mode: IN_MESH}}}";
    Map<String, Listener> ls = listeners(sidecar(), push(mesh));
    HttpFilter outboundMx = hcm(ls.get("0.0.0.0_80").getFilterChains(0)).getHttpFilters(0);
    var config =
        outboundMx
            .getTypedConfig()
            .unpack(com.github.udpa.udpa.type.v1.TypedStruct.class)
            .getValue()
            .getFieldsOrThrow("upstream_propagation")
            .getListValue()
            .getValues(0)
            .getStructValue()
            .getFieldsOrThrow("istio_headers")
            .getStructValue();
    assertThat(config.getFieldsOrThrow("skip_external_clusters").getBoolValue()).isTrue();
    // the inbound side is not concerned
    assertThat(hcm(chain(ls.get("virtualInbound"), "0.0.0.0_8080")).getHttpFilters(0))
        .isEqualTo(io.jistiod.pilot.envoy.telemetry.PeerMetadataFilters.SIDECAR_INBOUND);
  }
}
