package io.jistiod.pilot.envoy.listener;

import static io.jistiod.pilot.envoy.listener.ListenerFixture.GATEWAY_IP;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.fqdn;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.gateway;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.hcm;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.listenerFilterNames;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.listeners;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.push;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.service;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.tcpProxy;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.tls;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What each kind of Gateway server turns into on the gateway proxy that the Gateway selects. */
class GatewayListenersTest {
  /** The gateway pod backs a service mapping 80 -> 8080, 443 -> 8443. */
  private static final String GATEWAY_SERVICE =
      """
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata: {name: ingressgateway, namespace: shop}
      spec:
        hosts: [ingressgateway.shop.svc.cluster.local]
        addresses: [10.0.0.50]
        location: MESH_INTERNAL
        resolution: STATIC
        ports:
        - {name: http, number: 80, targetPort: 8080}
        - {name: https, number: 443, targetPort: 8443, protocol: HTTPS}
        endpoints: [{address: %s, labels: {istio: ingressgateway}}]
      ---
      """
          .formatted(GATEWAY_IP);

  private static String gatewayWith(String servers) {
    return """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: shop}
        spec:
          selector: {istio: ingressgateway}
          servers:
        %s
        ---
        """
        .formatted(servers.indent(2));
  }

  @Test
  void httpServerListensOnTheTargetPortWithRdsNamedByIt() {
    Map<String, Listener> ls =
        listeners(
            gateway("shop"),
            push(
                GATEWAY_SERVICE,
                gatewayWith(
                    """
                    - port: {number: 80, name: http, protocol: HTTP}
                      hosts: ["*"]
                    """)));
    assertThat(ls).containsOnlyKeys("0.0.0.0_8080");
    Listener l = ls.get("0.0.0.0_8080");
    assertThat(l.hasBindToPort()).isFalse(); // a real socket
    assertThat(l.getListenerFiltersList()).isEmpty();
    FilterChain chain = l.getFilterChains(0);
    assertThat(chain.hasFilterChainMatch()).isFalse();
    HttpConnectionManager h = hcm(chain);
    assertThat(h.getRds().getRouteConfigName()).isEqualTo("http.8080");
    assertThat(h.getUseRemoteAddress().getValue()).isTrue();
    assertThat(h.getForwardClientCertDetails())
        .isEqualTo(HttpConnectionManager.ForwardClientCertDetails.SANITIZE_SET);
    assertThat(h.getStatPrefix()).isEqualTo("outbound_0.0.0.0_8080;");
  }

  @Test
  void gatewaysThatDoNotSelectTheProxyAreIgnored() {
    Map<String, Listener> ls =
        listeners(
            ListenerFixture.proxy("router", GATEWAY_IP, "gw-1", "shop", Map.of("istio", "egress")),
            push(
                GATEWAY_SERVICE,
                gatewayWith(
                    """
                    - port: {number: 80, name: http, protocol: HTTP}
                      hosts: ["*"]
                    """)));
    assertThat(ls).isEmpty();
  }

  @Test
  void simpleAndMutualServersGetAChainEachBySniWithSdsCredentials() {
    Listener l =
        listeners(
                gateway("shop"),
                push(
                    GATEWAY_SERVICE,
                    gatewayWith(
                        """
                        - port: {number: 443, name: https-a, protocol: HTTPS}
                          hosts: [a.example.com]
                          tls: {mode: SIMPLE, credentialName: a-cred, minProtocolVersion: TLSV1_2}
                        - port: {number: 443, name: https-b, protocol: HTTPS}
                          hosts: [b.example.com]
                          tls: {mode: MUTUAL, credentialName: b-cred, subjectAltNames: [client.example.com]}
                        """)))
            .get("0.0.0.0_8443");
    assertThat(listenerFilterNames(l)).containsExactly("envoy.filters.listener.tls_inspector");
    assertThat(l.getFilterChainsCount()).isEqualTo(2);

    FilterChain a = l.getFilterChains(0);
    assertThat(a.getFilterChainMatch().getServerNamesList()).containsExactly("a.example.com");
    assertThat(hcm(a).getRds().getRouteConfigName()).isEqualTo("https.443.https-a.gw.shop");
    DownstreamTlsContext simple = tls(a);
    assertThat(simple.getRequireClientCertificate().getValue()).isFalse();
    assertThat(simple.getCommonTlsContext().getTlsCertificateSdsSecretConfigs(0).getName())
        .isEqualTo("kubernetes://a-cred");
    assertThat(
            simple
                .getCommonTlsContext()
                .getTlsCertificateSdsSecretConfigs(0)
                .getSdsConfig()
                .hasAds())
        .isTrue();
    assertThat(simple.getCommonTlsContext().getTlsParams().getTlsMinimumProtocolVersion().name())
        .isEqualTo("TLSv1_2");

    DownstreamTlsContext mutual = tls(l.getFilterChains(1));
    assertThat(mutual.getRequireClientCertificate().getValue()).isTrue();
    var validation = mutual.getCommonTlsContext().getCombinedValidationContext();
    assertThat(validation.getValidationContextSdsSecretConfig().getName())
        .isEqualTo("kubernetes://b-cred-cacert");
    assertThat(validation.getDefaultValidationContext().getMatchSubjectAltNames(0).getExact())
        .isEqualTo("client.example.com");
  }

