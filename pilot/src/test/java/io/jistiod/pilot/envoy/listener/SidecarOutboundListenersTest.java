package io.jistiod.pilot.envoy.listener;

import static io.jistiod.pilot.envoy.listener.ListenerFixture.fqdn;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.hcm;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.listenerFilterNames;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.listeners;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.push;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.service;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.sidecar;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.tcpProxy;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.mesh.MeshConfigs;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a sidecar's outbound side turns each kind of service port and route into. */
class SidecarOutboundListenersTest {

  @Test
  void virtualOutboundPassesUnknownTrafficThroughByDefault() {
    Listener l = listeners(sidecar(), push()).get("virtualOutbound");
    assertThat(l.getAddress().getSocketAddress().getPortValue()).isEqualTo(15001);
    assertThat(l.getUseOriginalDst().getValue()).isTrue();
    assertThat(l.getListenerFiltersList()).isEmpty();
    assertThat(l.getFilterChainsList())
        .extracting(FilterChain::getName)
        .containsExactly("virtualOutbound-blackhole", "virtualOutbound-catchall-tcp");
    // a connection to 15001 itself would loop
    assertThat(l.getFilterChains(0).getFilterChainMatch().getDestinationPort().getValue())
        .isEqualTo(15001);
    assertThat(tcpProxy(l.getFilterChains(0)).getCluster()).isEqualTo("BlackHoleCluster");
    assertThat(tcpProxy(l.getFilterChains(1)).getCluster()).isEqualTo("PassthroughCluster");
    assertThat(tcpProxy(l.getFilterChains(1)).getStatPrefix()).isEqualTo("PassthroughCluster");
  }

  @Test
  void withoutInterceptionListenersBindLocalhostPortsAndNoCaptureListenersExist() throws Exception {
    Struct md =
        sidecar().metadata().raw().toBuilder()
            .putFields("INTERCEPTION_MODE", Value.newBuilder().setStringValue("NONE").build())
            .build();
    Proxy none =
        Proxy.fromNode(
            "sidecar~" + ListenerFixture.SIDECAR_IP + "~client-1.shop~shop.svc.cluster.local",
            md,
            Locality.UNKNOWN);
    Map<String, Listener> ls =
        listeners(
            none,
            push(
                service("cart", "10.0.0.1", 80, "http", "10.1.0.1", 8080)
                    + service("db", "10.0.0.2", 5432, "tcp", "10.1.0.2", 5432)));
    assertThat(ls.keySet()).containsExactlyInAnyOrder("127.0.0.1_80", "127.0.0.1_5432");
    // bound to the port (the default, so left unset), not handed over by a capture listener
    assertThat(ls.get("127.0.0.1_80").hasBindToPort()).isFalse();
    assertThat(ls.get("127.0.0.1_5432").getAddress().getSocketAddress().getAddress())
        .isEqualTo("127.0.0.1");
  }

  @Test
  void registryOnlyBlackholesUnknownTraffic() {
    MeshConfig mesh =
        MeshConfigs.defaults().toBuilder()
            .setOutboundTrafficPolicy(
                MeshConfig.OutboundTrafficPolicy.newBuilder()
                    .setMode(MeshConfig.OutboundTrafficPolicy.Mode.REGISTRY_ONLY))
            .build();
    Map<String, Listener> ls =
        listeners(sidecar(), push(mesh, service("cart", "10.0.0.1", 80, "http", "10.1.0.1", 8080)));
    assertThat(tcpProxy(ls.get("virtualOutbound").getFilterChains(1)).getCluster())
        .isEqualTo("BlackHoleCluster");
    assertThat(tcpProxy(ls.get("0.0.0.0_80").getDefaultFilterChain()).getCluster())
        .isEqualTo("BlackHoleCluster");
  }

