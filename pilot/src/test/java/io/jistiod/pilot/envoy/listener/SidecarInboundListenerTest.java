package io.jistiod.pilot.envoy.listener;

import static io.jistiod.pilot.envoy.listener.ListenerFixture.SIDECAR_IP;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.fqdn;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.hcm;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.listeners;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.push;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.service;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.sidecar;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.tcpProxy;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.tls;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.extensions.filters.listener.original_src.v3.OriginalSrc;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * virtualInbound: chains per port the workload serves, permissive mTLS, passthrough for the rest.
 */
class SidecarInboundListenerTest {

  /** The proxy backs "web" (HTTP, service port 80 -> 8080) and "db" (TCP 5432). */
  private static Listener inbound() {
    return listeners(
            sidecar(),
            push(
                service("web", "10.0.0.1", 80, "http", SIDECAR_IP, 8080),
                service("db", "10.0.0.2", 5432, "tcp", SIDECAR_IP, 5432)))
        .get("virtualInbound");
  }

  private static List<FilterChain> chains(Listener l, String name) {
    return l.getFilterChainsList().stream().filter(c -> c.getName().equals(name)).toList();
  }

  @Test
  void listensOn15006WithOriginalDestinationAndInspectors() {
    Listener l = inbound();
    assertThat(l.getAddress().getSocketAddress().getPortValue()).isEqualTo(15006);
    assertThat(l.getListenerFiltersList())
        .extracting(ListenerFilter::getName)
        .containsExactly(
            "envoy.filters.listener.original_dst",
            "envoy.filters.listener.tls_inspector",
            "envoy.filters.listener.http_inspector");
    // the HTTP inspector is off where the protocol is known (8080, 5432) and on 15006 itself
    assertThat(l.getListenerFilters(2).getFilterDisabled().getOrMatch().getRulesList())
        .extracting(r -> r.getDestinationPortRange().getStart())
        .containsExactly(5432, 8080, 15006);
    assertThat(l.getListenerFilters(1).getFilterDisabled().getDestinationPortRange().getStart())
        .isEqualTo(15006);
  }

  @Test
  void tproxyInterceptionMakesTheCaptureListenersTransparentAndKeepsTheSourceInbound()
      throws Exception {
    Proxy p = sidecar();
    Struct md =
        p.metadata().raw().toBuilder()
            .putFields("INTERCEPTION_MODE", Value.newBuilder().setStringValue("TPROXY").build())
            .build();
    Proxy tproxy =
        Proxy.fromNode(
            "sidecar~" + SIDECAR_IP + "~client-1.shop~shop.svc.cluster.local",
            md,
            Locality.UNKNOWN);
    Map<String, Listener> all =
        listeners(tproxy, push(service("web", "10.0.0.1", 80, "http", SIDECAR_IP, 8080)));
    Listener in = all.get("virtualInbound");
    assertThat(in.getTransparent().getValue()).isTrue();
    assertThat(in.getListenerFiltersList())
        .extracting(ListenerFilter::getName)
        .startsWith("envoy.filters.listener.original_dst", "envoy.filters.listener.original_src");
    assertThat(in.getListenerFilters(1).getTypedConfig().unpack(OriginalSrc.class).getMark())
        .isEqualTo(1337);
    assertThat(all.get("virtualOutbound").getTransparent().getValue()).isTrue();

    // REDIRECT (the default) has neither
    Listener redirect = inbound();
    assertThat(redirect.hasTransparent()).isFalse();
    assertThat(redirect.getListenerFiltersList())
        .extracting(ListenerFilter::getName)
        .doesNotContain("envoy.filters.listener.original_src");
  }