  @Test
  void credentialNamesPinsAndSimpleSansReachTheTlsContextAsInIstiod() {
    Listener l =
        listeners(
                gateway("shop"),
                push(
                    GATEWAY_SERVICE,
                    gatewayWith(
                        """
                        - port: {number: 443, name: https-a, protocol: HTTPS}
                          hosts: [a.example.com]
                          tls: {mode: SIMPLE, credentialNames: [a-rsa, a-ecdsa], subjectAltNames: [x.example.com]}
                        - port: {number: 443, name: https-b, protocol: HTTPS}
                          hosts: [b.example.com]
                          tls:
                            mode: OPTIONAL_MUTUAL
                            credentialNames: [b-rsa, b-ecdsa]
                            verifyCertificateSpki: [2hBtlFvXvsjmkQFUd+J2LH1nT0jw0sP8bNWBE2t9D1M=]
                            verifyCertificateHash: ["6b:a2:1b:8e"]
                        """)))
            .get("0.0.0.0_8443");
    var simple = tls(l.getFilterChains(0)).getCommonTlsContext();
    assertThat(simple.getTlsCertificateSdsSecretConfigsList())
        .extracting(c -> c.getName())
        .containsExactly("kubernetes://a-rsa", "kubernetes://a-ecdsa");
    assertThat(simple.getValidationContext().getMatchSubjectAltNames(0).getExact())
        .isEqualTo("x.example.com");

    DownstreamTlsContext optional = tls(l.getFilterChains(1));
    assertThat(optional.getRequireClientCertificate().getValue()).isFalse();
    var common = optional.getCommonTlsContext();
    assertThat(common.getTlsCertificateSdsSecretConfigsList())
        .extracting(c -> c.getName())
        .containsExactly("kubernetes://b-rsa", "kubernetes://b-ecdsa");
    var validation = common.getCombinedValidationContext();
    // one CA for every certificate: the first credential's
    assertThat(validation.getValidationContextSdsSecretConfig().getName())
        .isEqualTo("kubernetes://b-rsa-cacert");
    assertThat(validation.getDefaultValidationContext().getVerifyCertificateSpkiList())
        .containsExactly("2hBtlFvXvsjmkQFUd+J2LH1nT0jw0sP8bNWBE2t9D1M=");
    assertThat(validation.getDefaultValidationContext().getVerifyCertificateHashList())
        .containsExactly("6b:a2:1b:8e");
  }

  @Test
  void istioMutualUsesTheWorkloadCertificate() {
    DownstreamTlsContext ctx =
        tls(
            listeners(
                    gateway("shop"),
                    push(
                        GATEWAY_SERVICE,
                        gatewayWith(
                            """
                            - port: {number: 443, name: https, protocol: HTTPS}
                              hosts: ["*"]
                              tls: {mode: ISTIO_MUTUAL}
                            """)))
                .get("0.0.0.0_8443")
                .getFilterChains(0));
    assertThat(ctx.getCommonTlsContext().getTlsCertificateSdsSecretConfigs(0).getName())
        .isEqualTo("default");
    assertThat(
            ctx.getCommonTlsContext()
                .getCombinedValidationContext()
                .getValidationContextSdsSecretConfig()
                .getName())
        .isEqualTo("ROOTCA");
    assertThat(ctx.getRequireClientCertificate().getValue()).isTrue();
  }