  @Test
  void httpPortSharesAWildcardListenerOverRdsNamedByThePort() {
    Map<String, Listener> ls =
        listeners(
            sidecar(),
            push(
                service("cart", "10.0.0.1", 80, "http", "10.1.0.1", 8080),
                service("shop", "10.0.0.2", 80, "http-web", "10.1.0.2", 8080)));
    assertThat(ls).containsOnlyKeys("0.0.0.0_80", "virtualOutbound", "virtualInbound");
    Listener l = ls.get("0.0.0.0_80");
    assertThat(l.getBindToPort().getValue()).isFalse();
    assertThat(listenerFilterNames(l)).containsExactly("envoy.filters.listener.http_inspector");
    FilterChain http = l.getFilterChains(0);
    // HTTP is told apart by sniffing; anything else to port 80 passes through
    assertThat(http.getFilterChainMatch().getApplicationProtocolsList())
        .containsExactly("http/1.1", "h2c");
    assertThat(http.getFilterChainMatch().getTransportProtocol()).isEqualTo("raw_buffer");
    assertThat(l.getDefaultFilterChain().getName()).isEqualTo("PassthroughFilterChain");
    HttpConnectionManager h = hcm(http);
    assertThat(h.getRds().getRouteConfigName()).isEqualTo("80");
    assertThat(h.getRds().getConfigSource().hasAds()).isTrue();
    assertThat(h.getStatPrefix()).isEqualTo("outbound_0.0.0.0_80;");
    assertThat(h.getUseRemoteAddress().getValue()).isFalse();
    assertThat(h.getNormalizePath().getValue()).isTrue();
    assertThat(h.getHttpFiltersList())
        .extracting(HttpFilter::getName)
        .containsExactly(
            "istio.metadata_exchange",
            "envoy.filters.http.grpc_stats",
            "istio.alpn",
            "envoy.filters.http.fault",
            "envoy.filters.http.cors",
            "envoy.filters.http.router");
  }

  @Test
  void tcpPortListensOnTheServiceVipWithTcpProxy() {
    Listener l =
        listeners(sidecar(), push(service("db", "10.0.0.3", 5432, "tcp-pg", "10.1.0.3", 5432)))
            .get("10.0.0.3_5432");
    assertThat(l.getFilterChainsCount()).isEqualTo(1);
    assertThat(l.hasDefaultFilterChain()).isFalse();
    assertThat(l.getListenerFiltersList()).isEmpty();
    TcpProxy tcp = tcpProxy(l.getFilterChains(0));
    assertThat(tcp.getCluster()).isEqualTo("outbound|5432||" + fqdn("db"));
    assertThat(tcp.getStatPrefix()).isEqualTo("outbound|5432||" + fqdn("db"));
  }

  @Test
  void unnamedPortIsSniffedWithTcpAsTheDefaultAndRdsNamedByHostAndPort() {
    Listener l =
        listeners(sidecar(), push(service("raw", "10.0.0.4", 7000, "custom", "10.1.0.4", 7000)))
            .get("10.0.0.4_7000");
    assertThat(listenerFilterNames(l)).containsExactly("envoy.filters.listener.http_inspector");
    assertThat(hcm(l.getFilterChains(0)).getRds().getRouteConfigName())
        .isEqualTo(fqdn("raw") + ":7000");
    assertThat(tcpProxy(l.getDefaultFilterChain()).getCluster())
        .isEqualTo("outbound|7000||" + fqdn("raw"));
  }

  @Test
  void weightedTcpRouteSplitsAcrossSubsetClustersAndNamesItsVirtualService() {
    Listener l =
        listeners(
                sidecar(),
                push(
                    service("db", "10.0.0.3", 5432, "tcp-pg", "10.1.0.3", 5432),
                    """
                    apiVersion: networking.istio.io/v1
                    kind: VirtualService
                    metadata: {name: db-split, namespace: shop}
                    spec:
                      hosts: [db]
                      tcp:
                      - route:
                        - {destination: {host: db, subset: v1}, weight: 80}
                        - {destination: {host: db, subset: v2}, weight: 20}
                    """))
            .get("10.0.0.3_5432");
    FilterChain chain = l.getFilterChains(0);
    TcpProxy tcp = tcpProxy(chain);
    assertThat(tcp.getStatPrefix()).isEqualTo("db-split.shop");
    assertThat(tcp.getWeightedClusters().getClustersList())
        .extracting(c -> c.getName() + "=" + c.getWeight())
        .containsExactly(
            "outbound|5432|v1|" + fqdn("db") + "=80", "outbound|5432|v2|" + fqdn("db") + "=20");
    assertThat(
            chain
                .getMetadata()
                .getFilterMetadataOrThrow("istio")
                .getFieldsOrThrow("config")
                .getStringValue())
        .isEqualTo("/apis/networking.istio.io/v1/namespaces/shop/virtual-service/db-split");
  }