  @Test
  void httpPortTakesIstioMtlsOrPlaintextWithAnInlineRouteToTheInboundCluster() {
    List<FilterChain> web = chains(inbound(), "0.0.0.0_8080");
    assertThat(web).hasSize(2);
    FilterChain mtls = web.get(0);
    assertThat(mtls.getFilterChainMatch().getDestinationPort().getValue()).isEqualTo(8080);
    assertThat(mtls.getFilterChainMatch().getTransportProtocol()).isEqualTo("tls");
    assertThat(mtls.getFilterChainMatch().getApplicationProtocolsList())
        .containsExactly(
            "istio", "istio-peer-exchange", "istio-http/1.0", "istio-http/1.1", "istio-h2");
    DownstreamTlsContext ctx = tls(mtls);
    assertThat(ctx.getRequireClientCertificate().getValue()).isTrue();
    assertThat(ctx.getCommonTlsContext().getTlsCertificateSdsSecretConfigs(0).getName())
        .isEqualTo("default");
    assertThat(
            ctx.getCommonTlsContext()
                .getCombinedValidationContext()
                .getValidationContextSdsSecretConfig()
                .getName())
        .isEqualTo("ROOTCA");
    assertThat(ctx.getCommonTlsContext().getAlpnProtocolsList()).containsExactly("h2", "http/1.1");
    FilterChain plain = web.get(1);
    assertThat(plain.getFilterChainMatch().getTransportProtocol()).isEqualTo("raw_buffer");
    assertThat(plain.hasTransportSocket()).isFalse();
    HttpConnectionManager h = hcm(plain);
    assertThat(h.getStatPrefix()).isEqualTo("inbound_0.0.0.0_8080;");
    assertThat(h.getRouteConfig().getName()).isEqualTo("inbound|8080||");
    assertThat(h.getRouteConfig().getVirtualHosts(0).getName()).isEqualTo("inbound|http|80");
    assertThat(h.getRouteConfig().getVirtualHosts(0).getRoutes(0).getDecorator().getOperation())
        .isEqualTo(fqdn("web") + ":80/*");
    assertThat(h.getServerName()).isEqualTo("istio-envoy");
  }

  @Test
  void tcpPortPassesNonIstioTlsThrough() {
    List<FilterChain> db = chains(inbound(), "0.0.0.0_5432");
    assertThat(db)
        .extracting(
            c ->
                c.getFilterChainMatch().getTransportProtocol()
                    + c.getFilterChainMatch().getApplicationProtocolsList()
                    + c.hasTransportSocket())
        .containsExactly(
            "tls[istio, istio-peer-exchange, istio-http/1.0, istio-http/1.1, istio-h2]true",
            "tls[]false",
            "raw_buffer[]false");
    assertThat(db).allMatch(c -> tcpProxy(c).getCluster().equals("inbound|5432||"));
  }

  @Test
  void unknownPortsGoToInboundPassthroughAndTheListenerPortItselfIsBlackholed() {
    Listener l = inbound();
    assertThat(l.getFilterChains(0).getName()).isEqualTo("virtualInbound-blackhole");
    assertThat(tcpProxy(l.getFilterChains(0)).getCluster()).isEqualTo("BlackHoleCluster");
    assertThat(chains(l, "virtualInbound")).hasSize(3);
    assertThat(chains(l, "virtualInbound"))
        .allMatch(c -> tcpProxy(c).getCluster().equals("InboundPassthroughCluster"));
    assertThat(chains(l, "virtualInbound-catchall-http"))
        .allMatch(c -> hcm(c).getRouteConfig().getName().equals("InboundPassthroughCluster"));
  }

  @Test
  void sidecarIngressListenersReplaceTheServicePorts() {
    Listener l =
        listeners(
                sidecar(),
                push(
                    service("web", "10.0.0.1", 80, "http", SIDECAR_IP, 8080),
                    """
                    apiVersion: networking.istio.io/v1
                    kind: Sidecar
                    metadata: {name: ingress, namespace: shop}
                    spec:
                      ingress:
                      - port: {number: 9090, protocol: HTTP, name: http-admin}
                        defaultEndpoint: 127.0.0.1:9090
                    """))
            .get("virtualInbound");
    assertThat(chains(l, "0.0.0.0_8080")).isEmpty();
    List<FilterChain> admin = chains(l, SIDECAR_IP + "_9090");
    assertThat(admin).hasSize(2);
    assertThat(hcm(admin.get(1)).getRouteConfig().getName()).isEqualTo("inbound|9090||");
    assertThat(
            admin
                .get(0)
                .getMetadata()
                .getFilterMetadataOrThrow("istio")
                .getFieldsOrThrow("config")
                .getStringValue())
        .isEqualTo("/apis/networking.istio.io/v1/namespaces/shop/sidecar/ingress");
  }
}
