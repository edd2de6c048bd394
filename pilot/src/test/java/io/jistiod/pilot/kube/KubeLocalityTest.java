package io.jistiod.pilot.kube;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.jistiod.pilot.model.Endpoint;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Istio's locality rules for Kubernetes workloads: pod label, else the node's topology labels. */
@EnableKubernetesMockClient(crud = true)
class KubeLocalityTest {
  KubernetesClient client;
  private final List<PushRequest> pushes = new CopyOnWriteArrayList<>();
  private KubeServiceRegistry registry;

  @BeforeEach
  void setUp() {
    node(
        "node-ga",
        Map.of(
            "topology.kubernetes.io/region", "us-east1",
            "topology.kubernetes.io/zone", "us-east1-b",
            "topology.istio.io/subzone", "rack-7",
            // GA labels win over the beta ones
            "failure-domain.beta.kubernetes.io/region", "old-region"));
    node(
        "node-beta",
        Map.of(
            "failure-domain.beta.kubernetes.io/region", "eu-west1",
            "failure-domain.beta.kubernetes.io/zone", "eu-west1-c"));
    node("node-bare", Map.of("kubernetes.io/os", "linux"));
    client
        .services()
        .inNamespace("shop")
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName("cart")
                .withNamespace("shop")
                .endMetadata()
                .withNewSpec()
                .withClusterIP("10.96.0.20")
                .addNewPort()
                .withName("grpc")
                .withPort(9090)
                .endPort()
                .endSpec()
                .build())
        .create();
    pod("on-ga", "10.244.0.1", "node-ga", Map.of());
    pod("on-beta", "10.244.0.2", "node-beta", Map.of());
    pod("on-bare", "10.244.0.3", "node-bare", Map.of());
    pod("on-missing-node", "10.244.0.4", "node-gone", Map.of());
    pod("legacy-label", "10.244.0.5", "node-ga", Map.of("istio-locality", "ap-south1.zone-a.s1"));
    pod(
        "both-labels",
        "10.244.0.6",
        "node-ga",
        Map.of("istio-locality", "ignored.zone", "topology.istio.io/locality", "ap-east1.zone-z"));
    EndpointSliceBuilder slice =
        new EndpointSliceBuilder()
            .withNewMetadata()
            .withName("cart-1")
            .withNamespace("shop")
            .addToLabels("kubernetes.io/service-name", "cart")
            .endMetadata()
            .withAddressType("IPv4")
            .addNewPort()
            .withName("grpc")
            .withPort(9090)
            .endPort();
    for (String pod :
        List.of("on-ga", "on-beta", "on-bare", "on-missing-node", "legacy-label", "both-labels")) {
      slice.addToEndpoints(
          new EndpointBuilder()
              .withAddresses(ipOf(pod))
              .withZone("slice-zone")
              .withNewTargetRef()
              .withKind("Pod")
              .withName(pod)
              .withNamespace("shop")
              .endTargetRef()
              .build());
    }
    // No pod behind it: the slice's zone alone does not give a locality (as in istiod).
    slice.addToEndpoints(
        new EndpointBuilder().withAddresses("10.250.0.9").withZone("slice-zone").build());
    client.discovery().v1().endpointSlices().inNamespace("shop").resource(slice.build()).create();