  @Test
  void fileMountedCertificatesComeFromTheAgentsSds() {
    DownstreamTlsContext ctx =
        tls(
            listeners(
                    gateway("shop"),
                    push(
                        GATEWAY_SERVICE,
                        gatewayWith(
                            """
                            - port: {number: 443, name: https, protocol: HTTPS}
                              hosts: ["*"]
                              tls:
                                mode: MUTUAL
                                serverCertificate: /etc/certs/tls.crt
                                privateKey: /etc/certs/tls.key
                                caCertificates: /etc/certs/ca.crt
                            """)))
                .get("0.0.0.0_8443")
                .getFilterChains(0));
    var cert = ctx.getCommonTlsContext().getTlsCertificateSdsSecretConfigs(0);
    assertThat(cert.getName()).isEqualTo("file-cert:/etc/certs/tls.crt~/etc/certs/tls.key");
    assertThat(cert.getSdsConfig().hasApiConfigSource()).isTrue();
    assertThat(
            ctx.getCommonTlsContext()
                .getCombinedValidationContext()
                .getValidationContextSdsSecretConfig()
                .getName())
        .isEqualTo("file-root:/etc/certs/ca.crt");
    assertThat(ctx.getRequireClientCertificate().getValue()).isTrue();
  }

  @Test
  void passthroughRoutesBySniToTheVirtualServiceDestination() {
    Listener l =
        listeners(
                gateway("shop"),
                push(
                    GATEWAY_SERVICE,
                    service("nginx", "10.0.0.9", 443, "https", "10.1.0.9", 8443),
                    gatewayWith(
                        """
                        - port: {number: 443, name: tls, protocol: TLS}
                          hosts: [nginx.example.com]
                          tls: {mode: PASSTHROUGH}
                        """),
                    """
                    apiVersion: networking.istio.io/v1
                    kind: VirtualService
                    metadata: {name: nginx, namespace: shop}
                    spec:
                      hosts: [nginx.example.com]
                      gateways: [gw]
                      tls:
                      - match: [{sniHosts: [nginx.example.com]}]
                        route: [{destination: {host: nginx, port: {number: 443}}}]
                    """))
            .get("0.0.0.0_8443");
    FilterChain chain = l.getFilterChains(0);
    assertThat(chain.getFilterChainMatch().getServerNamesList())
        .containsExactly("nginx.example.com");
    assertThat(chain.hasTransportSocket()).isFalse();
    assertThat(tcpProxy(chain).getCluster()).isEqualTo("outbound|443||" + fqdn("nginx"));
  }

  @Test
  void autoPassthroughMatchesIstioSniPerServicePortAndSubset() {
    Listener l =
        listeners(
                gateway("shop"),
                push(
                    service("cart", "10.0.0.1", 80, "http", "10.1.0.1", 8080),
                    gatewayWith(
                        """
                        - port: {number: 15443, name: tls, protocol: TLS}
                          hosts: ["*.shop.svc.cluster.local"]
                          tls: {mode: AUTO_PASSTHROUGH}
                        """),
                    """
                    apiVersion: networking.istio.io/v1
                    kind: DestinationRule
                    metadata: {name: cart, namespace: shop}
                    spec:
                      host: cart
                      subsets: [{name: v1, labels: {version: v1}}]
                    """))
            .get("0.0.0.0_15443");
    assertThat(l.getFilterChainsList())
        .extracting(c -> c.getFilterChainMatch().getServerNames(0))
        .containsExactly("outbound_.80_._." + fqdn("cart"), "outbound_.80_.v1_." + fqdn("cart"));
    assertThat(l.getFilterChains(0).getFilterChainMatch().getApplicationProtocolsList())
        .contains("istio", "istio-peer-exchange");
    assertThat(tcpProxy(l.getFilterChains(1)).getCluster())
        .isEqualTo("outbound_.80_.v1_." + fqdn("cart"));
  }

