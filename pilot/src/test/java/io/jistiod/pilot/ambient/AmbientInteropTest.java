package io.jistiod.pilot.ambient;

import static io.jistiod.pilot.ambient.AmbientObjects.ambientPod;
import static io.jistiod.pilot.ambient.AmbientObjects.pod;
import static io.jistiod.pilot.ambient.AmbientObjects.service;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import io.fabric8.kubernetes.api.model.Pod;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.GatewayApiKinds;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.parse.ParseResult;
import io.jistiod.pilot.model.Endpoint;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What sidecars and gateways learn from the workload API in ambient mode, as istiod 1.27. */
class AmbientInteropTest {
  private static final AmbientSettings DEFAULTS =
      new AmbientSettings("Kubernetes", "cluster.local");

  private static final String WAYPOINTS =
      """
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
      metadata: {name: by-ip, namespace: shop}
      spec:
        gatewayClassName: istio-waypoint
        listeners: [{name: mesh, port: 15008, protocol: HBONE}]
      status:
        addresses: [{type: IPAddress, value: 10.96.5.5}]
      """;

  private static List<Config> gateways() {
    ParseResult r =
        new ConfigParser(GatewayApiKinds.withIstioKinds(true, false), "default")
            .parse(WAYPOINTS, "test");
    assertThat(r.errors()).isEmpty();
    return r.configs();
  }

  private static AddressIndex index(
      List<Pod> pods,
      List<io.fabric8.kubernetes.api.model.Service> services,
      Map<String, Map<String, String>> namespaces) {
    return AddressIndex.build(
        new AmbientInputs(pods, services, List.of(), "", namespaces, gateways(), List.of()),
        DEFAULTS,
        "cluster.local",
        ZtunnelPolicies.convert(List.of(), "istio-system"),
        "istio-system",
        AddressIndex.EMPTY);
  }

  private static io.fabric8.kubernetes.api.model.Service svc(
      String name, String vip, Map<String, String> labels) {
    return service("shop", name, name, vip)
        .editMetadata()
        .addToLabels(labels)
        .endMetadata()
        .build();
  }

  private static Endpoint endpoint(String ip, Map<String, String> labels, String tlsMode) {
    return new Endpoint(
        "x.shop.svc.cluster.local",
        80,
        "http",
        ip,
        8080,
        labels,
        Locality.UNKNOWN,
        1,
        true,
        "",
        tlsMode,
        "shop",
        "x");
  }

  @Test
  void gatewaysUseTheWaypointOfServicesThatOptInByLabelOrNamespace() {
    AddressIndex idx =
        index(
            List.of(),
            List.of(
                svc("ratings", "10.96.0.10", Map.of("istio.io/ingress-use-waypoint", "TRUE")),
                svc("reviews", "10.96.0.11", Map.of()),
                svc("details", "10.96.0.12", Map.of("istio.io/ingress-use-waypoint", "false")),
                svc("by-ip", "10.96.5.5", Map.of("istio.io/use-waypoint", "none")),
                svc(
                    "legacy",
                    "10.96.0.13",
                    Map.of(
                        "istio.io/use-waypoint",
                        "by-ip",
                        "istio.io/ingress-use-waypoint",
                        "true"))),
            Map.of(
                "shop",
                Map.of(
                    "istio.io/use-waypoint", "waypoint", "istio.io/ingress-use-waypoint", "true")));
    AmbientInterop interop = AmbientInterop.of(DEFAULTS, idx);

    // the service's own label, in any case
    assertThat(interop.ingressWaypoint("shop", "ratings.shop.svc.cluster.local"))
        .contains(new AddressIndex.ServiceWaypoint("waypoint.shop.svc.cluster.local", 15008, true));
    // no label: the namespace's
    assertThat(interop.ingressWaypoint("shop", "reviews.shop.svc.cluster.local")).isPresent();
    // the service's false wins over the namespace's true; it keeps its waypoint for sidecars
    assertThat(interop.ingressWaypoint("shop", "details.shop.svc.cluster.local")).isEmpty();
    assertThat(idx.waypointOf("shop", "details.shop.svc.cluster.local")).isPresent();
    // a waypoint known by IP is the service with that VIP
    assertThat(interop.ingressWaypoint("shop", "legacy.shop.svc.cluster.local"))
        .contains(new AddressIndex.ServiceWaypoint("by-ip.shop.svc.cluster.local", 15008, true));

    // a change to a waypoint moves the gateways' endpoints of the services routed through it
    assertThat(interop.routesIngressThroughAny(java.util.Set.of("by-ip.shop.svc.cluster.local")))
        .isTrue();
    assertThat(interop.routesIngressThroughAny(java.util.Set.of("ratings.shop.svc.cluster.local")))
        .isFalse();

    // ENABLE_INGRESS_WAYPOINT_ROUTING=false, and ambient off
    AmbientInterop off =
        AmbientInterop.of(
            new AmbientSettings("Kubernetes", "cluster.local", true, false, false), idx);
    assertThat(off.ingressWaypoint("shop", "ratings.shop.svc.cluster.local")).isEmpty();
    assertThat(AmbientInterop.OFF.ingressWaypoint("shop", "ratings.shop.svc.cluster.local"))
        .isEmpty();
  }

