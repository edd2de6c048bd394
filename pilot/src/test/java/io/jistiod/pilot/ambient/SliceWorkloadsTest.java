package io.jistiod.pilot.ambient;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.jistiod.pilot.api.workload.NetworkMode;
import io.jistiod.pilot.api.workload.Port;
import io.jistiod.pilot.api.workload.Workload;
import io.jistiod.pilot.api.workload.WorkloadStatus;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Workloads of hand-written EndpointSlice endpoints, as istiod 1.27 sends them to ztunnel. */
class SliceWorkloadsTest {
  private static final String UID = "Kubernetes/discovery.k8s.io/EndpointSlice/shop/legacy-1/";

  /** A Service without selector: http 80 to 8080, tcp-db 5432. */
  private static io.fabric8.kubernetes.api.model.Service legacy(String name, String type) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withNamespace("shop")
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withType(type)
        .withClusterIP(type.equals("ExternalName") ? null : "10.96.0.40")
        .withExternalName(type.equals("ExternalName") ? "example.com" : null)
        .addNewPort()
        .withName("http")
        .withPort(80)
        .withTargetPort(new IntOrString(8080))
        .endPort()
        .addNewPort()
        .withName("tcp-db")
        .withPort(5432)
        .endPort()
        .endSpec()
        .build();
  }

  private static EndpointSliceBuilder slice(String name, String service) {
    return new EndpointSliceBuilder()
        .withNewMetadata()
        .withNamespace("shop")
        .withName(name)
        .addToLabels("kubernetes.io/service-name", service)
        .endMetadata()
        .withAddressType("IPv4")
        .addNewPort()
        .withName("http")
        .withPort(8080)
        .withProtocol("TCP")
        .endPort()
        .addNewPort()
        .withName("tcp-db")
        .withPort(5433)
        .withProtocol("UDP")
        .endPort()
        .addNewPort()
        .withName("metrics")
        .withPort(9090)
        .withProtocol("TCP")
        .endPort();
  }

  private static AddressIndex index(
      List<io.fabric8.kubernetes.api.model.Service> services, List<EndpointSlice> slices) {
    return AddressIndex.build(
        new AmbientInputs(List.of(), services, List.of(), "net-1").withEndpointSlices(slices),
        new AmbientSettings("Kubernetes", "cluster.local"),
        "cluster.local",
        ZtunnelPolicies.convert(List.of(), "istio-system"),
        "istio-system",
        AddressIndex.EMPTY);
  }

  @Test
  void endpointsThatAreNotPodsAreOpaqueWorkloadsOfTheirService() {
    EndpointSlice s =
        slice("legacy-1", "legacy")
            .addNewEndpoint()
            .withAddresses("10.30.0.1")
            .endEndpoint()
            .addNewEndpoint()
            .withAddresses("10.30.0.2")
            .withNewConditions()
            .withReady(false)
            .endConditions()
            .endEndpoint()
            .addNewEndpoint()
            .withAddresses("10.30.0.3")
            .withNewTargetRef()
            .withKind("Pod")
            .withName("db-0")
            .endTargetRef()
            .endEndpoint()
            .addNewEndpoint()
            .withAddresses("not-an-ip")
            .endEndpoint()
            .addNewEndpoint()
            .withAddresses("10.30.0.1")
            .endEndpoint()
            .build();
    AddressIndex idx = index(List.of(legacy("legacy", "ClusterIP")), List.of(s));

    assertThat(idx.address(UID + "10.30.0.3")).isNull(); // the pod is a workload of its own
    assertThat(idx.address(UID + "not-an-ip")).isNull();
    Workload ready = idx.address(UID + "10.30.0.1").getWorkload();
    assertThat(ready.getName()).isEqualTo("legacy-1");
    assertThat(ready.getNamespace()).isEqualTo("shop");
    assertThat(ready.getNetwork()).isEqualTo("net-1");
    assertThat(ready.getClusterId()).isEqualTo("Kubernetes");
    assertThat(ready.getTrustDomain()).isEmpty();
    assertThat(ready.getServiceAccount()).isEmpty();
    assertThat(ready.getNetworkMode()).isEqualTo(NetworkMode.HOST_NETWORK);
    assertThat(ready.getStatus()).isEqualTo(WorkloadStatus.HEALTHY);
    // TCP ports the Service names, as service port to the slice's target port
    assertThat(ready.getServicesMap()).containsOnlyKeys("shop/legacy.shop.svc.cluster.local");
    assertThat(ready.getServicesMap().get("shop/legacy.shop.svc.cluster.local").getPortsList())
        .containsExactly(Port.newBuilder().setServicePort(80).setTargetPort(8080).build());
    assertThat(idx.address(UID + "10.30.0.2").getWorkload().getStatus())
        .isEqualTo(WorkloadStatus.UNHEALTHY);
    // the Service finds them by its name
    assertThat(idx.lookup("shop/legacy.shop.svc.cluster.local"))
        .extracting(r -> r.name())
        .containsExactlyInAnyOrder(
            "shop/legacy.shop.svc.cluster.local", UID + "10.30.0.1", UID + "10.30.0.2");
  }

  @Test
  void slicesOfNoServiceOfAnExternalNameOrOfNamesAreLeftOut() {
    EndpointSlice orphan =
        slice("orphan-1", "gone").addNewEndpoint().withAddresses("10.30.1.1").endEndpoint().build();
    EndpointSlice external =
        slice("ext-1", "ext").addNewEndpoint().withAddresses("10.30.1.2").endEndpoint().build();
    EndpointSlice fqdn =
        slice("legacy-fqdn", "legacy")
            .withAddressType("FQDN")
            .addNewEndpoint()
            .withAddresses("db.example.com")
            .endEndpoint()
            .build();
    EndpointSlice unlabelled =
        slice("bag-1", "legacy")
            .editMetadata()
            .withLabels(Map.of())
            .endMetadata()
            .addNewEndpoint()
            .withAddresses("10.30.1.3")
            .endEndpoint()
            .build();
    AddressIndex idx =
        index(
            List.of(legacy("legacy", "ClusterIP"), legacy("ext", "ExternalName")),
            List.of(orphan, external, fqdn, unlabelled));

    assertThat(idx.all())
        .extracting(r -> r.name())
        .containsExactly("shop/legacy.shop.svc.cluster.local");
  }
}
