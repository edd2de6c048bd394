package io.jistiod.pilot.envoy.route;

import static io.jistiod.pilot.envoy.route.RouteFixture.push;
import static io.jistiod.pilot.envoy.route.RouteFixture.routes;
import static io.jistiod.pilot.envoy.route.RouteFixture.service;
import static io.jistiod.pilot.envoy.route.RouteFixture.vhost;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GatewayRoutesTest {
  /** The ingress gateway's own service: port 80 to 8080, 443 to 8443, as in Istio's chart. */
  private static final String INGRESS_SERVICE =
      """
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata: {name: istio-ingressgateway, namespace: istio-system}
      spec:
        hosts: [istio-ingressgateway.istio-system.svc.cluster.local]
        location: MESH_INTERNAL
        resolution: STATIC
        ports: [{name: http2, number: 80, targetPort: 8080}, {name: https, number: 443, targetPort: 8443}]
        endpoints: [{address: 10.9.0.7, labels: {istio: ingressgateway}}]
      ---
      """;

  private static final String GATEWAY =
      """
      apiVersion: networking.istio.io/v1
      kind: Gateway
      metadata: {name: web, namespace: shop}
      spec:
        selector: {istio: ingressgateway}
        servers:
        - port: {number: 80, name: http, protocol: HTTP}
          hosts: [shop.example.com, "./admin.example.com", "other-ns/hidden.example.com"]
        - port: {number: 443, name: https, protocol: HTTPS}
          hosts: ["*.example.com"]
          tls: {mode: SIMPLE, credentialName: shop-cert}
      ---
      """;

  private static final String VS =
      """
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata: {name: shop, namespace: shop}
      spec:
        hosts: [shop.example.com, admin.example.com, hidden.example.com]
        gateways: [web]
        http:
        - match: [{uri: {prefix: /api}}]
          route: [{destination: {host: api}}]
        - route: [{destination: {host: frontend}}]
      ---
      """;

  private static Proxy gateway() {
    return RouteFixture.proxy(
        "router~10.9.0.7~ingress-1.istio-system~istio-system.svc.cluster.local",
        "istio-system",
        Map.of("istio", "ingressgateway"));
  }

  private static PushContext push(String... extra) {
    return RouteFixture.push(
        INGRESS_SERVICE
            + service("api", 9090, "http", "10.96.0.40")
            + service("frontend", 8000, "http", "10.96.0.41")
            + GATEWAY
            + String.join("", extra));
  }

  @Test
  void httpServersAreNamedByTheirListenPortAndCarryTheBoundVirtualService() {
    RouteConfiguration rc = routes(gateway(), push(VS), "http.8080");
    assertThat(rc.getName()).isEqualTo("http.8080");
    assertThat(rc.getIgnorePortInHostMatching()).isTrue();
    assertThat(rc.getValidateClusters().getValue()).isFalse();
    // hosts of both server and VirtualService; a host qualified with another namespace is not
    // the VirtualService's to use; identical route lists share one virtual host
    assertThat(rc.getVirtualHostsList()).hasSize(1);
    VirtualHost vh = rc.getVirtualHosts(0);
    assertThat(vh.getName()).isEqualTo("admin.example.com:80");
    assertThat(vh.getDomainsList()).containsExactly("admin.example.com", "shop.example.com");
    // a destination without a port takes its service's only port
    assertThat(vh.getRoutesList())
        .extracting(r -> r.getRoute().getCluster())
        .containsExactly(
            "outbound|9090||api.shop.svc.cluster.local",
            "outbound|8000||frontend.shop.svc.cluster.local");
    assertThat(vh.getRoutes(0).getDecorator().getOperation())
        .isEqualTo("api.shop.svc.cluster.local:9090/api*");
  }

  @Test
  void httpsServersAreNamedByPortNameGatewayAndNamespace() {
    RouteConfiguration rc = routes(gateway(), push(VS), "https.443.https.web.shop");
    // the wildcard server host yields the VirtualService's concrete hosts
    assertThat(rc.getVirtualHostsList()).hasSize(1);
    assertThat(rc.getVirtualHosts(0).getName()).isEqualTo("admin.example.com:443");
    assertThat(rc.getVirtualHosts(0).getDomainsList())
        .containsExactly("admin.example.com", "hidden.example.com", "shop.example.com");
  }

  @Test
  void withoutAVirtualServiceEnvoyAnswers404() {
    RouteConfiguration rc = routes(gateway(), push(), "http.8080");
    assertThat(rc.getVirtualHostsList()).hasSize(1);
    VirtualHost vh = rc.getVirtualHosts(0);
    assertThat(vh.getName()).isEqualTo("blackhole:80");
    assertThat(vh.getDomainsList()).containsExactly("*");
    assertThat(vh.getRoutesList()).isEmpty();
  }

  @Test
  void httpsRedirectRequiresTls() {
    String redirecting =
        GATEWAY.replace(
            "hosts: [shop.example.com, \"./admin.example.com\", \"other-ns/hidden.example.com\"]",
            "hosts: [shop.example.com, plain.example.com]\n    tls: {httpsRedirect: true}");
    PushContext push =
        RouteFixture.push(
            INGRESS_SERVICE + service("api", 9090, "http", "10.96.0.40") + redirecting + VS);
    RouteConfiguration rc = routes(gateway(), push, "http.8080");
    VirtualHost shop = vhost(rc, "shop.example.com:80");
    assertThat(shop.getRequireTls()).isEqualTo(VirtualHost.TlsRequirementType.ALL);
    assertThat(shop.getRoutesCount()).isEqualTo(2);
    VirtualHost plain = vhost(rc, "plain.example.com:80");
    assertThat(plain.getRequireTls()).isEqualTo(VirtualHost.TlsRequirementType.ALL);
    assertThat(plain.getRoutesList()).isEmpty();
  }

  @Test
  void aNameNoServerHasGetsAnEmptyConfiguration() {
    RouteConfiguration rc = routes(gateway(), push(VS), "http.9999");
    assertThat(rc.getVirtualHostsList()).isEmpty();
  }

  @Test
  void aGatewayWhoseSelectorDoesNotMatchIsIgnored() {
    Proxy other =
        RouteFixture.proxy(
            "router~10.9.0.8~egress-1.istio-system~istio-system.svc.cluster.local",
            "istio-system",
            Map.of("istio", "egressgateway"));
    assertThat(routes(other, push(VS), "http.80").getVirtualHostsList()).isEmpty();
  }

  @Test
  void aRedirectOnAnHttpsServerDefaultsToHttps() {
    String vs =
        VS.replace(
            "- route: [{destination: {host: frontend}}]",
            "- redirect: {derivePort: FROM_REQUEST_PORT}");
    RouteConfiguration rc = routes(gateway(), push(vs), "https.443.https.web.shop");
    var redirect = rc.getVirtualHosts(0).getRoutes(1).getRedirect();
    assertThat(redirect.getPortRedirect()).isZero(); // 443 is https's own port
  }
}
