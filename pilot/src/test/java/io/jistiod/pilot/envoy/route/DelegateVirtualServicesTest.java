package io.jistiod.pilot.envoy.route;

import static io.jistiod.pilot.envoy.route.RouteFixture.push;
import static io.jistiod.pilot.envoy.route.RouteFixture.service;
import static io.jistiod.pilot.envoy.route.RouteFixture.sidecarRoutes;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.route.v3.Route;
import java.util.List;
import org.junit.jupiter.api.Test;

class DelegateVirtualServicesTest {
  private static final String ROOT =
      """
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata: {name: root, namespace: shop}
      spec:
        hosts: [backend]
        http:
        - name: api
          match: [{uri: {prefix: /api}}]
          delegate: {name: api-routes, namespace: team}
          timeout: 3s
        - name: missing
          match: [{uri: {prefix: /gone}}]
          delegate: {name: nothing-here}
        - route: [{destination: {host: backend}}]
      ---
      """;
  private static final String DELEGATE =
      """
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata: {name: api-routes, namespace: team}
      spec:
        http:
        - name: v2
          match: [{uri: {prefix: /api/v2}, headers: {x-canary: {exact: "1"}}}]
          route: [{destination: {host: api-v2}}]
        - name: elsewhere
          match: [{uri: {prefix: /other}}]
          route: [{destination: {host: api-v2}}]
        - route: [{destination: {host: api-v1}}]
      ---
      """;

  @Test
  void delegateRulesReplaceTheRootRuleNarrowedByItsMatch() {
    List<Route> routes =
        sidecarRoutes(
            push(service("backend", 8080, "http", "10.96.0.50") + ROOT + DELEGATE),
            "backend",
            8080);
    assertThat(routes).extracting(Route::getName).containsExactly("api-v2", "api", "");
    Route v2 = routes.get(0);
    assertThat(v2.getMatch().getPrefix()).isEqualTo("/api/v2");
    assertThat(v2.getMatch().getHeaders(0).getName()).isEqualTo("x-canary");
    // short hosts of the delegate are its own namespace's services
    assertThat(v2.getRoute().getCluster())
        .isEqualTo("outbound|8080||api-v2.team.svc.cluster.local");
    // the root's settings fill what the delegate leaves out
    assertThat(v2.getRoute().getTimeout().getSeconds()).isEqualTo(3);
    Route v1 = routes.get(1);
    assertThat(v1.getMatch().getPrefix()).isEqualTo("/api");
    assertThat(v1.getRoute().getCluster())
        .isEqualTo("outbound|8080||api-v1.team.svc.cluster.local");
  }

  @Test
  void aDelegateNotExportedToTheRootIsIgnored() {
    String hidden = DELEGATE.replace("spec:\n  http:", "spec:\n  exportTo: [.]\n  http:");
    List<Route> routes =
        sidecarRoutes(
            push(service("backend", 8080, "http", "10.96.0.50") + ROOT + hidden), "backend", 8080);
    assertThat(routes).extracting(Route::getName).containsExactly("");
  }
}
