package io.jistiod.pilot.push;

import static io.jistiod.pilot.push.PushFixture.push;
import static io.jistiod.pilot.push.PushFixture.sidecar;
import static io.jistiod.pilot.push.PushFixture.virtualService;
import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.galley.api.networking.v1alpha3.HTTPRoute;
import io.jistiod.pilot.push.PushContext.ResolvedVirtualService;
import java.util.List;
import org.junit.jupiter.api.Test;

class VirtualServiceIndexTest {
  private static final List<String> MESH = List.of();

  private static List<String> names(List<ResolvedVirtualService> vss) {
    return vss.stream().map(v -> v.config().namespace() + "/" + v.config().name()).toList();
  }

  private static List<String> seen(PushContext push, String namespace, String gateway) {
    return names(push.virtualServicesForGateway(namespace, gateway));
  }

  @Test
  void exportToDecidesWhichNamespacesSeeAVirtualService() {
    PushContext push =
        push(
            virtualService("pub", "a", List.of("pub.example.com"), MESH),
            virtualService("star", "a", List.of("star.example.com"), MESH, "*"),
            virtualService("dot", "a", List.of("dot.example.com"), MESH, "."),
            virtualService("named", "a", List.of("named.example.com"), MESH, "b"),
            virtualService("none", "a", List.of("none.example.com"), MESH, "~"));
    assertThat(seen(push, "a", "mesh")).containsExactly("a/dot", "a/pub", "a/star");
    assertThat(seen(push, "b", "mesh")).containsExactly("a/named", "a/pub", "a/star");
    assertThat(seen(push, "c", "mesh")).containsExactly("a/pub", "a/star");
  }

  @Test
  void meshDefaultExportToAppliesToVirtualServicesWithoutExportTo() {
    PushContext push =
        push(
            PushFixture.meshExportingTo("."),
            virtualService("implicit", "a", List.of("i.example.com"), MESH),
            virtualService("explicit", "a", List.of("e.example.com"), MESH, "*"));
    assertThat(seen(push, "a", "mesh")).containsExactly("a/implicit", "a/explicit");
    assertThat(seen(push, "b", "mesh")).containsExactly("a/explicit");
  }

  @Test
  void istiodOrderPrivateThenExportedByNameThenPublic() {
    PushContext push =
        push(
            virtualService("a-public", "a", List.of("x.example.com"), MESH),
            virtualService("b-exported", "a", List.of("x.example.com"), MESH, "b"),
            virtualService("z-private", "b", List.of("x.example.com"), MESH, "."));
    assertThat(seen(push, "b", "mesh"))
        .containsExactly("b/z-private", "a/b-exported", "a/a-public");
    // so the viewer's own VirtualService routes a host another namespace also routes
    assertThat(push.virtualServiceFor(sidecar("b"), "x.example.com").orElseThrow().config().name())
        .isEqualTo("z-private");
    assertThat(push.virtualServiceFor(sidecar("c"), "x.example.com").orElseThrow().config().name())
        .isEqualTo("a-public");
  }

