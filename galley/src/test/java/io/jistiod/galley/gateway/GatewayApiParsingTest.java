package io.jistiod.galley.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.galley.api.gateway.v1.GRPCRouteSpec;
import io.jistiod.galley.api.gateway.v1.GatewayClassSpec;
import io.jistiod.galley.api.gateway.v1.GatewaySpec;
import io.jistiod.galley.api.gateway.v1.GatewayStatus;
import io.jistiod.galley.api.gateway.v1.HTTPRouteSpec;
import io.jistiod.galley.api.gateway.v1.ListenerEntryStatus;
import io.jistiod.galley.api.gateway.v1.ListenerSetSpec;
import io.jistiod.galley.api.gateway.v1.ListenerSetStatus;
import io.jistiod.galley.api.gateway.v1.ReferenceGrantSpec;
import io.jistiod.galley.api.gateway.v1.RouteStatus;
import io.jistiod.galley.api.gateway.v1.TCPRouteSpec;
import io.jistiod.galley.api.gateway.v1.TLSRouteSpec;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.GatewayApiKinds;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.parse.ConfigError;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.parse.ParseResult;
import io.jistiod.galley.parse.ProtoJsonWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Gateway API kinds read from YAML as galley reads Istio's: fields, presence, errors. */
class GatewayApiParsingTest {
  private final ConfigParser parser =
      new ConfigParser(GatewayApiKinds.withIstioKinds(true, true), "default");

  private ParseResult parse(String yaml) {
    return parser.parse(yaml, "gw.yaml");
  }

