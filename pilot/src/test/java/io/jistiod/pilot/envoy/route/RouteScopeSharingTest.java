package io.jistiod.pilot.envoy.route;

import static io.jistiod.pilot.envoy.route.RouteFixture.fqdn;
import static io.jistiod.pilot.envoy.route.RouteFixture.push;
import static io.jistiod.pilot.envoy.route.RouteFixture.service;
import static io.jistiod.pilot.envoy.route.RouteFixture.sidecar;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.xds.XdsResource;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Sidecars whose labels select nothing different share one route configuration per push; labels
 * that a Sidecar resource or a VirtualService's {@code sourceLabels} tells apart keep them apart.
 */
class RouteScopeSharingTest {
  private static final String SERVICES =
      service("reviews", 9080, "http", "10.96.0.10")
          + service("ratings", 9080, "http", "10.96.0.11");

  private static XdsResource route(Proxy proxy, PushContext push) {
    return new EnvoyRouteGenerator().generate(proxy, push, Set.of("9080")).get(0);
  }

  private static RouteConfiguration unpack(XdsResource r) throws Exception {
    return r.body().unpack(RouteConfiguration.class);
  }

  @Test
  void sidecarsOfOtherAppsInANamespaceShareTheirRoutes() {
    PushContext push = push(SERVICES);
    XdsResource a = route(sidecar("shop", Map.of("app", "a")), push);
    assertThat(route(sidecar("shop", Map.of("app", "b", "version", "v2")), push)).isSameAs(a);
    assertThat(route(sidecar("other", Map.of("app", "a")), push)).isNotSameAs(a);
  }

  @Test
  void aSidecarResourceSelectingSomeOfThemKeepsThoseApart() throws Exception {
    PushContext push =
        push(
            SERVICES
                + """
                apiVersion: networking.istio.io/v1
                kind: Sidecar
                metadata: {name: only-ratings, namespace: shop}
                spec:
                  workloadSelector: {labels: {app: b}}
                  egress: [{hosts: ["./ratings.shop.svc.cluster.local"]}]
                """);
    XdsResource a = route(sidecar("shop", Map.of("app", "a")), push);
    XdsResource c = route(sidecar("shop", Map.of("app", "c")), push);
    XdsResource b = route(sidecar("shop", Map.of("app", "b")), push);
    assertThat(c).isSameAs(a);
    assertThat(b).isNotSameAs(a);
    assertThat(unpack(b).getVirtualHostsList())
        .extracting(VirtualHost::getName)
        .contains(fqdn("ratings") + ":9080")
        .doesNotContain(fqdn("reviews") + ":9080");
    assertThat(unpack(a).getVirtualHostsList())
        .extracting(VirtualHost::getName)
        .contains(fqdn("reviews") + ":9080", fqdn("ratings") + ":9080");
  }

  @Test
  void aVirtualServiceMatchingSourceLabelsKeepsEveryLabelSetApart() throws Exception {
    PushContext push =
        push(
            SERVICES
                + """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews, namespace: shop}
                spec:
                  hosts: [reviews]
                  http:
                  - match: [{sourceLabels: {app: a}}]
                    route: [{destination: {host: ratings}}]
                  - route: [{destination: {host: reviews}}]
                """);
    XdsResource a = route(sidecar("shop", Map.of("app", "a")), push);
    XdsResource b = route(sidecar("shop", Map.of("app", "b")), push);
    assertThat(b).isNotSameAs(a);
    // a's first route matches everything it sends, so it goes to ratings; b's to reviews
    assertThat(
            RouteFixture.vhost(unpack(a), fqdn("reviews") + ":9080")
                .getRoutes(0)
                .getRoute()
                .getCluster())
        .isEqualTo("outbound|9080||" + fqdn("ratings"));
    assertThat(
            RouteFixture.vhost(unpack(b), fqdn("reviews") + ":9080")
                .getRoutes(0)
                .getRoute()
                .getCluster())
        .isEqualTo("outbound|9080||" + fqdn("reviews"));
  }
}
