package io.jistiod.pilot.envoy.route;

import static io.jistiod.pilot.envoy.route.RouteFixture.push;
import static io.jistiod.pilot.envoy.route.RouteFixture.service;
import static io.jistiod.pilot.envoy.route.RouteFixture.sidecarRoutes;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What each HTTPRoute field besides the match becomes in an Envoy route. */
class VirtualServiceActionTest {
  private static final String HOST = "backend.shop.svc.cluster.local";

  private static Route route(String rule) {
    return routes(rule, "").get(0);
  }

  private static List<Route> routes(String rules, String extraConfig) {
    String vs =
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: backend, namespace: shop}
        spec:
          hosts: [backend]
          http:
        """
            + rules.indent(2);
    return sidecarRoutes(
        push(
            service("backend", 8080, "http", "10.96.0.30")
                + service("mirror", 9000, "http", "10.96.0.31")
                + vs
                + extraConfig),
        "backend",
        8080);
  }

  @Test
  void weightedDestinationsLeaveZeroWeightsOut() {
    RouteAction a =
        route(
                """
                - route:
                  - {destination: {host: backend, subset: v1}, weight: 90}
                  - {destination: {host: backend, subset: v2}, weight: 10}
                  - {destination: {host: backend, subset: v3}, weight: 0}
                """)
            .getRoute();
    assertThat(a.getWeightedClusters().getClustersList())
        .extracting(c -> c.getName() + "=" + c.getWeight().getValue())
        .containsExactly("outbound|8080|v1|" + HOST + "=90", "outbound|8080|v2|" + HOST + "=10");
    assertThat(a.getWeightedClusters().hasTotalWeight()).isFalse();
  }

  @Test
  void aDestinationPortPicksTheCluster() {
    assertThat(
            route("- route: [{destination: {host: mirror, port: {number: 9000}}}]")
                .getRoute()
                .getCluster())
        .isEqualTo("outbound|9000||mirror.shop.svc.cluster.local");
  }

  @Test
  void rewritesBecomePrefixRegexAndHostRewrites() {
    RouteAction prefix =
        route(
                "- rewrite: {uri: /v2, authority: new.example.com}\n  route: [{destination: {host: backend}}]")
            .getRoute();
    assertThat(prefix.getPrefixRewrite()).isEqualTo("/v2");
    assertThat(prefix.getHostRewriteLiteral()).isEqualTo("new.example.com");
    RouteAction regex =
        route(
                "- rewrite: {uriRegexRewrite: {match: '^/old/(.*)$', rewrite: '/new/\\1'}}\n"
                    + "  route: [{destination: {host: backend}}]")
            .getRoute();
    assertThat(regex.getRegexRewrite().getPattern().getRegex()).isEqualTo("^/old/(.*)$");
    assertThat(regex.getRegexRewrite().getSubstitution()).isEqualTo("/new/\\1");
    assertThat(regex.getPrefixRewrite()).isEmpty();
  }

  @Test
  void redirects() {
    RedirectAction r =
        route("- redirect: {uri: /new, authority: other.example.com, redirectCode: 302}")
            .getRedirect();
    assertThat(r.getPathRedirect()).isEqualTo("/new");
    assertThat(r.getHostRedirect()).isEqualTo("other.example.com");
    assertThat(r.getResponseCode()).isEqualTo(RedirectAction.RedirectResponseCode.FOUND);
    RedirectAction scheme = route("- redirect: {scheme: https, port: 8443}").getRedirect();
    assertThat(scheme.getSchemeRedirect()).isEqualTo("https");
    assertThat(scheme.getPortRedirect()).isEqualTo(8443);
    assertThat(scheme.getResponseCode())
        .isEqualTo(RedirectAction.RedirectResponseCode.MOVED_PERMANENTLY);
    // the request's port is the port the routes are built for; a scheme's default port is implicit
    assertThat(route("- redirect: {derivePort: FROM_REQUEST_PORT}").getRedirect().getPortRedirect())
        .isEqualTo(8080);
    assertThat(route("- redirect: {port: 80}").getRedirect().getPortRedirect()).isZero();
    Route redirect = route("- redirect: {uri: /x, redirectCode: 308}");
    assertThat(redirect.getRedirect().getResponseCode())
        .isEqualTo(RedirectAction.RedirectResponseCode.PERMANENT_REDIRECT);
    assertThat(redirect.getDecorator().getOperation()).isEqualTo("backend:8080/*");
  }

  @Test
  void directResponses() {
    Route r = route("- directResponse: {status: 503, body: {string: unavailable}}");
    assertThat(r.getDirectResponse().getStatus()).isEqualTo(503);
    assertThat(r.getDirectResponse().getBody().getInlineString()).isEqualTo("unavailable");
    assertThat(route("- directResponse: {status: 204}").getDirectResponse().hasBody()).isFalse();
  }

  @Test
  void mirrorsWithTheirPercentages() {
    RouteAction a =
        route(
                """
                - route: [{destination: {host: backend}}]
                  mirror: {host: mirror, port: {number: 9000}}
                  mirrorPercentage: {value: 12.5}
                """)
            .getRoute();
    var m = a.getRequestMirrorPolicies(0);
    assertThat(m.getCluster()).isEqualTo("outbound|9000||mirror.shop.svc.cluster.local");
    assertThat(m.getRuntimeFraction().getDefaultValue().getNumerator()).isEqualTo(125000);
    assertThat(m.getRuntimeFraction().getDefaultValue().getDenominator())
        .isEqualTo(FractionalPercent.DenominatorType.MILLION);
    assertThat(m.getTraceSampled().getValue()).isFalse();

    RouteAction many =
        route(
                """
                - route: [{destination: {host: backend}}]
                  mirrors:
                  - {destination: {host: mirror, subset: a}}
                  - {destination: {host: mirror}, percentage: {value: 0}}
                """)
            .getRoute();
    assertThat(many.getRequestMirrorPoliciesList()).hasSize(1); // 0% turns a mirror off
    assertThat(many.getRequestMirrorPolicies(0).getCluster())
        .isEqualTo("outbound|8080|a|mirror.shop.svc.cluster.local");
    assertThat(
            many.getRequestMirrorPolicies(0).getRuntimeFraction().getDefaultValue().getNumerator())
        .isEqualTo(100);
  }

  @Test
  void headerOperationsOfTheRuleThenTheDestination() {
    Route r =
        route(
            """
            - headers:
                request:
                  set: {x-b: "1", x-a: "2", ":authority": set.example.com}
                  add: {x-c: "3"}
                  remove: [x-internal, host]
                response:
                  set: {cache-control: no-store}
                  remove: [server]
              route:
              - destination: {host: backend}
                headers:
                  request: {add: {x-dest: d}}
                  response: {add: {x-served-by: backend}}
            """);
    assertThat(r.getRequestHeadersToAddList())
        .extracting(h -> h.getHeader().getKey() + "=" + h.getAppendAction())
        .containsExactly(
            "x-a=OVERWRITE_IF_EXISTS_OR_ADD",
            "x-b=OVERWRITE_IF_EXISTS_OR_ADD",
            "x-c=APPEND_IF_EXISTS_OR_ADD",
            "x-dest=APPEND_IF_EXISTS_OR_ADD");
    assertThat(r.getRequestHeadersToRemoveList()).containsExactly("x-internal");
    assertThat(r.getResponseHeadersToAddList())
        .extracting(HeaderValueOption::getAppendAction)
        .containsExactly(
            HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
            HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD);
    assertThat(r.getResponseHeadersToRemoveList()).containsExactly("server");
    // a new :authority is a host rewrite, not a header
    assertThat(r.getRoute().getHostRewriteLiteral()).isEqualTo("set.example.com");
  }

  @Test
  void weightedDestinationsKeepTheirHeadersOnTheirCluster() {
    RouteAction a =
        route(
                """
                - route:
                  - {destination: {host: backend, subset: a}, weight: 50, headers: {request: {set: {x-v: a}}}}
                  - {destination: {host: backend, subset: b}, weight: 50}
                """)
            .getRoute();
    assertThat(
            a.getWeightedClusters().getClusters(0).getRequestHeadersToAdd(0).getHeader().getValue())
        .isEqualTo("a");
    assertThat(a.getWeightedClusters().getClusters(1).getRequestHeadersToAddCount()).isZero();
  }

  @Test
  void corsBecomesThePerRouteCorsPolicy() throws Exception {
    Route r =
        route(
            """
            - corsPolicy:
                allowOrigins: [{exact: https://a.com}, {prefix: https://b.}, {regex: 'https://.*\\.c\\.org'}]
                allowMethods: [GET, POST]
                allowHeaders: [authorization]
                exposeHeaders: [x-request-id]
                maxAge: 24h
                allowCredentials: true
              route: [{destination: {host: backend}}]
            """);
    CorsPolicy cors =
        r.getTypedPerFilterConfigOrThrow("envoy.filters.http.cors").unpack(CorsPolicy.class);
    assertThat(cors.getAllowOriginStringMatchList())
        .extracting(m -> m.getExact() + m.getPrefix() + m.getSafeRegex().getRegex())
        .containsExactly("https://a.com", "https://b.", "https://.*\\.c\\.org");
    assertThat(cors.getAllowMethods()).isEqualTo("GET,POST");
    assertThat(cors.getAllowHeaders()).isEqualTo("authorization");
    assertThat(cors.getExposeHeaders()).isEqualTo("x-request-id");
    assertThat(cors.getMaxAge()).isEqualTo("86400");
    assertThat(cors.getAllowCredentials().getValue()).isTrue();
    assertThat(cors.getFilterEnabled().getDefaultValue().getNumerator()).isEqualTo(100);
    assertThat(cors.getForwardNotMatchingPreflights().getValue()).isTrue();
  }

  @Test
  void retries() throws Exception {
    RouteAction a =
        route(
                """
                - retries: {attempts: 3, perTryTimeout: 2s, retryOn: "gateway-error,503,connect-failure", retryRemoteLocalities: true}
                  route: [{destination: {host: backend}}]
                """)
            .getRoute();
    var p = a.getRetryPolicy();
    assertThat(p.getNumRetries().getValue()).isEqualTo(3);
    assertThat(p.getPerTryTimeout().getSeconds()).isEqualTo(2);
    assertThat(p.getRetryOn()).isEqualTo("gateway-error,connect-failure,retriable-status-codes");
    assertThat(p.getRetriableStatusCodesList()).containsExactly(503);
    assertThat(p.getRetryPriority().getName())
        .isEqualTo("envoy.retry_priorities.previous_priorities");
    assertThat(
            p.getRetryPriority()
                .getTypedConfig()
                .unpack(PreviousPrioritiesConfig.class)
                .getUpdateFrequency())
        .isEqualTo(2);
    assertThat(p.getRetryHostPredicateCount()).isEqualTo(1);

    assertThat(
            route("- retries: {attempts: 0}\n  route: [{destination: {host: backend}}]")
                .getRoute()
                .hasRetryPolicy())
        .isFalse();
    assertThat(
            route("- route: [{destination: {host: backend}}]")
                .getRoute()
                .getRetryPolicy()
                .getNumRetries()
                .getValue())
        .isEqualTo(2);
  }

  @Test
  void timeouts() {
    RouteAction a = route("- timeout: 1.5s\n  route: [{destination: {host: backend}}]").getRoute();
    assertThat(a.getTimeout().getSeconds()).isEqualTo(1);
    assertThat(a.getTimeout().getNanos()).isEqualTo(500_000_000);
    assertThat(a.getMaxGrpcTimeout()).isEqualTo(a.getTimeout());
    RouteAction none = route("- route: [{destination: {host: backend}}]").getRoute();
    assertThat(none.hasTimeout()).isTrue();
    assertThat(none.getTimeout().getSeconds()).isZero();
  }

  @Test
  void faultInjection() throws Exception {
    Route r =
        route(
            """
            - fault:
                delay: {fixedDelay: 5s, percentage: {value: 10}}
                abort: {httpStatus: 503, percentage: {value: 0.5}}
              route: [{destination: {host: backend}}]
            """);
    HTTPFault f =
        r.getTypedPerFilterConfigOrThrow("envoy.filters.http.fault").unpack(HTTPFault.class);
    assertThat(f.getDelay().getFixedDelay().getSeconds()).isEqualTo(5);
    assertThat(f.getDelay().getPercentage().getNumerator()).isEqualTo(100000);
    assertThat(f.getAbort().getHttpStatus()).isEqualTo(503);
    assertThat(f.getAbort().getPercentage().getNumerator()).isEqualTo(5000);
  }

  @Test
  void consistentHashOfTheSubsetWinsAndDropsThePreviousHostsPredicate() {
    String dr =
        """
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: backend, namespace: shop}
        spec:
          host: backend
          trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}
          subsets:
          - name: v1
            labels: {version: v1}
            trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true}}}
          - {name: v2, labels: {version: v2}}
        """;
    Route v1 = routes("- route: [{destination: {host: backend, subset: v1}}]", dr).get(0);
    assertThat(v1.getRoute().getHashPolicy(0).getConnectionProperties().getSourceIp()).isTrue();
    assertThat(v1.getRoute().getRetryPolicy().getRetryHostPredicateCount()).isZero();
    Route v2 = routes("- route: [{destination: {host: backend, subset: v2}}]", dr).get(0);
    assertThat(v2.getRoute().getHashPolicy(0).getHeader().getHeaderName()).isEqualTo("x-user");
  }
}