  @Test
  void capturedWorkloadsTakeHboneUnlessTheyHaveASidecarAndHboneIsNotPreferred() {
    AddressIndex idx =
        index(
            List.of(
                ambientPod("shop", "productpage-x7k2p", "10.1.0.7"),
                pod("shop", "plain-a1b2c", "10.1.0.8").build()),
            List.of(),
            Map.of());
    AmbientInterop interop = AmbientInterop.of(DEFAULTS, idx);

    Endpoint captured = endpoint("10.1.0.7", Map.of(), "disabled");
    assertThat(interop.tunnels(captured)).isTrue();
    assertThat(interop.takesHbone(captured)).isTrue();
    assertThat(interop.tunnels(endpoint("10.1.0.8", Map.of(), "disabled"))).isFalse();
    // Istio mTLS through a sidecar is kept unless HBONE is preferred
    Endpoint withSidecar = endpoint("10.1.0.7", Map.of(), "istio");
    assertThat(interop.tunnels(withSidecar)).isFalse();
    assertThat(
            AmbientInterop.of(
                    new AmbientSettings("Kubernetes", "cluster.local", true, true, true), idx)
                .tunnels(withSidecar))
        .isTrue();
    // a waypoint's pods are tunneled to, yet do not count as taking HBONE service-wide
    Endpoint waypoint =
        endpoint("10.1.0.9", Map.of("gateway.istio.io/managed", "istio.io-mesh-controller"), "");
    assertThat(interop.tunnels(waypoint)).isTrue();
    assertThat(interop.takesHbone(waypoint)).isFalse();
    // the tunnel label is a list
    assertThat(
            interop.takesHbone(
                endpoint("10.1.0.10", Map.of("networking.istio.io/tunnel", "h3,http"), "")))
        .isTrue();
    assertThat(AmbientInterop.OFF.tunnels(captured)).isFalse();
  }

  @Test
  void proxylessClientsAndAgentsThatTurnedItOffDoNotTunnel() throws Exception {
    Proxy sidecar = proxy("sidecar", Map.of());
    assertThat(AmbientInterop.clientTunnels(sidecar)).isTrue();
    assertThat(AmbientInterop.clientTunnels(proxy("sidecar", Map.of("DISABLE_HBONE_SEND", "true"))))
        .isFalse();
    assertThat(AmbientInterop.clientTunnels(proxy("sidecar", Map.of("GENERATOR", "grpc"))))
        .isFalse();
  }

  @Test
  void onlySidecarsWhoseAgentAsksListenForHboneAndOnlyWithAmbientAndTheFlag() throws Exception {
    AmbientInterop interop = AmbientInterop.of(DEFAULTS, AddressIndex.EMPTY);
    Map<String, String> asks = Map.of("ENABLE_HBONE", "true");
    assertThat(interop.listensHbone(proxy("sidecar", asks))).isTrue();
    // Go's boolean spellings
    assertThat(interop.listensHbone(proxy("sidecar", Map.of("ENABLE_HBONE", "1")))).isTrue();
    assertThat(interop.listensHbone(proxy("sidecar", Map.of("ENABLE_HBONE", "false")))).isFalse();
    assertThat(interop.listensHbone(proxy("sidecar", Map.of()))).isFalse();
    // gateways never do (a waypoint has HBONE of its own)
    assertThat(interop.listensHbone(proxy("router", asks))).isFalse();
    // PILOT_ENABLE_SIDECAR_LISTENING_HBONE=false, and ambient off
    AmbientInterop flagOff =
        AmbientInterop.of(
            new AmbientSettings("Kubernetes", "cluster.local", true, false, true, false),
            AddressIndex.EMPTY);
    assertThat(flagOff.listensHbone(proxy("sidecar", asks))).isFalse();
    assertThat(AmbientInterop.OFF.listensHbone(proxy("sidecar", asks))).isFalse();
  }

  private static Proxy proxy(String type, Map<String, String> metadata) throws Exception {
    Struct.Builder md = Struct.newBuilder();
    metadata.forEach(
        (k, v) ->
            md.putFields(k, com.google.protobuf.Value.newBuilder().setStringValue(v).build()));
    md.putFields(
        "NAMESPACE", com.google.protobuf.Value.newBuilder().setStringValue("shop").build());
    return Proxy.fromNode(
        type + "~10.1.0.1~client-1.shop~shop.svc.cluster.local", md.build(), Locality.UNKNOWN);
  }
}