    registry = new KubeServiceRegistry(client, "cluster.local", "cluster.local", pushes::add);
    registry.start();
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(registry::hasSynced);
  }

  @AfterEach
  void tearDown() {
    registry.close();
  }

  @Test
  void endpointsTakeThePodLabelElseTheNodeTopology() {
    assertThat(locality("10.244.0.1")).isEqualTo(new Locality("us-east1", "us-east1-b", "rack-7"));
    assertThat(locality("10.244.0.2")).isEqualTo(new Locality("eu-west1", "eu-west1-c", ""));
    assertThat(locality("10.244.0.3")).isEqualTo(Locality.UNKNOWN);
    assertThat(locality("10.244.0.4")).isEqualTo(Locality.UNKNOWN);
    assertThat(locality("10.244.0.5")).isEqualTo(new Locality("ap-south1", "zone-a", "s1"));
    assertThat(locality("10.244.0.6")).isEqualTo(new Locality("ap-east1", "zone-z", ""));
    assertThat(locality("10.250.0.9")).isEqualTo(Locality.UNKNOWN);
  }

  @Test
  void endpointLabelsCarryTheTopologyAsIstioAddsIt() {
    assertThat(endpoint("10.244.0.1").labels())
        .containsEntry("app", "cart")
        .containsEntry("topology.kubernetes.io/region", "us-east1")
        .containsEntry("topology.kubernetes.io/zone", "us-east1-b")
        .containsEntry("topology.istio.io/subzone", "rack-7")
        .containsEntry("kubernetes.io/hostname", "node-ga");
    assertThat(endpoint("10.244.0.3").labels())
        .containsEntry("kubernetes.io/hostname", "node-bare")
        .doesNotContainKeys("topology.kubernetes.io/region", "topology.kubernetes.io/zone");
    assertThat(endpoint("10.250.0.9").labels()).isEmpty();
  }

  @Test
  void aNodeTopologyChangeRecomputesEndpointsAndAHeartbeatDoesNot() {
    pushes.clear();
    client
        .nodes()
        .withName("node-bare")
        .edit(
            n ->
                new NodeBuilder(n)
                    .editMetadata()
                    .addToAnnotations("heartbeat", "1")
                    .endMetadata()
                    .build());
    client
        .nodes()
        .withName("node-bare")
        .edit(
            n ->
                new NodeBuilder(n)
                    .editMetadata()
                    .addToLabels("topology.kubernetes.io/region", "sa-east1")
                    .addToLabels("topology.kubernetes.io/zone", "sa-east1-a")
                    .endMetadata()
                    .build());
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> locality("10.244.0.3").equals(new Locality("sa-east1", "sa-east1-a", "")));
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                pushes.stream()
                    .anyMatch(
                        p ->
                            p.configsUpdated()
                                .contains(
                                    io.jistiod.pilot.push.ConfigKey.of(
                                        io.jistiod.pilot.push.Kind.NODE, "", "node-bare"))));
    // One push for the label change, none for the annotation-only update, and endpoints only.
    List<PushRequest> nodePushes =
        pushes.stream()
            .filter(
                p ->
                    p.configsUpdated()
                        .contains(
                            io.jistiod.pilot.push.ConfigKey.of(
                                io.jistiod.pilot.push.Kind.NODE, "", "node-bare")))
            .toList();
    assertThat(nodePushes).hasSize(1);
    assertThat(nodePushes.get(0).full()).isFalse();

    // A node that goes away takes its pods' locality with it.
    client.nodes().withName("node-bare").delete();
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> locality("10.244.0.3").equals(Locality.UNKNOWN));
  }

  @Test
  void aProxyGetsItsPodsLocalityByNameOrIp() throws Exception {
    // By pod name and namespace from the node id, whatever the IP.
    assertThat(registry.workloadLocality(proxy("on-beta.shop", "10.9.9.9")))
        .contains(new Locality("eu-west1", "eu-west1-c", ""));
    // By IP when the id names no pod.
    assertThat(registry.workloadLocality(proxy("client-x.shop", "10.244.0.1")))
        .contains(new Locality("us-east1", "us-east1-b", "rack-7"));
    // Unknown pod, or a pod without any locality: nothing, so the proxy's own is used.
    assertThat(registry.workloadLocality(proxy("nobody.shop", "10.9.9.9"))).isEmpty();
    assertThat(registry.workloadLocality(proxy("on-bare.shop", "10.244.0.3"))).isEmpty();
  }

  private static Proxy proxy(String id, String ip) throws Exception {
    return Proxy.fromNode(
        "sidecar~" + ip + "~" + id + "~shop.svc.cluster.local",
        Struct.getDefaultInstance(),
        Locality.UNKNOWN);
  }

  private Locality locality(String ip) {
    return endpoint(ip).locality();
  }

  private Endpoint endpoint(String ip) {
    Supplier<List<Endpoint>> all = registry::endpoints;
    return all.get().stream()
        .filter(e -> e.address().equals(ip))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no endpoint " + ip));
  }

  private static String ipOf(String pod) {
    return switch (pod) {
      case "on-ga" -> "10.244.0.1";
      case "on-beta" -> "10.244.0.2";
      case "on-bare" -> "10.244.0.3";
      case "on-missing-node" -> "10.244.0.4";
      case "legacy-label" -> "10.244.0.5";
      default -> "10.244.0.6";
    };
  }

  private void node(String name, Map<String, String> labels) {
    client
        .nodes()
        .resource(
            new NodeBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(labels)
                .endMetadata()
                .build())
        .create();
  }

  private void pod(String name, String ip, String nodeName, Map<String, String> labels) {
    client
        .pods()
        .inNamespace("shop")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace("shop")
                .addToLabels("app", "cart")
                .addToLabels(labels)
                .endMetadata()
                .withNewSpec()
                .withNodeName(nodeName)
                .endSpec()
                .withNewStatus()
                .withPodIP(ip)
                .endStatus()
                .build())
        .create();
  }
}