  @Test
  void gatewayClassIsClusterScopedWhateverTheDocumentSays() {
    ParseResult r =
        parse(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: GatewayClass
            metadata: {name: istio, namespace: ignored}
            spec:
              controllerName: istio.io/gateway-controller
              description: The default Istio GatewayClass
            """);
    assertThat(r.errors()).isEmpty();
    Config c = r.configs().get(0);
    assertThat(c.meta().kind()).isSameAs(GatewayApiKinds.GATEWAY_CLASS);
    assertThat(c.namespace()).isEmpty();
    GatewayClassSpec spec = c.spec(GatewayClassSpec.class);
    assertThat(spec.getControllerName()).isEqualTo("istio.io/gateway-controller");
    assertThat(spec.hasDescription()).isTrue();
    assertThat(c.status()).isNull();
  }

  @Test
  void gatewayReadsEveryListenerFieldAndTellsUnsetFromEmpty() {
    ParseResult r =
        parse(
            """
            apiVersion: gateway.networking.k8s.io/v1beta1
            kind: Gateway
            metadata: {name: gateway, namespace: istio-system, generation: 3}
            spec:
              gatewayClassName: istio
              addresses:
              - value: istio-ingressgateway
                type: Hostname
              - value: 1.2.3.4
              listeners:
              - name: https
                hostname: "*.example.com"
                port: 443
                protocol: HTTPS
                tls:
                  mode: Terminate
                  certificateRefs:
                  - name: my-cert
                    namespace: cert
                    kind: Secret
                    group: ""
                  options:
                    gateway.istio.io/tls-terminate-mode: MUTUAL
                allowedRoutes:
                  kinds:
                  - kind: HTTPRoute
                  namespaces:
                    from: Selector
                    selector:
                      matchLabels: {team: a}
                      matchExpressions:
                      - {key: env, operator: In, values: [prod]}
              - name: tcp
                port: 34000
                protocol: TCP
              allowedListeners:
                namespaces: {from: All}
              infrastructure:
                labels: {a: b}
                parametersRef: {group: "", kind: ConfigMap, name: gw-options}
            status:
              addresses:
              - {type: IPAddress, value: 1.2.3.4}
              listeners:
              - name: https
                attachedRoutes: 2
                supportedKinds: [{group: gateway.networking.k8s.io, kind: HTTPRoute}]
                conditions:
                - type: Accepted
                  status: "True"
                  reason: Accepted
                  message: ok
                  observedGeneration: 3
                  lastTransitionTime: "2024-01-01T00:00:00Z"
            """);
    assertThat(r.errors()).isEmpty();
    Config c = r.configs().get(0);
    assertThat(c.meta().generation()).isEqualTo(3);
    GatewaySpec spec = c.spec(GatewaySpec.class);
    assertThat(spec.getAddresses(0).getType()).isEqualTo("Hostname");
    assertThat(spec.getAddresses(1).hasType()).isFalse();
    var https = spec.getListeners(0);
    assertThat(https.getHostname()).isEqualTo("*.example.com");
    assertThat(https.getTls().getCertificateRefs(0).hasGroup()).isTrue();
    assertThat(https.getTls().getCertificateRefs(0).getGroup()).isEmpty();
    assertThat(https.getTls().getOptionsMap())
        .containsEntry("gateway.istio.io/tls-terminate-mode", "MUTUAL");
    assertThat(https.getAllowedRoutes().getKinds(0).hasGroup()).isFalse();
    assertThat(
            https
                .getAllowedRoutes()
                .getNamespaces()
                .getSelector()
                .getMatchExpressions(0)
                .getValuesList())
        .containsExactly("prod");
    var tcp = spec.getListeners(1);
    assertThat(tcp.hasHostname()).isFalse();
    assertThat(tcp.hasTls()).isFalse();
    assertThat(spec.getAllowedListeners().getNamespaces().getFrom()).isEqualTo("All");
    GatewayStatus status = c.status(GatewayStatus.class);
    assertThat(status.getListeners(0).getAttachedRoutes()).isEqualTo(2);
    assertThat(status.getListeners(0).getConditions(0).getObservedGeneration()).isEqualTo(3);
  }

  @Test
  void httpRouteKeepsPointerFieldsPresence() {
    ParseResult r =
        parse(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: http, namespace: default}
            spec:
              parentRefs:
              - name: gateway
                namespace: istio-system
                sectionName: default
                port: 80
              hostnames: ["a.example.com"]
              rules:
              - name: r1
                matches:
                - path: {type: PathPrefix, value: /get}
                  headers: [{name: my-header, value: v}]
                  queryParams: [{name: q, value: "1", type: RegularExpression}]
                  method: GET
                filters:
                - type: RequestMirror
                  requestMirror:
                    backendRef: {name: mirror, port: 80}
                    fraction: {numerator: 4, denominator: 8}
                - type: RequestRedirect
                  requestRedirect: {scheme: https, statusCode: 301, path: {type: ReplacePrefixMatch, replacePrefixMatch: /x}}
                - type: CORS
                  cors: {allowOrigins: ["https://example.com"], allowCredentials: true, maxAge: 10}
                backendRefs:
                - name: httpbin
                  port: 80
                  weight: 0
                  filters:
                  - type: ResponseHeaderModifier
                    responseHeaderModifier: {set: [{name: a, value: b}], remove: [c]}
                timeouts: {request: 1ms, backendRequest: 500ms}
                retry: {attempts: 0, codes: [503], backoff: 3ms}
                sessionPersistence: {sessionName: s, type: Cookie, cookieConfig: {lifetimeType: Session}}
              - backendRefs:
                - name: other
            """);
    assertThat(r.errors()).isEmpty();
    HTTPRouteSpec spec = r.configs().get(0).spec(HTTPRouteSpec.class);
    var parent = spec.getParentRefs(0);
    assertThat(parent.hasGroup()).isFalse();
    assertThat(parent.getPort()).isEqualTo(80);
    var rule = spec.getRules(0);
    assertThat(rule.getName()).isEqualTo("r1");
    assertThat(rule.getMatches(0).getMethod()).isEqualTo("GET");
    assertThat(rule.getFilters(0).getRequestMirror().getFraction().getDenominator()).isEqualTo(8);
    assertThat(rule.getFilters(1).getRequestRedirect().hasPort()).isFalse();
    assertThat(rule.getFilters(2).getCors().getAllowCredentials()).isTrue();
    assertThat(rule.getBackendRefs(0).hasWeight()).isTrue();
    assertThat(rule.getBackendRefs(0).getWeight()).isZero();
    assertThat(rule.getTimeouts().getBackendRequest()).isEqualTo("500ms");
    assertThat(rule.getRetry().hasAttempts()).isTrue();
    assertThat(spec.getRules(1).hasName()).isFalse();
    assertThat(spec.getRules(1).getBackendRefs(0).hasWeight()).isFalse();
    assertThat(spec.getRules(1).getBackendRefs(0).hasPort()).isFalse();
  }

