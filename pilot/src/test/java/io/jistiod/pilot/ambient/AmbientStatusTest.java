package io.jistiod.pilot.ambient;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.GatewayApiKinds;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.parse.ParseResult;
import io.jistiod.pilot.ambient.AmbientStatus.Report;
import io.jistiod.pilot.ambient.AmbientStatus.StatusCondition;
import io.jistiod.pilot.ambient.AmbientStatus.Target;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The ambient status conditions, as istiod 1.27 computes them. */
class AmbientStatusTest {
  private static final String CONFIG =
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: GatewayClass
      metadata: {name: istio-waypoint}
      spec: {controllerName: istio.io/mesh-controller}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: GatewayClass
      metadata: {name: istio}
      spec: {controllerName: istio.io/gateway-controller}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata: {name: waypoint, namespace: shop}
      spec:
        gatewayClassName: istio-waypoint
        listeners: [{name: mesh, port: 15008, protocol: HBONE}]
      status:
        addresses: [{type: Hostname, value: waypoint.shop.svc.cluster.local}]
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata:
        name: workload-only
        namespace: shop
        labels: {istio.io/waypoint-for: workload}
      spec:
        gatewayClassName: istio-waypoint
        listeners: [{name: mesh, port: 15008, protocol: HBONE}]
      status:
        addresses: [{type: Hostname, value: workload-only.shop.svc.cluster.local}]
      ---
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata: {name: ext, namespace: shop, labels: {istio.io/use-waypoint: waypoint}}
      spec:
        hosts: [ext.example.com]
        addresses: [240.0.0.1]
        ports: [{number: 80, name: http, protocol: HTTP}]
        resolution: DNS
      ---
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata: {name: cidr, namespace: shop, labels: {istio.io/use-waypoint: waypoint}}
      spec:
        hosts: [cidr.example.com]
        addresses: [240.0.0.0/24]
        ports: [{number: 80, name: http, protocol: HTTP}]
      """;

  private static final String POLICIES =
      """
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: allow, namespace: shop, generation: 3}
      spec:
        rules: [{from: [{source: {namespaces: [shop]}}]}]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: http-allow, namespace: shop, generation: 2}
      spec:
        rules:
        - to: [{operation: {methods: [GET], paths: [/a]}}]
          when: [{key: "request.headers[x]", values: [z]}, {key: source.ip, values: [10.0.0.1]}]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: http-deny, namespace: shop, generation: 1}
      spec:
        action: DENY
        rules: [{from: [{source: {requestPrincipals: ["*"]}}]}]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: audit, namespace: shop, generation: 1}
      spec: {action: AUDIT}
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: dry, namespace: shop, generation: 1, annotations: {istio.io/dry-run: "true"}}
      spec: {}
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: on-gateway, namespace: shop, generation: 4}
      spec:
        targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: waypoint}]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: on-services, namespace: shop, generation: 5}
      spec:
        targetRefs:
        - {kind: Service, group: "", name: reviews}
        - {kind: Service, group: "", name: ratings}
        - {kind: Service, group: "", name: nope}
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: all-bad, namespace: shop, generation: 1}
      spec:
        targetRefs:
        - {kind: ServiceEntry, group: networking.istio.io, name: nope}
        - {kind: GatewayClass, group: gateway.networking.k8s.io, name: istio-waypoint}
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: on-class, namespace: istio-system, generation: 1}
      spec:
        targetRef: {kind: GatewayClass, group: gateway.networking.k8s.io, name: istio}
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: on-missing-gateway, namespace: shop, generation: 1}
      spec:
        targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: gone}]
      """;

  private static List<Config> parse(String yaml) {
    ParseResult r =
        new ConfigParser(GatewayApiKinds.withIstioKinds(true, false), "default")
            .parse(yaml, "test");
    assertThat(r.errors()).isEmpty();
    return r.configs();
  }

  private static List<Config> of(List<Config> all, io.jistiod.galley.config.ConfigKind kind) {
    return all.stream().filter(c -> c.meta().kind().equals(kind)).toList();
  }

  private static AmbientStatus status() {
    List<Config> cfg = parse(CONFIG);
    AmbientInputs in =
        new AmbientInputs(
                List.of(),
                List.of(
                    // by the namespace's waypoint, telling ingress to use it
                    AmbientObjects.service("shop", "productpage", "productpage", "10.96.0.10")
                        .editMetadata()
                        .addToLabels("istio.io/ingress-use-waypoint", "true")
                        .endMetadata()
                        .build(),
                    AmbientObjects.svc("shop", "reviews", "reviews", "10.96.0.11"),
                    // opted out
                    AmbientObjects.service("shop", "ratings", "ratings", "10.96.0.12")
                        .editMetadata()
                        .addToLabels("istio.io/use-waypoint", "none")
                        .endMetadata()
                        .build(),
                    AmbientObjects.service("shop", "details", "details", "10.96.0.13")
                        .editMetadata()
                        .addToLabels("istio.io/use-waypoint", "not-ready")
                        .endMetadata()
                        .build(),
                    AmbientObjects.service("shop", "carts", "carts", "10.96.0.14")
                        .editMetadata()
                        .addToLabels("istio.io/use-waypoint", "workload-only")
                        .endMetadata()
                        .build(),
                    // a waypoint in another namespace that only lets its own attach
                    AmbientObjects.service("other", "orders", "orders", "10.96.1.1")
                        .editMetadata()
                        .addToLabels("istio.io/use-waypoint", "waypoint")
                        .addToLabels("istio.io/use-waypoint-namespace", "shop")
                        .endMetadata()
                        .build(),
                    AmbientObjects.svc("other", "plain", "plain", "10.96.1.2")),
                List.of(),
                "",
                Map.of("shop", Map.of("istio.io/use-waypoint", "waypoint"), "other", Map.of()),
                of(cfg, GatewayApiKinds.GATEWAY),
                of(cfg, GatewayApiKinds.GATEWAY_CLASS))
            .withConfig(
                of(cfg, GatewayApiKinds.GATEWAY),
                of(cfg, GatewayApiKinds.GATEWAY_CLASS),
                of(cfg, IstioKinds.SERVICE_ENTRY),
                List.of());
    return AmbientStatus.of(in, parse(POLICIES), "istio-system");
  }

  private static Report report(AmbientStatus s, String writer, Target t, String ns, String name) {
    return s.reports().stream()
        .filter(
            r ->
                r.writer().equals(writer)
                    && r.target() == t
                    && r.namespace().equals(ns)
                    && r.name().equals(name))
        .findFirst()
        .orElse(null);
  }

  private static StatusCondition service(AmbientStatus s, String ns, String name) {
    Report r = report(s, AmbientStatus.SERVICE_WRITER, Target.SERVICE, ns, name);
    assertThat(r).as(ns + "/" + name).isNotNull();
    assertThat(r.type()).isEqualTo("istio.io/WaypointBound");
    return r.condition();
  }

  private static StatusCondition policy(AmbientStatus s, String writer, String ns, String name) {
    Report r = report(s, writer, Target.AUTHORIZATION_POLICY, ns, name);
    return r == null ? null : r.condition();
  }

  private static StatusCondition ztunnel(AmbientStatus s, String name) {
    return policy(s, AmbientStatus.ZTUNNEL_POLICY_WRITER, "shop", name);
  }

  private static StatusCondition waypoint(AmbientStatus s, String ns, String name) {
    return policy(s, AmbientStatus.WAYPOINT_POLICY_WRITER, ns, name);
  }

  private static StatusCondition bound(String type, boolean s, String reason, String msg, long g) {
    return new StatusCondition(type, s, reason, msg, g);
  }

  @Test
  void servicesReportTheirWaypointOrWhyTheyHaveNone() {
    AmbientStatus s = status();
    String t = "istio.io/WaypointBound";
    assertThat(service(s, "shop", "productpage"))
        .isEqualTo(
            bound(
                t,
                true,
                "WaypointAccepted",
                "Successfully attached to waypoint shop/waypoint. Ingress traffic will traverse the"
                    + " waypoint",
                0));
    assertThat(service(s, "shop", "reviews"))
        .isEqualTo(
            bound(
                t, true, "WaypointAccepted", "Successfully attached to waypoint shop/waypoint", 0));
    // reported without a condition: a condition written before is removed
    assertThat(service(s, "shop", "ratings")).isNull();
    assertThat(service(s, "other", "plain")).isNull();
    assertThat(service(s, "shop", "details"))
        .isEqualTo(
            bound(t, false, "WaypointIsNotReady", "waypoint \"shop/not-ready\" is not ready", 0));
    assertThat(service(s, "shop", "carts"))
        .isEqualTo(
            bound(
                t,
                false,
                "UnsupportedTrafficType",
                "attempting to bind to traffic type \"service\" which the waypoint"
                    + " \"shop/workload-only\" does not support",
                0));
    assertThat(service(s, "other", "orders"))
        .isEqualTo(
            bound(
                t,
                false,
                "AttachmentDenied",
                "we are not permitted to attach to waypoint \"shop/waypoint\" (missing"
                    + " allowedRoutes?)",
                0));
  }

  @Test
  void serviceEntriesThatMakeServicesReportTheirWaypoint() {
    AmbientStatus s = status();
    assertThat(report(s, AmbientStatus.SERVICE_WRITER, Target.SERVICE_ENTRY, "shop", "ext"))
        .isEqualTo(
            new Report(
                "istio-ambient-service",
                Target.SERVICE_ENTRY,
                "shop",
                "ext",
                "istio.io/WaypointBound",
                bound(
                    "istio.io/WaypointBound",
                    true,
                    "WaypointAccepted",
                    "Successfully attached to waypoint shop/waypoint",
                    0)));
    // a CIDR address: istiod makes no service of it and writes nothing
    assertThat(report(s, AmbientStatus.SERVICE_WRITER, Target.SERVICE_ENTRY, "shop", "cidr"))
        .isNull();
  }

  @Test
  void policiesSentToZtunnelReportWhetherItEnforcesThem() {
    AmbientStatus s = status();
    String t = "ZtunnelAccepted";
    assertThat(ztunnel(s, "allow")).isEqualTo(bound(t, true, "Accepted", "attached to ztunnel", 3));
    assertThat(ztunnel(s, "http-allow"))
        .isEqualTo(
            bound(
                t,
                true,
                "UnsupportedValue",
                "ztunnel does not support HTTP attributes (found: methods, paths,"
                    + " request.headers[x]). In ambient mode you must use a waypoint proxy to"
                    + " enforce HTTP rules. Within an ALLOW policy, rules matching HTTP attributes"
                    + " are omitted. This will be more restrictive than requested.",
                2));
    assertThat(ztunnel(s, "http-deny"))
        .isEqualTo(
            bound(
                t,
                true,
                "UnsupportedValue",
                "ztunnel does not support HTTP attributes (found: requestPrincipals). In ambient"
                    + " mode you must use a waypoint proxy to enforce HTTP rules. DENY policy with"
                    + " HTTP attributes is enforced without the HTTP rules. This will be more"
                    + " restrictive than requested.",
                1));
    assertThat(ztunnel(s, "audit"))
        .isEqualTo(
            bound(t, false, "UnsupportedValue", "ztunnel does not support the AUDIT action", 1));
    // dry-run and targetRef policies are not ztunnel's: nothing written (nor removed)
    assertThat(ztunnel(s, "dry")).isNull();
    assertThat(ztunnel(s, "on-gateway")).isNull();
    assertThat(waypoint(s, "shop", "allow")).isNull();
  }

  @Test
  void targetRefPoliciesReportWhetherTheirTargetsAreBoundToAWaypoint() {
    AmbientStatus s = status();
    String t = "WaypointAccepted";
    assertThat(waypoint(s, "shop", "on-gateway"))
        .isEqualTo(bound(t, true, "Accepted", "bound to shop/waypoint", 4));
    assertThat(waypoint(s, "shop", "on-missing-gateway"))
        .isEqualTo(bound(t, false, "TargetNotFound", "not bound", 1));
    assertThat(waypoint(s, "shop", "on-services"))
        .isEqualTo(
            bound(
                t,
                true,
                "PartiallyInvalid",
                "Invalid targetRefs: Service.core:shop/ratings, Service.core:shop/nope",
                5));
    assertThat(waypoint(s, "shop", "all-bad"))
        .isEqualTo(
            bound(
                t,
                false,
                "Invalid",
                "Invalid targetRefs: ServiceEntry.networking.istio.io:shop/nope,"
                    + " GatewayClass.gateway.networking.k8s.io:shop/istio-waypoint",
                1));
    assertThat(waypoint(s, "istio-system", "on-class"))
        .isEqualTo(
            bound(
                t,
                false,
                "Invalid",
                "GatewayClass must use controller name `istio.io/mesh-controller` for waypoints",
                1));
    // the dry-run annotation does not stop the waypoint writer, nor is the policy ztunnel's
    assertThat(policy(s, AmbientStatus.ZTUNNEL_POLICY_WRITER, "shop", "on-services")).isNull();
  }

  @Test
  void aSingleTargetKeepsItsOwnReasonAndMessage() {
    StatusCondition c =
        AmbientStatus.flatten(
            List.of(
                new AmbientStatus.TargetBinding(
                    "Service.core:a/b", false, "AncestorNotBound", "Service a/b is not bound")),
            7);
    assertThat(c)
        .isEqualTo(
            bound("WaypointAccepted", false, "AncestorNotBound", "Service a/b is not bound", 7));
    assertThat(
            AmbientStatus.flatten(
                List.of(
                    new AmbientStatus.TargetBinding("x", true, "Accepted", "bound to a/w"),
                    new AmbientStatus.TargetBinding("y", true, "Accepted", "bound to a/w")),
                2))
        .isEqualTo(bound("WaypointAccepted", true, "Accepted", "", 2));
  }
}
