package io.jistiod.pilot.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.LoadBalancerIngressBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import org.junit.jupiter.api.Test;

class KubeConversionsTest {

  private static ServiceBuilder service(String type) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName("gw-istio")
        .withNamespace("apps")
        .endMetadata()
        .withNewSpec()
        .withType(type)
        .withClusterIP("10.96.0.10")
        .addNewPort()
        .withName("http")
        .withPort(80)
        .endPort()
        .endSpec();
  }

  @Test
  void aLoadBalancerServiceCarriesItsTypeAndIngressAddressesThenItsExternalIps() {
    Service k =
        service("LoadBalancer")
            .editSpec()
            .withExternalIPs("203.0.113.9")
            .endSpec()
            .withNewStatus()
            .withNewLoadBalancer()
            .withIngress(
                new LoadBalancerIngressBuilder().withIp("198.51.100.1").build(),
                // a host name is kept as it is (never resolved); an IP wins over it
                new LoadBalancerIngressBuilder().withHostname("lb.example.com").build(),
                new LoadBalancerIngressBuilder()
                    .withIp("198.51.100.2")
                    .withHostname("ignored.example.com")
                    .build())
            .endLoadBalancer()
            .endStatus()
            .build();
    var attributes = KubeConversions.service(k, "cluster.local").attributes();
    assertThat(attributes.serviceType()).isEqualTo("LoadBalancer");
    assertThat(attributes.externalAddresses())
        .containsExactly("198.51.100.1", "lb.example.com", "198.51.100.2", "203.0.113.9");
  }

  @Test
  void aPendingLoadBalancerOrAClusterIpServiceHasNoExternalAddress() {
    assertThat(
            KubeConversions.service(service("LoadBalancer").build(), "cluster.local")
                .attributes()
                .externalAddresses())
        .isEmpty();
    // ingress addresses count only for LoadBalancer Services
    Service clusterIp =
        service("ClusterIP")
            .withNewStatus()
            .withNewLoadBalancer()
            .withIngress(new LoadBalancerIngressBuilder().withIp("198.51.100.1").build())
            .endLoadBalancer()
            .endStatus()
            .build();
    var attributes = KubeConversions.service(clusterIp, "cluster.local").attributes();
    assertThat(attributes.serviceType()).isEqualTo("ClusterIP");
    assertThat(attributes.externalAddresses()).isEmpty();
  }

  @Test
  void internalTrafficPolicyLocalMakesTheServiceNodeLocal() {
    Service local =
        service("ClusterIP").editSpec().withInternalTrafficPolicy("Local").endSpec().build();
    assertThat(KubeConversions.service(local, "cluster.local").attributes().nodeLocal()).isTrue();
    Service cluster =
        service("ClusterIP").editSpec().withInternalTrafficPolicy("Cluster").endSpec().build();
    assertThat(KubeConversions.service(cluster, "cluster.local").attributes().nodeLocal())
        .isFalse();
  }

  @Test
  void anExternalNameServiceIsAnAliasOfTheHostItNamesUnlessHeadless() {
    Service k =
        service("ExternalName")
            .editSpec()
            .withClusterIP(null)
            .withExternalName("web.apps.svc.cluster.local")
            .endSpec()
            .build();
    var alias = KubeConversions.service(k, "cluster.local");
    assertThat(alias.resolution()).isEqualTo(io.jistiod.pilot.model.Resolution.ALIAS);
    assertThat(alias.attributes().externalName()).isEqualTo("web.apps.svc.cluster.local");

    Service headless =
        service("ExternalName")
            .editSpec()
            .withClusterIP("None")
            .withExternalName("web.apps.svc.cluster.local")
            .endSpec()
            .build();
    assertThat(KubeConversions.service(headless, "cluster.local").resolution())
        .isEqualTo(io.jistiod.pilot.model.Resolution.PASSTHROUGH);
    assertThat(
            KubeConversions.service(service("ClusterIP").build(), "cluster.local")
                .attributes()
                .externalName())
        .isEmpty();
  }

  @Test
  void serviceAccountAnnotationsAddIdentitiesInTheMeshTrustDomain() {
    Service annotated =
        service("ClusterIP")
            .editMetadata()
            .addToAnnotations("alpha.istio.io/kubernetes-serviceaccounts", "legacy,batch")
            .addToAnnotations(
                "alpha.istio.io/canonical-serviceaccounts", "spiffe://partner.example/ns/x/sa/y")
            .endMetadata()
            .build();
    assertThat(
            KubeConversions.service(annotated, "cluster.local", "corp.example")
                .attributes()
                .subjectAltNames())
        .containsExactly(
            "spiffe://partner.example/ns/x/sa/y",
            "spiffe://corp.example/ns/apps/sa/legacy",
            "spiffe://corp.example/ns/apps/sa/batch");
    assertThat(
            KubeConversions.service(service("ClusterIP").build(), "cluster.local", "corp.example")
                .attributes()
                .subjectAltNames())
        .isEmpty();
  }
}