  @Test
  void grpcRouteReferenceGrantAndAlphaRoutes() {
    ParseResult r =
        parse(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: grpc}
            spec:
              parentRefs: [{name: gateway}]
              rules:
              - matches:
                - method: {service: helloworld.Greeter, method: SayHello, type: Exact}
                  headers: [{name: h, value: v, type: RegularExpression}]
                backendRefs: [{name: grpc, port: 9000}]
            ---
            apiVersion: gateway.networking.k8s.io/v1beta1
            kind: ReferenceGrant
            metadata: {name: allow, namespace: service}
            spec:
              from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default}]
              to: [{group: "", kind: Service}]
            ---
            apiVersion: gateway.networking.k8s.io/v1alpha2
            kind: TCPRoute
            metadata: {name: tcp}
            spec:
              parentRefs: [{name: gateway, sectionName: tcp}]
              rules: [{backendRefs: [{name: echo, port: 9000, weight: 2}]}]
            ---
            apiVersion: gateway.networking.k8s.io/v1alpha2
            kind: TLSRoute
            metadata: {name: tls}
            spec:
              parentRefs: [{name: gateway}]
              hostnames: [foo.example.com]
              rules: [{backendRefs: [{name: echo, port: 443}]}]
            """);
    assertThat(r.errors()).isEmpty();
    assertThat(r.configs())
        .extracting(c -> c.meta().kind().kind())
        .containsExactly("GRPCRoute", "ReferenceGrant", "TCPRoute", "TLSRoute");
    var grpc = r.configs().get(0).spec(GRPCRouteSpec.class);
    assertThat(grpc.getRules(0).getMatches(0).getMethod().getService())
        .isEqualTo("helloworld.Greeter");
    var grant = r.configs().get(1).spec(ReferenceGrantSpec.class);
    assertThat(grant.getTo(0).hasName()).isFalse();
    assertThat(grant.getTo(0).getGroup()).isEmpty();
    assertThat(r.configs().get(1).status()).isNull();
    assertThat(
            r.configs().get(2).spec(TCPRouteSpec.class).getRules(0).getBackendRefs(0).getWeight())
        .isEqualTo(2);
    assertThat(r.configs().get(3).spec(TLSRouteSpec.class).getHostnamesList())
        .containsExactly("foo.example.com");
  }

  @Test
  void versionsTheCrdsDoNotServeAreNotThisKind() {
    // GRPCRoute v1alpha2 and ReferenceGrant v1 are not served by gateway-api v1.3.0's CRDs: such
    // a document is some other object, skipped like any unknown kind.
    ParseResult r =
        parse(
            """
            apiVersion: gateway.networking.k8s.io/v1alpha2
            kind: GRPCRoute
            metadata: {name: old}
            spec: {}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: ReferenceGrant
            metadata: {name: nope}
            spec: {}
            """);
    assertThat(r.errors()).isEmpty();
    assertThat(r.configs()).isEmpty();
  }

  @Test
  void unknownFieldsAndBadValuesNameObjectAndFieldAndCostOnlyTheirObject() {
    ParseResult r =
        parse(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: typo, namespace: default}
            spec:
              parentRefs: [{name: gateway}]
              rules:
              - backendRefs: [{name: httpbin, prot: 80}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: badport, namespace: default}
            spec:
              gatewayClassName: istio
              listeners: [{name: http, port: eighty, protocol: HTTP}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: good, namespace: default}
            spec:
              rules: [{backendRefs: [{name: httpbin, port: 80}]}]
            """);
    assertThat(r.configs()).extracting(Config::name).containsExactly("good");
    assertThat(r.errors()).hasSize(2);
    ConfigError typo = r.errors().get(0);
    assertThat(typo.object()).isEqualTo("HTTPRoute default/typo");
    assertThat(typo.field()).isEqualTo("spec.rules[0].backendRefs[0].prot");
    assertThat(typo.message()).isEqualTo("unknown field");
    ConfigError port = r.errors().get(1);
    assertThat(port.object()).isEqualTo("Gateway default/badport");
    assertThat(port.field()).isEqualTo("spec.listeners[0].port");
    assertThat(port.message()).contains("expected an integer");
  }

  @Test
  void aStatusThatDoesNotFitIsReportedButKeepsTheObject() {
    ParseResult r =
        parse(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: r, namespace: default}
            spec:
              rules: [{backendRefs: [{name: httpbin, port: 80}]}]
            status:
              parents:
              - parentRef: {name: gateway}
                controllerName: other.example.com/controller
                conditions: [{type: Accepted, status: "True", reason: A, message: m, bogus: 1}]
            """);
    assertThat(r.configs()).hasSize(1);
    assertThat(r.configs().get(0).status()).isNull();
    assertThat(r.errors()).hasSize(1);
    assertThat(r.errors().get(0).field()).isEqualTo("status.parents[0].conditions[0].bogus");
    assertThat(r.errors().get(0).message()).contains("kept without its status");
  }

  @Test
  void statusWritesBackAsKubernetesHoldsIt() {
    ParseResult r =
        parse(
            """
            apiVersion: gateway.networking.k8s.io/v1beta1
            kind: HTTPRoute
            metadata: {name: r, namespace: default}
            spec: {}
            status:
              parents:
              - parentRef: {name: gateway, namespace: istio-system, port: 80}
                controllerName: istio.io/gateway-controller
                conditions:
                - {type: Accepted, status: "True", reason: Accepted, message: Route was valid,
                   observedGeneration: 2, lastTransitionTime: "2024-01-01T00:00:00Z"}
            """);
    assertThat(r.errors()).isEmpty();
    RouteStatus status = r.configs().get(0).status(RouteStatus.class);
    assertThat(ProtoJsonWriter.write(status).toString())
        .isEqualTo(
            "{\"parents\":[{\"parentRef\":{\"namespace\":\"istio-system\",\"name\":\"gateway\","
                + "\"port\":80},\"controllerName\":\"istio.io/gateway-controller\",\"conditions\":"
                + "[{\"type\":\"Accepted\",\"status\":\"True\",\"observedGeneration\":2,"
                + "\"lastTransitionTime\":\"2024-01-01T00:00:00Z\",\"reason\":\"Accepted\","
                + "\"message\":\"Route was valid\"}]}]}");
    // Required fields are written even when empty, as Go writes them (no omitempty).
    assertThat(ProtoJsonWriter.write(RouteStatus.getDefaultInstance()).toString())
        .isEqualTo("{\"parents\":[]}");
  }

  @Test
  void listenerSetIsReadFromTheExperimentalGroupOnlyWithAlphaKinds() {
    String yaml =
        """
        apiVersion: gateway.networking.x-k8s.io/v1alpha1
        kind: XListenerSet
        metadata: {name: set, namespace: apps}
        spec:
          parentRef: {name: parent, namespace: istio-system, kind: Gateway}
          listeners:
          - name: https
            hostname: a.example.com
            protocol: HTTPS
            tls:
              certificateRefs: [{name: cert}]
        status:
          listeners:
          - name: https
            port: 443
            attachedRoutes: 0
            supportedKinds: []
            conditions: []
        """;
    ParseResult r = parse(yaml);
    assertThat(r.errors()).isEmpty();
    Config c = r.configs().get(0);
    assertThat(c.meta().kind()).isSameAs(GatewayApiKinds.X_LISTENER_SET);
    ListenerSetSpec spec = c.spec(ListenerSetSpec.class);
    assertThat(spec.getParentRef().getName()).isEqualTo("parent");
    assertThat(spec.getParentRef().hasGroup()).isFalse();
    assertThat(spec.getParentRef().getNamespace()).isEqualTo("istio-system");
    assertThat(spec.getListeners(0).getPort()).isZero();
    assertThat(spec.getListeners(0).getTls().getCertificateRefs(0).getName()).isEqualTo("cert");
    ListenerEntryStatus status = c.status(ListenerSetStatus.class).getListeners(0);
    assertThat(status.getPort()).isEqualTo(443);
    assertThat(ProtoJsonWriter.write(c.status()).toString())
        .isEqualTo(
            "{\"listeners\":[{\"name\":\"https\",\"port\":443,\"supportedKinds\":[],"
                + "\"attachedRoutes\":0,\"conditions\":[]}]}");
    assertThat(GatewayApiKinds.X_LISTENER_SET.apiVersion())
        .isEqualTo("gateway.networking.x-k8s.io/v1alpha1");
    assertThat(
            new ConfigParser(GatewayApiKinds.withIstioKinds(true, false), "default")
                .parse(yaml, "f.yaml")
                .configs())
        .isEmpty();
  }

  @Test
  void istioKindsAloneDoNotReadGatewayApiObjects() {
    ParseResult r =
        new ConfigParser(IstioKinds.ALL, "default")
            .parse(
                """
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: gw}
                spec: {gatewayClassName: istio, listeners: []}
                """,
                "f.yaml");
    assertThat(r.configs()).isEmpty();
    assertThat(r.errors()).isEmpty();
    assertThat(GatewayApiKinds.withIstioKinds(false, true)).isEqualTo(IstioKinds.ALL);
    assertThat(GatewayApiKinds.withIstioKinds(true, false))
        .containsAll(GatewayApiKinds.STANDARD)
        .doesNotContainAnyElementsOf(GatewayApiKinds.ALPHA);
    assertThat(GatewayApiKinds.withIstioKinds(true, true)).containsAll(GatewayApiKinds.ALL);
    assertThat(List.copyOf(GatewayApiKinds.ALL)).hasSize(10);
  }
}
