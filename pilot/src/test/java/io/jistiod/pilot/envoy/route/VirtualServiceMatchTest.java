package io.jistiod.pilot.envoy.route;

import static io.jistiod.pilot.envoy.route.RouteFixture.push;
import static io.jistiod.pilot.envoy.route.RouteFixture.service;
import static io.jistiod.pilot.envoy.route.RouteFixture.sidecarRoutes;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What each HTTPMatchRequest field of a VirtualService becomes in an Envoy route match. */
class VirtualServiceMatchTest {

  private static List<Route> routes(String http) {
    String vs =
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: backend, namespace: shop}
        spec:
          hosts: [backend]
          http:
        """
            + http.indent(2);
    return sidecarRoutes(
        push(service("backend", 8080, "http", "10.96.0.30") + vs), "backend", 8080);
  }

  private static RouteMatch match(String matchYaml) {
    return routes(
            "- match:\n"
                + matchYaml.indent(2)
                + "  route: [{destination: {host: backend}}]\n- route: [{destination: {host: backend}}]")
        .get(0)
        .getMatch();
  }

  @Test
  void uriExactPrefixAndRegex() {
    assertThat(match("- uri: {exact: /status}").getPath()).isEqualTo("/status");
    assertThat(match("- uri: {prefix: /api}").getPrefix()).isEqualTo("/api");
    assertThat(match("- uri: {regex: '^/v[0-9]+$'}").getSafeRegex().getRegex())
        .isEqualTo("^/v[0-9]+$");
  }

  @Test
  void caseSensitivityIsAlwaysStatedOnAMatchBlock() {
    assertThat(match("- uri: {prefix: /api}").getCaseSensitive().getValue()).isTrue();
    RouteMatch ignoring = match("- uri: {prefix: /api}\n  ignoreUriCase: true");
    assertThat(ignoring.hasCaseSensitive()).isTrue();
    assertThat(ignoring.getCaseSensitive().getValue()).isFalse();
  }

  @Test
  void headersSortedByNameThenMethodAuthorityScheme() {
    RouteMatch m =
        match(
            """
            - headers:
                x-tenant: {prefix: acme}
                cookie: {regex: "user=.*"}
                x-present: {}
                x-any: {regex: "*"}
              method: {exact: POST}
              authority: {prefix: api.}
              scheme: {exact: https}
            """);
    assertThat(m.getHeadersList())
        .extracting(HeaderMatcher::getName)
        .containsExactly(
            "cookie", "x-any", "x-present", "x-tenant", ":method", ":authority", ":scheme");
    assertThat(m.getHeaders(0).getStringMatch().getSafeRegex().getRegex()).isEqualTo("user=.*");
    assertThat(m.getHeaders(1).getPresentMatch()).isTrue(); // "*" is Istio's "any value"
    assertThat(m.getHeaders(2).getPresentMatch()).isTrue();
    assertThat(m.getHeaders(3).getStringMatch().getPrefix()).isEqualTo("acme");
    assertThat(m.getHeaders(4).getStringMatch().getExact()).isEqualTo("POST");
    assertThat(m.getHeaders(5).getStringMatch().getPrefix()).isEqualTo("api.");
    assertThat(m.getHeaders(6).getStringMatch().getExact()).isEqualTo("https");
  }

  @Test
  void withoutHeadersInvertsAndTreatsMissingAsEmpty() {
    RouteMatch m = match("- withoutHeaders:\n    x-legacy: {}\n    x-env: {exact: prod}");
    HeaderMatcher env = m.getHeaders(0);
    assertThat(env.getName()).isEqualTo("x-env");
    assertThat(env.getInvertMatch()).isTrue();
    assertThat(env.getTreatMissingHeaderAsEmpty()).isTrue();
    HeaderMatcher legacy = m.getHeaders(1);
    assertThat(legacy.getPresentMatch()).isTrue();
    assertThat(legacy.getInvertMatch()).isTrue();
    assertThat(legacy.getTreatMissingHeaderAsEmpty()).isFalse(); // conflicts with present_match
  }

  @Test
  void queryParametersExactRegexAndPresent() {
    RouteMatch m =
        match("- queryParams:\n    debug: {exact: '1'}\n    a: {regex: 'x+'}\n    flag: {}");
    assertThat(m.getQueryParametersList())
        .extracting(q -> q.getName())
        .containsExactly("a", "debug", "flag");
    assertThat(m.getQueryParameters(0).getStringMatch().getSafeRegex().getRegex()).isEqualTo("x+");
    assertThat(m.getQueryParameters(1).getStringMatch().getExact()).isEqualTo("1");
    assertThat(m.getQueryParameters(2).getPresentMatch()).isTrue();
  }

  @Test
  void eachMatchBlockIsARouteNamedAfterRuleAndBlock() {
    List<Route> r =
        routes(
            """
            - name: api
              match:
              - {name: v1, uri: {prefix: /v1}}
              - uri: {prefix: /v2}
              route: [{destination: {host: backend}}]
            - match: [{name: only, uri: {prefix: /x}}]
              route: [{destination: {host: backend}}]
            """);
    assertThat(r).extracting(Route::getName).containsExactly("api.v1", "api", ".only");
  }

  @Test
  void blocksForOtherPortsSourcesOrGatewaysAreLeftOut() {
    List<Route> r =
        routes(
            """
            - match:
              - {uri: {prefix: /other-port}, port: 9999}
              - {uri: {prefix: /other-app}, sourceLabels: {app: someone-else}}
              - {uri: {prefix: /other-ns}, sourceNamespace: elsewhere}
              - {uri: {prefix: /gateway-only}, gateways: [ingress]}
              - {uri: {prefix: /mine}, sourceLabels: {app: client}, sourceNamespace: shop}
              - {uri: {prefix: /mesh}, gateways: [mesh]}
              route: [{destination: {host: backend}}]
            """);
    assertThat(r).extracting(x -> x.getMatch().getPrefix()).containsExactly("/mine", "/mesh");
  }

  @Test
  void nothingAfterACatchAllIsBuilt() {
    List<Route> r =
        routes(
            """
            - match: [{uri: {prefix: /}}, {uri: {prefix: /never}}]
              route: [{destination: {host: backend, subset: a}}]
            - route: [{destination: {host: backend, subset: b}}]
            """);
    assertThat(r).hasSize(1);
    assertThat(r.get(0).getRoute().getCluster()).contains("|a|");
  }

  @Test
  void routesCarryTheirVirtualServiceAndATracingOperation() {
    List<Route> r =
        routes(
            """
            - match: [{uri: {prefix: /api}}, {uri: {exact: /x}}, {uri: {regex: '/r.*'}}]
              route: [{destination: {host: backend}}]
            - route:
              - {destination: {host: backend, subset: a}, weight: 50}
              - {destination: {host: backend, subset: b}, weight: 50}
            """);
    assertThat(
            r.get(0)
                .getMetadata()
                .getFilterMetadataOrThrow("istio")
                .getFieldsOrThrow("config")
                .getStringValue())
        .isEqualTo("/apis/networking.istio.io/v1/namespaces/shop/virtual-service/backend");
    assertThat(r)
        .extracting(x -> x.getDecorator().getOperation())
        .containsExactly(
            "backend.shop.svc.cluster.local:8080/api*",
            "backend.shop.svc.cluster.local:8080/x",
            "backend.shop.svc.cluster.local:8080/r.*",
            "backend:8080/*"); // a split has no single host: the VirtualService's name instead
  }

  @Test
  void jwtClaimsMatchTheJwtFiltersPayload() {
    RouteMatch m =
        match(
            "- headers:\n    '@request.auth.claims.group': {exact: admin}\n"
                + "  withoutHeaders:\n    '@request.auth.claims[org][id]': {exact: banned}");
    assertThat(m.getHeadersList()).isEmpty();
    assertThat(m.getDynamicMetadataList()).hasSize(2);
    var group = m.getDynamicMetadata(0);
    assertThat(group.getFilter()).isEqualTo("envoy.filters.http.jwt_authn");
    assertThat(group.getPathList()).extracting(p -> p.getKey()).containsExactly("payload", "group");
    assertThat(
            group
                .getValue()
                .getOrMatch()
                .getValueMatchers(0)
                .getListMatch()
                .getOneOf()
                .getStringMatch()
                .getExact())
        .isEqualTo("admin");
    assertThat(group.getValue().getOrMatch().getValueMatchers(1).getStringMatch().getExact())
        .isEqualTo("admin");
    assertThat(group.getInvert()).isFalse();
    var org = m.getDynamicMetadata(1);
    assertThat(org.getPathList())
        .extracting(p -> p.getKey())
        .containsExactly("payload", "org", "id");
    assertThat(org.getInvert()).isTrue();
  }
}