  private static String timed(String name, String namespace, String created, boolean gatewayApi) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: %s
          namespace: %s
          creationTimestamp: "%s"
          annotations: {%s}
        spec:
          hosts: [x.example.com]
          http: [{route: [{destination: {host: x.example.com}}]}]
        ---
        """
        .formatted(
            name,
            namespace,
            created,
            gatewayApi ? "internal.istio.io/route-semantics: gateway" : "");
  }

  @Test
  void istiodOrdersByCreationTimeThenNameThenNamespace() {
    PushContext push =
        push(
            timed("aaa-newer", "a", "2026-01-01T00:00:05Z", false),
            timed("zzz-older", "a", "2026-01-01T00:00:01Z", false),
            timed("mmm", "a", "2026-01-01T00:00:05Z", false),
            timed("ccc", "z", "2026-01-01T00:00:05Z", false));
    assertThat(seen(push, "q", "mesh"))
        .containsExactly("a/zzz-older", "a/aaa-newer", "z/ccc", "a/mmm");
    assertThat(push.virtualServiceFor(sidecar("q"), "x.example.com").orElseThrow().config().name())
        .isEqualTo("zzz-older");
  }

  @Test
  void aSidecarsOwnNamespacesGatewayApiRoutesComeFirst() {
    PushContext push =
        push(
            timed("hand-written", "a", "2026-01-01T00:00:01Z", false),
            timed("route-a", "a", "2026-01-01T00:00:05Z", true),
            timed("route-b", "b", "2026-01-01T00:00:05Z", true));
    // a consumer namespace's route (b) wins for b's sidecars, the producer's HTTPRoute over the
    // older VirtualService for a's
    assertThat(seen(push, "b", "mesh")).containsExactly("b/route-b", "a/hand-written", "a/route-a");
    assertThat(seen(push, "a", "mesh")).containsExactly("a/route-a", "a/hand-written", "b/route-b");
    assertThat(seen(push, "c", "mesh")).containsExactly("a/hand-written", "a/route-a", "b/route-b");
    assertThat(push.virtualServiceFor(sidecar("a"), "x.example.com").orElseThrow().config().name())
        .isEqualTo("route-a");
  }

  @Test
  void gatewaysBindByNamespacedAndShortNameAndNoneMeansMesh() {
    PushContext push =
        push(
            virtualService("short", "apps", List.of("s.example.com"), List.of("ingress")),
            virtualService("full", "apps", List.of("f.example.com"), List.of("gw-ns/ingress")),
            virtualService("both", "apps", List.of("b.example.com"), List.of("mesh", "ingress")),
            virtualService("meshonly", "apps", List.of("m.example.com"), MESH),
            virtualService("dotted", "apps", List.of("d.example.com"), List.of("./ingress")),
            virtualService("legacy", "apps", List.of("l.example.com"), List.of("ingress.gw-ns")));
    assertThat(seen(push, "gw-ns", "apps/ingress"))
        .containsExactly("apps/both", "apps/dotted", "apps/short");
    assertThat(seen(push, "gw-ns", "gw-ns/ingress")).containsExactly("apps/full", "apps/legacy");
    assertThat(seen(push, "gw-ns", "mesh")).containsExactly("apps/both", "apps/meshonly");
    assertThat(VirtualServiceIndex.gatewayName("ingress", "apps")).isEqualTo("apps/ingress");
    assertThat(VirtualServiceIndex.gatewayName("x/ingress", "apps")).isEqualTo("x/ingress");
    assertThat(VirtualServiceIndex.gatewayName("mesh", "apps")).isEqualTo("mesh");
    // istiod's other spellings: "./name", and the legacy name.namespace[.svc.cluster.local]
    assertThat(VirtualServiceIndex.gatewayName("./ingress", "apps")).isEqualTo("apps/ingress");
    assertThat(VirtualServiceIndex.gatewayName("ingress.gw-ns.svc.cluster.local", "apps"))
        .isEqualTo("gw-ns/ingress");
    assertThat(VirtualServiceIndex.gatewayName("ingress.gw-ns", "apps")).isEqualTo("gw-ns/ingress");
  }

  @Test
  void hostLookupIsExactBeforeWildcard() {
    PushContext push =
        push(
            virtualService("a-wild", "a", List.of("*.example.com"), MESH),
            virtualService("b-exact", "a", List.of("api.example.com"), MESH));
    assertThat(
            push.virtualServiceFor(sidecar("a"), "api.example.com").orElseThrow().config().name())
        .isEqualTo("b-exact");
    assertThat(
            push.virtualServiceFor(sidecar("a"), "web.example.com").orElseThrow().config().name())
        .isEqualTo("a-wild");
    assertThat(push.virtualServiceFor(sidecar("a"), "web.example.org")).isEmpty();
  }

  private static final String ROOT =
      """
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata: {name: root, namespace: front}
      spec:
        hosts: [shop.example.com]
        http:
        - match: [{uri: {prefix: /cart}}]
          delegate: {name: cart, namespace: cart}
        - match: [{uri: {prefix: /pay}}]
          delegate: {name: pay, namespace: pay}
        - route: [{destination: {host: home.front.svc.cluster.local}}]
      ---
      """;

  private static String delegate(String name, String exportTo) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: %1$s, namespace: %1$s}
        spec:
          %2$s
          http:
          - match: [{uri: {prefix: /%1$s/items}}]
            route: [{destination: {host: %1$s}}]
        ---
        """
        .formatted(name, exportTo);
  }

  @Test
  void delegatesAreMergedOnceAtBuildAndLeftOutThemselves() {
    PushContext push = push(ROOT, delegate("cart", ""), delegate("pay", "exportTo: [\"pay\"]"));
    List<ResolvedVirtualService> seen = push.virtualServicesForGateway("front", "mesh");
    assertThat(names(seen)).containsExactly("front/root");
    List<HTTPRoute> http = seen.get(0).spec().getHttpList();
    // cart's rule under /cart, qualified in cart's namespace; pay is not exported to "front"
    assertThat(http).hasSize(2);
    assertThat(http.get(0).getMatch(0).getUri().getPrefix()).isEqualTo("/cart/items");
    assertThat(http.get(0).getRoute(0).getDestination().getHost())
        .isEqualTo("cart.cart.svc.cluster.local");
    assertThat(http.get(1).hasDelegate()).isFalse();
    // one merge per push: every viewer gets the same merged object
    assertThat(push.virtualServicesForGateway("other", "mesh").get(0)).isSameAs(seen.get(0));
    assertThat(push.virtualServicesForGateway("front", "mesh"))
        .isSameAs(push.virtualServicesForGateway("front", "mesh"));
  }

  @Test
  void aDelegateWithoutExportToFollowsTheMeshDefault() {
    PushContext push = push(PushFixture.meshExportingTo("."), ROOT, delegate("cart", ""));
    // "." by default: the cart delegate is not visible to the root in "front"
    List<HTTPRoute> http =
        push.virtualServicesForGateway("front", "mesh").get(0).spec().getHttpList();
    assertThat(http).hasSize(1);
    assertThat(http.get(0).getRoute(0).getDestination().getHost()).startsWith("home.");
  }
}
