package io.jistiod.pilot.ambient;

import static io.jistiod.pilot.ambient.AmbientObjects.ambientPod;
import static io.jistiod.pilot.ambient.AmbientObjects.pod;
import static io.jistiod.pilot.ambient.AmbientObjects.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.GatewayApiKinds;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.parse.ParseResult;
import io.jistiod.pilot.api.workload.ApplicationTunnel;
import io.jistiod.pilot.api.workload.GatewayAddress;
import io.jistiod.pilot.api.workload.NamespacedHostname;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which waypoint services and workloads use, as istiod 1.27 decides. */
class WaypointsTest {
  private static final AmbientSettings SETTINGS =
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
      metadata:
        name: all-traffic
        namespace: shop
        labels: {istio.io/waypoint-for: all}
        annotations: {ambient.istio.io/waypoint-inbound-binding: PROXY/15088}
      spec:
        gatewayClassName: istio-waypoint
        listeners:
        - name: proxy
          port: 15088
          protocol: istio.io/PROXY
          allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {team: a}}}}
      status:
        addresses: [{type: IPAddress, value: 10.96.5.5}]
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata: {name: not-ready, namespace: shop}
      spec:
        gatewayClassName: istio-waypoint
        listeners: [{name: mesh, port: 15008, protocol: HBONE}]
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
        SETTINGS,
        "cluster.local",
        ZtunnelPolicies.convert(List.of(), "istio-system"),
        "istio-system",
        AddressIndex.EMPTY);
  }

  private static final GatewayAddress BY_HOSTNAME =
      GatewayAddress.newBuilder()
          .setHostname(
              NamespacedHostname.newBuilder()
                  .setNamespace("shop")
                  .setHostname("waypoint.shop.svc.cluster.local"))
          .setHboneMtlsPort(15008)
          .build();

  @Test
  void aNamespacesWaypointCarriesItsServicesButNotItsWorkloadsByDefault() {
    AddressIndex idx =
        index(
            List.of(ambientPod("shop", "productpage-x7k2p", "10.1.0.7")),
            List.of(AmbientObjects.svc("shop", "productpage", "productpage", "10.96.0.10")),
            Map.of("shop", Map.of("istio.io/use-waypoint", "waypoint")));

    assertThat(idx.address("shop/productpage.shop.svc.cluster.local").getService().getWaypoint())
        .isEqualTo(BY_HOSTNAME);
    // istio.io/waypoint-for defaults to service traffic
    assertThat(idx.address("Kubernetes//Pod/shop/productpage-x7k2p").getWorkload().hasWaypoint())
        .isFalse();
  }

  @Test
  void anObjectsLabelWinsOverItsNamespaceAndNoneOptsOut() {
    Pod own =
        pod("shop", "reviews-a1b2c", "10.1.0.8")
            .editMetadata()
            .addToLabels("istio.io/use-waypoint", "all-traffic")
            .endMetadata()
            .build();
    var optedOut =
        service("shop", "ratings", "ratings", "10.96.0.11")
            .editMetadata()
            .addToLabels("istio.io/use-waypoint", "none")
            .endMetadata()
            .build();
    var notReady =
        service("shop", "details", "details", "10.96.0.12")
            .editMetadata()
            .addToLabels("istio.io/use-waypoint", "not-ready")
            .endMetadata()
            .build();
    AddressIndex idx =
        index(
            List.of(own),
            List.of(optedOut, notReady),
            Map.of("shop", Map.of("istio.io/use-waypoint", "waypoint", "team", "a")));

    // by IP (its status has no hostname), and it lets namespaces labelled team=a attach
    assertThat(
            idx.address("Kubernetes//Pod/shop/reviews-a1b2c")
                .getWorkload()
                .getWaypoint()
                .getAddress()
                .getAddress()
                .toByteArray())
        .containsExactly(10, 96, 5, 5);
    assertThat(idx.address("shop/ratings.shop.svc.cluster.local").getService().hasWaypoint())
        .isFalse();
    assertThat(idx.address("shop/details.shop.svc.cluster.local").getService().hasWaypoint())
        .isFalse();
  }

  @Test
  void aWaypointRefusesNamespacesItsListenerDoesNotAllow() {
    Pod other =
        pod("elsewhere", "app-1", "10.1.0.9")
            .editMetadata()
            .addToLabels("istio.io/use-waypoint", "all-traffic")
            .addToLabels("istio.io/use-waypoint-namespace", "shop")
            .endMetadata()
            .build();
    var svc =
        service("elsewhere", "app", "app", "10.96.0.13")
            .editMetadata()
            .addToLabels("istio.io/use-waypoint", "waypoint")
            .addToLabels("istio.io/use-waypoint-namespace", "shop")
            .endMetadata()
            .build();
    AddressIndex idx =
        index(List.of(other), List.of(svc), Map.of("elsewhere", Map.of("team", "b")));

    assertThat(idx.address("Kubernetes//Pod/elsewhere/app-1").getWorkload().hasWaypoint())
        .isFalse();
    // waypoint's HBONE listener has no allowedRoutes: Same namespace only
    assertThat(idx.address("elsewhere/app.elsewhere.svc.cluster.local").getService().hasWaypoint())
        .isFalse();
  }

  @Test
  void aWaypointsOwnPodsTakeItsInboundBindingAndUseNoWaypoint() {
    Pod instance =
        pod("shop", "all-traffic-5f6g7", "10.1.0.10")
            .editMetadata()
            .addToLabels("gateway.networking.k8s.io/gateway-name", "all-traffic")
            .addToLabels("istio.io/use-waypoint", "all-traffic")
            .endMetadata()
            .build();
    AddressIndex idx = index(List.of(instance), List.of(), Map.of("shop", Map.of("team", "a")));

    var w = idx.address("Kubernetes//Pod/shop/all-traffic-5f6g7").getWorkload();
    assertThat(w.hasWaypoint()).isFalse();
    assertThat(w.getApplicationTunnel())
        .isEqualTo(
            ApplicationTunnel.newBuilder()
                .setProtocol(ApplicationTunnel.Protocol.PROXY)
                .setPort(15088)
                .build());
  }
}