  @Test
  void tlsRoutesMatchBySniAndTlsServicesWithoutVipBySniOfTheirHost() {
    Map<String, Listener> ls =
        listeners(
            sidecar(),
            push(
                """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: ext, namespace: shop}
                spec:
                  hosts: [api.example.com, pay.example.com]
                  location: MESH_EXTERNAL
                  resolution: DNS
                  ports: [{name: tls, number: 443, protocol: TLS}]
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: pay, namespace: shop}
                spec:
                  hosts: [pay.example.com]
                  tls:
                  - match: [{sniHosts: [pay.example.com], port: 443}]
                    route: [{destination: {host: api.example.com}}]
                """));
    Listener l = ls.get("0.0.0.0_443");
    assertThat(listenerFilterNames(l)).containsExactly("envoy.filters.listener.tls_inspector");
    assertThat(l.getFilterChainsList())
        .extracting(
            c -> c.getFilterChainMatch().getServerNames(0) + "->" + tcpProxy(c).getCluster())
        .containsExactly(
            "api.example.com->outbound|443||api.example.com",
            "pay.example.com->outbound|443||api.example.com");
    assertThat(l.getDefaultFilterChain().getName()).isEqualTo("PassthroughFilterChain");
  }

  @Test
  void aOneHostCidrVipGetsItsOwnListener() {
    Map<String, Listener> ls =
        listeners(sidecar(), push(service("db", "10.2.0.9/32", 5432, "tcp", "10.2.0.9", 5432)));
    assertThat(ls).containsKey("10.2.0.9_5432");
  }

  @Test
  void sidecarEgressPortWithCaptureModeNoneBindsARealSocket() {
    Map<String, Listener> ls =
        listeners(
            sidecar(),
            push(
                service("cart", "10.0.0.1", 80, "http", "10.1.0.1", 8080),
                """
                apiVersion: networking.istio.io/v1
                kind: Sidecar
                metadata: {name: default, namespace: shop}
                spec:
                  egress:
                  - port: {number: 80, protocol: HTTP, name: http-local}
                    bind: 127.0.0.2
                    captureMode: NONE
                    hosts: [./*]
                  - port: {number: 9000, protocol: HTTP, name: http-other}
                    bind: 127.0.0.3
                    captureMode: NONE
                    hosts: [./*]
                """));
    Listener l = ls.get("127.0.0.2_80");
    assertThat(l).isNotNull();
    assertThat(l.hasBindToPort()).isFalse(); // unset = true: a real socket
    assertThat(hcm(l.getFilterChains(0)).getRds().getRouteConfigName()).isEqualTo("80");
    // the Sidecar has no catch-all egress listener, so port 80 gets no wildcard listener
    assertThat(ls).doesNotContainKey("0.0.0.0_80");
    // a port listener takes only the services with its port (istiod's port match): none has 9000
    assertThat(ls).doesNotContainKey("127.0.0.3_9000");
  }

  @Test
  void routeToAnUnknownHostStillBuildsTheListener() {
    Listener l =
        listeners(
                sidecar(),
                push(
                    service("db", "10.0.0.3", 5432, "tcp-pg", "10.1.0.3", 5432),
                    """
                    apiVersion: networking.istio.io/v1
                    kind: VirtualService
                    metadata: {name: db, namespace: shop}
                    spec:
                      hosts: [db]
                      tcp:
                      - route: [{destination: {host: nowhere.example.com}}]
                    """))
            .get("10.0.0.3_5432");
    assertThat(tcpProxy(l.getFilterChains(0)).getCluster())
        .isEqualTo("outbound|5432||nowhere.example.com");
  }

  @Test
  void namedListenersOnly() {
    var push = push(service("cart", "10.0.0.1", 80, "http", "10.1.0.1", 8080));
    assertThat(
            new EnvoyListenerGenerator()
                .generate(sidecar(), push, java.util.Set.of("virtualOutbound", "nope")))
        .extracting(r -> r.name())
        .containsExactly("virtualOutbound");
  }
}