  @Test
  void tcpServerProxiesToTheVirtualServiceTcpRoute() {
    Listener l =
        listeners(
                gateway("shop"),
                push(
                    service("db", "10.0.0.3", 5432, "tcp", "10.1.0.3", 5432),
                    gatewayWith(
                        """
                        - port: {number: 5432, name: tcp, protocol: TCP}
                          hosts: ["*"]
                        """),
                    """
                    apiVersion: networking.istio.io/v1
                    kind: VirtualService
                    metadata: {name: db, namespace: shop}
                    spec:
                      hosts: ["*"]
                      gateways: [gw]
                      tcp: [{route: [{destination: {host: db}}]}]
                    """))
            .get("0.0.0.0_5432");
    assertThat(tcpProxy(l.getFilterChains(0)).getCluster())
        .isEqualTo("outbound|5432||" + fqdn("db"));
  }

  @Test
  void aTcpServerWithoutRoutesGetsNoListenerAndADuplicateTlsHostIsDropped() {
    Map<String, Listener> ls =
        listeners(
            gateway("shop"),
            push(
                GATEWAY_SERVICE,
                gatewayWith(
                    """
                    - port: {number: 5432, name: tcp, protocol: TCP}
                      hosts: ["*"]
                    - port: {number: 443, name: https-a, protocol: HTTPS}
                      hosts: [a.example.com]
                      tls: {mode: SIMPLE, credentialName: a-cred}
                    - port: {number: 443, name: https-b, protocol: HTTPS}
                      hosts: [a.example.com]
                      tls: {mode: SIMPLE, credentialName: b-cred}
                    """)));
    assertThat(ls).containsOnlyKeys("0.0.0.0_8443");
    assertThat(ls.get("0.0.0.0_8443").getFilterChainsCount()).isEqualTo(1);
  }

  /** As the Gateway API's generated Gateways: bound through a service, not by a selector. */
  private static String serviceBoundGateway(String annotations, String servers) {
    return """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata:
          name: gw-istio-autogenerated-k8s-gateway-http
          namespace: shop
          annotations:
        %s
        spec:
          servers:
        %s
        ---
        """
        .formatted(annotations.indent(4), servers.indent(2));
  }

  @Test
  void aGatewayBoundThroughItsServiceServesOnlyTheProxiesBehindIt() {
    String gw =
        serviceBoundGateway(
            "internal.istio.io/gateway-service: ingressgateway.shop.svc.cluster.local",
            """
            - port: {number: 80, name: default, protocol: HTTP}
              hosts: ["shop/*"]
            - port: {number: 9090, name: default, protocol: HTTP}
              hosts: ["shop/*"]
            """);
    // the proxy behind the service: 80 is its target port 8080; 9090 is no port of the service,
    // so that server is a no-op (a selector-bound Gateway would listen on 9090 as it is)
    assertThat(listeners(gateway("shop"), push(GATEWAY_SERVICE, gw)))
        .containsOnlyKeys("0.0.0.0_8080");
    // another gateway proxy, whatever its labels: the Gateway has no selector, yet is not its own
    Map<String, Listener> other =
        listeners(
            ListenerFixture.proxy(
                "router", "10.9.9.9", "other-1", "shop", Map.of("istio", "ingressgateway")),
            push(GATEWAY_SERVICE, gw));
    assertThat(other).isEmpty();
  }

  @Test
  void aServiceBoundGatewayOnlyCountsServicesOfItsOwnOrItsParentNamespace() {
    String servers =
        """
        - port: {number: 80, name: default, protocol: HTTP}
          hosts: ["*/*"]
        """;
    String otherNamespace =
        serviceBoundGateway(
            """
            internal.istio.io/gateway-service: ingressgateway.shop.svc.cluster.local
            internal.istio.io/parent-namespace: elsewhere
            """,
            servers);
    assertThat(listeners(gateway("shop"), push(GATEWAY_SERVICE, otherNamespace))).isEmpty();
    String parentIsShop =
        serviceBoundGateway(
            """
            internal.istio.io/gateway-service: a.example,ingressgateway.shop.svc.cluster.local
            internal.istio.io/parent-namespace: shop
            """,
            servers);
    assertThat(listeners(gateway("shop"), push(GATEWAY_SERVICE, parentIsShop)))
        .containsOnlyKeys("0.0.0.0_8080");
  }
}
