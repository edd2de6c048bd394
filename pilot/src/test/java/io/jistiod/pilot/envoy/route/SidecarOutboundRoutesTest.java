package io.jistiod.pilot.envoy.route;

import static io.jistiod.pilot.envoy.route.RouteFixture.NS;
import static io.jistiod.pilot.envoy.route.RouteFixture.fqdn;
import static io.jistiod.pilot.envoy.route.RouteFixture.push;
import static io.jistiod.pilot.envoy.route.RouteFixture.routes;
import static io.jistiod.pilot.envoy.route.RouteFixture.service;
import static io.jistiod.pilot.envoy.route.RouteFixture.sidecar;
import static io.jistiod.pilot.envoy.route.RouteFixture.vhost;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.mesh.MeshConfigs;
import io.jistiod.pilot.push.PushContext;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SidecarOutboundRoutesTest {

  @Test
  void everyHttpServiceOnThePortGetsAVirtualHostWithTheDefaultRoute() {
    PushContext push =
        push(
            service("reviews", 9080, "http", "10.96.0.10")
                + service("ratings", 9080, "http-api", "10.96.0.11")
                + service("db", 9080, "tcp", "10.96.0.12")
                + service("web", 80, "http", "10.96.0.13"));
    RouteConfiguration rc = routes(sidecar(), push, "9080");

    assertThat(rc.getName()).isEqualTo("9080");
    assertThat(rc.getValidateClusters().getValue()).isFalse();
    assertThat(rc.getIgnorePortInHostMatching()).isTrue();
    assertThat(rc.getMaxDirectResponseBodySizeBytes().getValue()).isEqualTo(1024 * 1024);
    // sorted by name, TCP and other ports left out, catch-all last
    assertThat(rc.getVirtualHostsList())
        .extracting(VirtualHost::getName)
        .containsExactly(fqdn("ratings") + ":9080", fqdn("reviews") + ":9080", "allow_any");

    VirtualHost reviews = vhost(rc, fqdn("reviews") + ":9080");
    assertThat(reviews.getDomainsList())
        .containsExactly(
            fqdn("reviews"),
            fqdn("reviews") + ".",
            "reviews",
            "reviews.shop.svc",
            "reviews.shop",
            "10.96.0.10");
    assertThat(reviews.getIncludeRequestAttemptCount()).isTrue();
    Route r = reviews.getRoutes(0);
    assertThat(r.getName()).isEqualTo("default");
    assertThat(r.getMatch().getPrefix()).isEqualTo("/");
    assertThat(r.getMatch().hasCaseSensitive()).isFalse();
    assertThat(r.getDecorator().getOperation()).isEqualTo(fqdn("reviews") + ":9080/*");
    assertThat(r.getRoute().getCluster()).isEqualTo("outbound|9080||" + fqdn("reviews"));
    assertThat(r.getRoute().getTimeout().getSeconds()).isZero();
    assertThat(r.getRoute().hasTimeout()).isTrue();
    assertThat(r.getRoute().getMaxGrpcTimeout().getSeconds()).isZero();
    var retry = r.getRoute().getRetryPolicy();
    assertThat(retry.getNumRetries().getValue()).isEqualTo(2);
    assertThat(retry.getRetryOn())
        .isEqualTo("connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes");
    assertThat(retry.getHostSelectionRetryMaxAttempts()).isEqualTo(5);
    assertThat(retry.getRetryHostPredicateList())
        .extracting(p -> p.getName())
        .containsExactly("envoy.retry_host_predicates.previous_hosts");
  }

  /** A VirtualService as istiod generates it from an HTTPRoute with a Service parent. */
  private static String gammaRoute(String name, String namespace, String header) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: %s
          namespace: %s
          annotations: {internal.istio.io/route-semantics: gateway}
        spec:
          hosts: [%s]
          gateways: [mesh]
          http:
          - headers: {request: {add: {x-route: %s}}}
            route: [{destination: {host: %s, port: {number: 9080}}}]
        ---
        """
        .formatted(name, namespace, fqdn("reviews"), header, fqdn("reviews"));
  }

  @Test
  void aGatewayApiMeshRouteAppliesInItsServicesOrItsOwnNamespaceOnly() {
    PushContext push =
        push(
            service("reviews", 9080, "http", "10.96.0.10")
                + service("web", 80, "http", "10.96.0.13")
                + gammaRoute("a-consumer", "team", "consumer"));
    // the consumer namespace's clients take it
    VirtualHost team =
        vhost(routes(sidecar("team", Map.of()), push, "9080"), fqdn("reviews") + ":9080");
    assertThat(team.getRoutes(0).getRequestHeadersToAddList())
        .extracting(h -> h.getHeader().getValue())
        .containsExactly("consumer");
    // everyone else, the Service's own namespace included, keeps the default route
    for (String ns : java.util.List.of("elsewhere", NS)) {
      VirtualHost other =
          vhost(routes(sidecar(ns, Map.of()), push, "9080"), fqdn("reviews") + ":9080");
      assertThat(other.getRoutes(0).getName()).isEqualTo("default");
    }
    // and on port 80, where other VirtualServices also name hosts outside the registry, a
    // Gateway API route for a service without that port gives no virtual host
    assertThat(routes(sidecar("team", Map.of()), push, "80").getVirtualHostsList())
        .extracting(VirtualHost::getName)
        .doesNotContain(fqdn("reviews") + ":80");
  }

  @Test
  void headerMatchNamesKeepTheirCaseAndSortByByteAsInIstiod() {
    PushContext push =
        push(
            service("reviews", 9080, "http", "10.96.0.10")
                + """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews, namespace: shop}
                spec:
                  hosts: [reviews]
                  http:
                  - match:
                    - headers:
                        x-region: {regex: "eu-.*"}
                        X-Tenant: {exact: Blue}
                    route: [{destination: {host: reviews}}]
                """);
    VirtualHost v = vhost(routes(sidecar(), push, "9080"), fqdn("reviews") + ":9080");
    assertThat(v.getRoutes(0).getMatch().getHeadersList())
        .extracting(h -> h.getName())
        .containsExactly("X-Tenant", "x-region");
  }

  @Test
  void aVirtualServiceNamingAServiceExactlyWinsOverAWildcardOneListedBefore() {
    PushContext push =
        push(
            service("reviews", 9080, "http", "10.96.0.10")
                + service("ratings", 9080, "http", "10.96.0.11")
                + """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: a-everything, namespace: shop}
                spec:
                  hosts: ["*.shop.svc.cluster.local"]
                  http:
                  - route: [{destination: {host: ratings}}]
                    timeout: 7s
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: b-reviews, namespace: shop}
                spec:
                  hosts: [reviews]
                  http:
                  - route: [{destination: {host: reviews}}]
                    timeout: 3s
                ---
                """);
    RouteConfiguration rc = routes(sidecar(), push, "9080");
    // reviews takes only its own VirtualService; ratings the wildcard one
    assertThat(vhost(rc, fqdn("reviews") + ":9080").getRoutesList())
        .extracting(r -> r.getRoute().getTimeout().getSeconds())
        .containsExactly(3L);
    assertThat(vhost(rc, fqdn("ratings") + ":9080").getRoutesList())
        .extracting(r -> r.getRoute().getTimeout().getSeconds())
        .containsExactly(7L);
  }

  @Test
  void servicesInAnotherNamespaceHaveNoBareShortName() {
    PushContext push = push(service("reviews", 9080, "http", "10.96.0.10"));
    RouteConfiguration rc = routes(sidecar("other", Map.of()), push, "9080");
    assertThat(vhost(rc, fqdn("reviews") + ":9080").getDomainsList())
        .containsExactly(
            fqdn("reviews"),
            fqdn("reviews") + ".",
            "reviews.shop",
            "reviews.shop.svc",
            "10.96.0.10");
  }

  @Test
  void unknownHostsPassThroughUnderAllowAny() {
    RouteConfiguration rc = routes(sidecar(), push(), "8080");
    VirtualHost any = rc.getVirtualHosts(0);
    assertThat(any.getName()).isEqualTo("allow_any");
    assertThat(any.getDomainsList()).containsExactly("*");
    assertThat(any.getRoutes(0).getName()).isEqualTo("allow_any");
    assertThat(any.getRoutes(0).getRoute().getCluster()).isEqualTo("PassthroughCluster");
    assertThat(any.getRoutes(0).getRoute().hasRetryPolicy()).isFalse();
  }

  @Test
  void registryOnlyAnswersUnknownHostsWith502() {
    MeshConfig mesh =
        MeshConfigs.defaults().toBuilder()
            .setOutboundTrafficPolicy(
                MeshConfig.OutboundTrafficPolicy.newBuilder()
                    .setMode(MeshConfig.OutboundTrafficPolicy.Mode.REGISTRY_ONLY))
            .build();
    VirtualHost block = routes(sidecar(), push(mesh), "8080").getVirtualHosts(0);
    assertThat(block.getName()).isEqualTo("block_all");
    assertThat(block.getRoutes(0).getName()).isEqualTo("block_all");
    assertThat(block.getRoutes(0).getDirectResponse().getStatus()).isEqualTo(502);
  }

  @Test
  void theSidecarsOutboundTrafficPolicyWinsOverTheMeshs() {
    String sidecar =
        """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: default, namespace: shop}
        spec:
          egress: [{hosts: ["*/*"]}]
          outboundTrafficPolicy: {mode: REGISTRY_ONLY}
        """;
    assertThat(routes(sidecar(), push(sidecar), "8080").getVirtualHosts(0).getName())
        .isEqualTo("block_all");
    String egressProxy =
        sidecar.replace(
            "{mode: REGISTRY_ONLY}",
            "{mode: ALLOW_ANY, egressProxy: {host: egress.shop.svc.cluster.local, port: {number: 443}}}");
    assertThat(
            routes(sidecar(), push(egressProxy), "8080")
                .getVirtualHosts(0)
                .getRoutes(0)
                .getRoute()
                .getCluster())
        .isEqualTo("outbound|443||egress.shop.svc.cluster.local");
  }

  @Test
  void aSniffedServicePortGetsOnlyItsOwnVirtualHostForAnyAuthority() {
    PushContext push =
        push(
            service("raw", 7000, "unnamed", "10.96.0.20")
                + service("other", 7000, "http", "10.96.0.21"));
    String name = fqdn("raw") + ":7000";
    RouteConfiguration rc = routes(sidecar(), push, name);
    assertThat(rc.getName()).isEqualTo(name);
    assertThat(rc.getVirtualHostsList()).hasSize(1);
    assertThat(rc.getVirtualHosts(0).getName()).isEqualTo(name);
    assertThat(rc.getVirtualHosts(0).getDomainsList()).containsExactly("*");
  }

  @Test
  void aNameThatIsNoPortGetsAnEmptyConfiguration() {
    RouteConfiguration rc = routes(sidecar(), push(), "inbound|8080||");
    assertThat(rc.getName()).isEqualTo("inbound|8080||");
    assertThat(rc.getVirtualHostsList()).isEmpty();
    assertThat(rc.getValidateClusters().getValue()).isFalse();
  }

  @Test
  void sidecarEgressScopeHidesServices() {
    String scope =
        """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: default, namespace: shop}
        spec:
          egress: [{hosts: ["./reviews.shop.svc.cluster.local"]}]
        """;
    PushContext push =
        push(
            service("reviews", 9080, "http", "10.96.0.10")
                + service("ratings", 9080, "http", "10.96.0.11")
                + scope);
    assertThat(routes(sidecar(), push, "9080").getVirtualHostsList())
        .extracting(VirtualHost::getName)
        .containsExactly(fqdn("reviews") + ":9080", "allow_any");
  }

  @Test
  void aVirtualServiceHostOutsideTheRegistryGetsAVirtualHostOnPort80Only() {
    String vs =
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: ext, namespace: shop}
        spec:
          hosts: [api.example.com]
          http: [{route: [{destination: {host: web.shop.svc.cluster.local}}]}]
        """;
    PushContext push =
        push(
            service("web", 80, "http", "10.96.0.13")
                + service("app", 8080, "http", "10.96.0.14")
                + vs);
    VirtualHost ext = vhost(routes(sidecar(), push, "80"), "api.example.com:80");
    assertThat(ext.getDomainsList()).containsExactly("api.example.com");
    assertThat(ext.getRoutes(0).getRoute().getCluster()).isEqualTo("outbound|80||" + fqdn("web"));
    assertThat(routes(sidecar(), push, "8080").getVirtualHostsList())
        .extracting(VirtualHost::getName)
        .doesNotContain("api.example.com:8080");
  }

  @Test
  void aVirtualServiceForAGatewayOnlyDoesNotApplyToSidecars() {
    String vs =
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: shop}
        spec:
          hosts: [reviews]
          gateways: [ingress]
          http: [{route: [{destination: {host: reviews, subset: v2}}]}]
        """;
    PushContext push = push(service("reviews", 9080, "http", "10.96.0.10") + vs);
    assertThat(
            vhost(routes(sidecar(), push, "9080"), fqdn("reviews") + ":9080")
                .getRoutes(0)
                .getName())
        .isEqualTo("default");
  }

  @Test
  void consistentHashOfTheDestinationRuleReachesTheDefaultRoute() {
    String dr =
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: shop}
        spec:
          host: reviews
          trafficPolicy:
            loadBalancer: {consistentHash: {httpHeaderName: x-user}}
            portLevelSettings:
            - port: {number: 9080}
              loadBalancer: {consistentHash: {httpCookie: {name: session, ttl: 10s}}}
        """;
    PushContext push = push(service("reviews", 9080, "http", "10.96.0.10") + dr);
    Route r = vhost(routes(sidecar(), push, "9080"), fqdn("reviews") + ":9080").getRoutes(0);
    assertThat(r.getRoute().getHashPolicyList()).hasSize(1);
    assertThat(r.getRoute().getHashPolicy(0).getCookie().getName()).isEqualTo("session");
    // the default route keeps the default retry predicate even with a hash
    assertThat(r.getRoute().getRetryPolicy().getRetryHostPredicateCount()).isEqualTo(1);
  }

  @Test
  void aSidecarEgressListenerForThePortDecidesWhatThatPortSees() {
    String scope =
        """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: default, namespace: shop}
        spec:
          egress:
          - port: {number: 9080, protocol: HTTP, name: http}
            hosts: ["./ratings.shop.svc.cluster.local"]
          - hosts: ["./*"]
        """;
    PushContext push =
        push(
            service("reviews", 9080, "http", "10.96.0.10")
                + service("ratings", 9080, "http", "10.96.0.11")
                + service("web", 80, "http", "10.96.0.13")
                + scope);
    assertThat(routes(sidecar(), push, "9080").getVirtualHostsList())
        .extracting(VirtualHost::getName)
        .containsExactly(fqdn("ratings") + ":9080", "allow_any");
    assertThat(routes(sidecar(), push, "80").getVirtualHostsList())
        .extracting(VirtualHost::getName)
        .containsExactly(fqdn("web") + ":80", "allow_any");
  }

  @Test
  void proxyHeadersCanTurnTheAttemptCountHeaderOff() {
    MeshConfig mesh =
        MeshConfigs.defaults().toBuilder()
            .setDefaultConfig(
                MeshConfigs.defaults().getDefaultConfig().toBuilder()
                    .setProxyHeaders(
                        io.jistiod.galley.api.mesh.v1alpha1.ProxyConfig.ProxyHeaders.newBuilder()
                            .setAttemptCount(
                                io.jistiod.galley.api.mesh.v1alpha1.ProxyConfig.ProxyHeaders
                                    .AttemptCount.newBuilder()
                                    .setDisabled(com.google.protobuf.BoolValue.of(true)))))
            .build();
    PushContext push = push(mesh, service("reviews", 9080, "http", "10.96.0.10"));
    assertThat(routes(sidecar(), push, "9080").getVirtualHostsList())
        .allSatisfy(vh -> assertThat(vh.getIncludeRequestAttemptCount()).isFalse());
    // what pilot-agent sends as PROXY_CONFIG is the proxy's ProxyConfig, the mesh's default aside
    var withProxyConfig =
        io.jistiod.pilot.envoy.route.RouteFixture.proxyWithMetadata(
            "PROXY_CONFIG", "{\"proxyHeaders\": {\"attemptCount\": {\"disabled\": false}}}");
    assertThat(routes(withProxyConfig, push, "9080").getVirtualHostsList())
        .allSatisfy(vh -> assertThat(vh.getIncludeRequestAttemptCount()).isTrue());
  }
}
