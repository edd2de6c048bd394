package io.jistiod.pilot.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.jistiod.pilot.model.Endpoint;
import io.jistiod.pilot.model.ExportTo;
import io.jistiod.pilot.model.Protocol;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.push.PushRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class KubeServiceRegistryTest {
  KubernetesClient client;
  private final List<PushRequest> pushes = new CopyOnWriteArrayList<>();
  private KubeServiceRegistry registry;

  @BeforeEach
  void setUp() {
    client
        .services()
        .inNamespace("shop")
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName("cart")
                .withNamespace("shop")
                .addToAnnotations("networking.istio.io/exportTo", ".,ops")
                .endMetadata()
                .withNewSpec()
                .withClusterIP("10.96.0.20")
                .addToSelector("app", "cart")
                .addNewPort()
                .withName("grpc-api")
                .withPort(9090)
                .withTargetPort(new IntOrString(19090))
                .endPort()
                .addNewPort()
                .withName("metrics")
                .withAppProtocol("http")
                .withPort(8080)
                .endPort()
                .endSpec()
                .build())
        .create();
    client
        .pods()
        .inNamespace("shop")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("cart-1")
                .withNamespace("shop")
                .addToLabels("app", "cart")
                .addToLabels("version", "v1")
                .addToLabels("istio-locality", "eu-west.zone-a")
                .endMetadata()
                .withNewSpec()
                .withServiceAccountName("cart-sa")
                .endSpec()
                .withNewStatus()
                .withPodIP("10.244.0.5")
                .endStatus()
                .build())
        .create();
    client
        .discovery()
        .v1()
        .endpointSlices()
        .inNamespace("shop")
        .resource(
            new EndpointSliceBuilder()
                .withNewMetadata()
                .withName("cart-abc")
                .withNamespace("shop")
                .addToLabels("kubernetes.io/service-name", "cart")
                .endMetadata()
                .withAddressType("IPv4")
                .addNewEndpoint()
                .withAddresses("10.244.0.5")
                .withNewConditions()
                .withReady(true)
                .endConditions()
                .withNewTargetRef()
                .withKind("Pod")
                .withName("cart-1")
                .withNamespace("shop")
                .endTargetRef()
                .endEndpoint()
                .addNewEndpoint()
                .withAddresses("10.244.0.6")
                .withNewConditions()
                .withReady(false)
                .endConditions()
                .endEndpoint()
                .addNewPort()
                .withName("grpc-api")
                .withPort(19090)
                .endPort()
                .build())
        .create();
    registry = new KubeServiceRegistry(client, "cluster.local", "cluster.local", pushes::add);
    registry.countEventsWith((type, event) -> events.merge(type + "/" + event, 1, Integer::sum));
    registry.start();
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(registry::hasSynced);
  }

  @AfterEach
  void tearDown() {
    registry.close();
  }

  /** What pilot_k8s_reg_events would count: "type/event" to events. */
  private final Map<String, Integer> events = new java.util.concurrent.ConcurrentHashMap<>();

  @Test
  void informerEventsAreCountedAsIstiodLabelsThem() {
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(events)
                    .containsEntry("Services/add", 1)
                    .containsKey("EndpointSlice/add"));
    client.services().inNamespace("shop").withName("cart").delete();
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(events).containsEntry("Services/delete", 1));
    // namespaces are watched but, as in istiod, not counted
    assertThat(events.keySet()).noneMatch(k -> k.startsWith("Namespace"));
  }

  @Test
  void convertsServices() {
    Service s = registry.services().get(0);
    assertThat(s.hostname()).isEqualTo("cart.shop.svc.cluster.local");
    assertThat(s.addresses()).containsExactly("10.96.0.20");
    assertThat(s.ports())
        .extracting(p -> p.name() + ":" + p.port() + ":" + p.protocol())
        .containsExactly("grpc-api:9090:" + Protocol.GRPC, "metrics:8080:" + Protocol.HTTP);
    assertThat(s.exportTo()).containsExactlyInAnyOrder(".", "ops");
    ExportTo exportTo = ExportTo.of(s.exportTo());
    assertThat(exportTo.visibleTo(s.namespace(), "shop")).isTrue();
    assertThat(exportTo.visibleTo(s.namespace(), "ops")).isTrue();
    assertThat(exportTo.visibleTo(s.namespace(), "other")).isFalse();
    assertThat(s.attributes().selector()).containsEntry("app", "cart");
  }

  @Test
  void joinsEndpointSlicesWithPods() {
    List<Endpoint> endpoints = registry.endpoints();
    assertThat(endpoints).hasSize(2);
    Endpoint ready = endpoints.stream().filter(Endpoint::healthy).findFirst().orElseThrow();
    assertThat(ready.address()).isEqualTo("10.244.0.5");
    assertThat(ready.servicePort()).isEqualTo(9090);
    assertThat(ready.port()).isEqualTo(19090);
    assertThat(ready.labels()).containsEntry("version", "v1");
    assertThat(ready.serviceAccount()).isEqualTo("spiffe://cluster.local/ns/shop/sa/cart-sa");
    assertThat(ready.locality().region()).isEqualTo("eu-west");
    assertThat(ready.locality().zone()).isEqualTo("zone-a");
    Endpoint unready = endpoints.stream().filter(e -> !e.healthy()).findFirst().orElseThrow();
    assertThat(unready.address()).isEqualTo("10.244.0.6");
    // istiod: an unready endpoint that does not say terminating=false is shutting down
    assertThat(unready.terminating()).isTrue();
    assertThat(ready.terminating()).isFalse();
  }

  @Test
  void changesBecomePushRequestsAndDeletesDisappear() {
    pushes.clear();
    client.services().inNamespace("shop").withName("cart").delete();
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> registry.services().isEmpty());
    assertThat(registry.endpoints()).isEmpty();
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(pushes)
                    .anySatisfy(
                        p ->
                            assertThat(p.configsUpdated())
                                .contains(
                                    io.jistiod.pilot.push.ConfigKey.service(
                                        "cart.shop.svc.cluster.local", "shop"))));
  }

  @Test
  void protocolRules() {
    assertThat(KubeConversions.protocol("kubernetes.io/h2c", "x", "TCP")).isEqualTo(Protocol.HTTP2);
    assertThat(KubeConversions.protocol(null, "grpc-web-x", "TCP")).isEqualTo(Protocol.GRPC_WEB);
    assertThat(KubeConversions.protocol(null, "http2-foo", "TCP")).isEqualTo(Protocol.HTTP2);
    assertThat(KubeConversions.protocol(null, "dns", "UDP")).isEqualTo(Protocol.UDP);
    assertThat(KubeConversions.protocol(null, "web", "TCP")).isEqualTo(Protocol.UNSUPPORTED);
  }

  @Test
  void readyPodsAreWorkloadInstancesWithTheirNamedTcpPorts() {
    client
        .pods()
        .inNamespace("shop")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("legacy-1")
                .withNamespace("shop")
                .addToLabels("app", "legacy")
                .addToLabels("security.istio.io/tlsMode", "istio")
                .endMetadata()
                .withNewSpec()
                .withServiceAccountName("legacy")
                .addNewContainer()
                .withName("app")
                .addNewPort()
                .withName("http")
                .withContainerPort(9080)
                .endPort()
                .addNewPort()
                .withName("http")
                .withContainerPort(9081) // a second port of the same name: the first wins
                .endPort()
                .addNewPort()
                .withName("dns")
                .withProtocol("UDP")
                .withContainerPort(53)
                .endPort()
                .endContainer()
                .endSpec()
                .withNewStatus()
                .withPhase("Running")
                .withPodIP("10.244.0.7")
                .addNewCondition()
                .withType("Ready")
                .withStatus("True")
                .endCondition()
                .endStatus()
                .build())
        .create();
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(registry.workloadInstances("shop")).hasSize(1));
    // cart-1 has no Ready condition: not an instance
    var wi = registry.workloadInstances("shop").get(0);
    assertThat(wi.endpoint().address()).isEqualTo("10.244.0.7");
    assertThat(wi.endpoint().workloadName()).isEqualTo("legacy-1");
    assertThat(wi.endpoint().serviceAccount())
        .isEqualTo("spiffe://cluster.local/ns/shop/sa/legacy");
    assertThat(wi.endpoint().tlsMode()).isEqualTo("istio");
    assertThat(wi.endpoint().healthKnown()).isTrue();
    assertThat(wi.portMap()).isEqualTo(Map.of("http", 9080));
    assertThat(registry.workloadInstances("other")).isEmpty();
  }

  @Test
  void aServiceSelectorAlsoSelectsWorkloadEntriesOfItsNamespace() {
    client
        .services()
        .inNamespace("shop")
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName("vm-admin")
                .withNamespace("shop")
                .endMetadata()
                .withNewSpec()
                .withClusterIP("10.96.0.30")
                .addToSelector("app", "cart")
                .addNewPort()
                .withName("tcp-admin")
                .withPort(9000)
                .withTargetPort(new IntOrString("admin"))
                .endPort()
                .endSpec()
                .build())
        .create();
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> registry.services().size() == 2);
    Endpoint template =
        new Endpoint(
            "",
            0,
            "",
            "10.0.0.9",
            0,
            Map.of("app", "cart"),
            io.jistiod.pilot.model.Locality.UNKNOWN,
            2,
            true,
            "spiffe://cluster.local/ns/shop/sa/vm",
            "istio",
            "shop",
            "vm-1");
    registry.setWorkloadEntries(
        ns ->
            ns.equals("shop")
                ? List.of(
                    // a port named like the Service port overrides the numbered targetPort
                    new io.jistiod.pilot.model.WorkloadInstance(
                        template, Map.of("metrics", 18080, "admin", 19000)),
                    new io.jistiod.pilot.model.WorkloadInstance(
                        new Endpoint(
                            "",
                            0,
                            "",
                            "10.0.0.10",
                            0,
                            Map.of("app", "cart"),
                            io.jistiod.pilot.model.Locality.UNKNOWN,
                            1,
                            true,
                            "",
                            "disabled",
                            "shop",
                            "vm-2"),
                        Map.of()),
                    new io.jistiod.pilot.model.WorkloadInstance(
                        new Endpoint(
                            "",
                            0,
                            "",
                            "10.0.0.11",
                            0,
                            Map.of("app", "other"),
                            io.jistiod.pilot.model.Locality.UNKNOWN,
                            1,
                            true,
                            "",
                            "disabled",
                            "shop",
                            "other"),
                        Map.of()))
                : List.of());
    List<String> vms =
        registry.endpoints().stream()
            .filter(e -> e.address().startsWith("10.0.0."))
            .map(
                e ->
                    e.hostname().substring(0, e.hostname().indexOf('.'))
                        + ":"
                        + e.servicePort()
                        + "->"
                        + e.address()
                        + ":"
                        + e.port())
            .toList();
    assertThat(vms)
        .containsExactlyInAnyOrder(
            "cart:9090->10.0.0.9:19090",
            "cart:8080->10.0.0.9:18080",
            "cart:9090->10.0.0.10:19090",
            "cart:8080->10.0.0.10:8080",
            // a named targetPort only on the entries that serve it
            "vm-admin:9000->10.0.0.9:19000");
    // what a WorkloadEntry change with these labels pushes endpoints for
    assertThat(registry.servicesSelecting("shop", Map.of("app", "cart", "version", "v1")))
        .containsExactly("cart.shop.svc.cluster.local", "vm-admin.shop.svc.cluster.local");
    assertThat(registry.servicesSelecting("other", Map.of("app", "cart"))).isEmpty();
  }
}
