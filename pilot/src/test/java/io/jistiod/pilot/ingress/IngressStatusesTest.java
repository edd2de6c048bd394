package io.jistiod.pilot.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.jistiod.galley.api.ingress.v1.IngressLoadBalancerIngress;
import io.jistiod.galley.api.ingress.v1.IngressLoadBalancerStatus;
import io.jistiod.galley.api.ingress.v1.IngressStatus;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.IngressKinds;
import io.jistiod.galley.mesh.MeshConfigs;
import io.jistiod.galley.parse.ConfigParser;
import java.util.List;
import org.junit.jupiter.api.Test;

class IngressStatusesTest {
  private static final IngressOptions OPTIONS = IngressOptions.defaults("cluster.local");

  private static Service gatewayService(String ns, String... externalIps) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName("istio-ingressgateway")
        .withNamespace(ns)
        .endMetadata()
        .withNewSpec()
        .withType("LoadBalancer")
        .withExternalIPs(externalIps)
        .endSpec()
        .withNewStatus()
        .withNewLoadBalancer()
        .addNewIngress()
        .withHostname("lb.example.com")
        .endIngress()
        .addNewIngress()
        .withIp("203.0.113.9")
        .endIngress()
        .endLoadBalancer()
        .endStatus()
        .build();
  }

  @Test
  void ingressServiceAddressesFromItsNamespaceOnly() {
    assertThat(
            IngressStatuses.addresses(
                MeshConfigs.defaults(),
                OPTIONS,
                List.of(gatewayService("istio-system", "198.51.100.1")),
                List.of(),
                List.of()))
        .containsExactly("lb.example.com", "203.0.113.9", "198.51.100.1");
    assertThat(
            IngressStatuses.addresses(
                MeshConfigs.defaults(),
                OPTIONS,
                List.of(gatewayService("elsewhere")),
                List.of(),
                List.of()))
        .isEmpty();
  }

  @Test
  void externalNameServiceGivesItsName() {
    Service alias =
        new ServiceBuilder()
            .withNewMetadata()
            .withName("istio-ingressgateway")
            .withNamespace("istio-system")
            .endMetadata()
            .withNewSpec()
            .withType("ExternalName")
            .withExternalName("gw.example.net")
            .endSpec()
            .build();
    assertThat(
            IngressStatuses.addresses(
                MeshConfigs.defaults(), OPTIONS, List.of(alias), List.of(), List.of()))
        .containsExactly("gw.example.net");
  }

  private static Pod pod(String name, String phase, String node) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("istio-system")
        .addToLabels("istio", "my-gw")
        .endMetadata()
        .withNewSpec()
        .withNodeName(node)
        .endSpec()
        .withNewStatus()
        .withPhase(phase)
        .endStatus()
        .build();
  }

  private static Node node(String name, String... externalIps) {
    NodeBuilder b = new NodeBuilder().withNewMetadata().withName(name).endMetadata();
    var status = b.withNewStatus().addNewAddress().withType("InternalIP").withAddress("10.0.0.1");
    var built = status.endAddress();
    for (String ip : externalIps) {
      built = built.addNewAddress().withType("ExternalIP").withAddress(ip).endAddress();
    }
    return built.endStatus().build();
  }

  @Test
  void withoutIngressServiceTheFirstRunningGatewayPodsNodeIps() {
    MeshConfig mesh =
        MeshConfigs.defaults().toBuilder()
            .setIngressService("")
            .setIngressSelector("my-gw")
            .build();
    assertThat(
            IngressStatuses.addresses(
                mesh,
                OPTIONS,
                List.of(),
                List.of(pod("a-pending", "Pending", "n1"), pod("b-running", "Running", "n2")),
                List.of(node("n1", "192.0.2.1"), node("n2", "192.0.2.2", "192.0.2.2"))))
        .containsExactly("192.0.2.2");
  }

  @Test
  void statusListsHostnamesThenIpsSorted() {
    assertThat(
            IngressStatuses.status(List.of("203.0.113.9", "b.example.com", "2001:db8::1", "a.x")))
        .isEqualTo(
            IngressStatus.newBuilder()
                .setLoadBalancer(
                    IngressLoadBalancerStatus.newBuilder()
                        .addIngress(IngressLoadBalancerIngress.newBuilder().setIp("2001:db8::1"))
                        .addIngress(IngressLoadBalancerIngress.newBuilder().setIp("203.0.113.9"))
                        .addIngress(IngressLoadBalancerIngress.newBuilder().setHostname("a.x"))
                        .addIngress(
                            IngressLoadBalancerIngress.newBuilder().setHostname("b.example.com")))
                .build());
  }

  @Test
  void onlyIngressesWhoseStatusDiffersAreUpdated() {
    List<Config> ingresses =
        new ConfigParser(IngressKinds.ALL, "default")
            .parse(
                """
                apiVersion: networking.k8s.io/v1
                kind: Ingress
                metadata: {name: current, namespace: shop}
                spec: {}
                status: {loadBalancer: {ingress: [{ip: 203.0.113.9}]}}
                ---
                apiVersion: networking.k8s.io/v1
                kind: Ingress
                metadata: {name: stale, namespace: shop}
                spec: {}
                status: {loadBalancer: {ingress: [{ip: 203.0.113.1}]}}
                ---
                apiVersion: networking.k8s.io/v1
                kind: Ingress
                metadata: {name: fresh, namespace: shop}
                spec: {}
                """,
                "t")
            .configs();
    assertThat(ingresses).hasSize(3);
    assertThat(
            IngressStatuses.updates(ingresses, IngressStatuses.status(List.of("203.0.113.9")))
                .stream()
                .map(u -> u.ingress().name()))
        .containsExactly("stale", "fresh");
  }
}
