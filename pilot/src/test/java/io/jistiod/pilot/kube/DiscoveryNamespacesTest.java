package io.jistiod.pilot.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.jistiod.galley.api.mesh.v1alpha1.LabelSelector;
import io.jistiod.galley.api.mesh.v1alpha1.LabelSelectorRequirement;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigKey;
import io.jistiod.galley.config.ConfigMeta;
import io.jistiod.galley.config.ConfigStore;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.config.MemoryConfigStore;
import io.jistiod.galley.config.NamespaceFilteredConfigStore;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.push.PushRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class DiscoveryNamespacesTest {
  KubernetesClient client;

  private static final MeshConfig TEAM_A =
      MeshConfig.newBuilder()
          .addDiscoverySelectors(LabelSelector.newBuilder().putMatchLabels("team", "a"))
          .build();

  @Test
  void labelSelectorsAsKubernetesEvaluatesThem() {
    LabelSelector in =
        LabelSelector.newBuilder()
            .addMatchExpressions(
                LabelSelectorRequirement.newBuilder()
                    .setKey("env")
                    .setOperator("In")
                    .addValues("dev")
                    .addValues("test"))
            .build();
    LabelSelector notInAndExists =
        LabelSelector.newBuilder()
            .putMatchLabels("team", "a")
            .addMatchExpressions(
                LabelSelectorRequirement.newBuilder()
                    .setKey("env")
                    .setOperator("NotIn")
                    .addValues("prod"))
            .addMatchExpressions(
                LabelSelectorRequirement.newBuilder().setKey("mesh").setOperator("Exists"))
            .build();
    LabelSelector doesNotExist =
        LabelSelector.newBuilder()
            .addMatchExpressions(
                LabelSelectorRequirement.newBuilder().setKey("legacy").setOperator("DoesNotExist"))
            .build();

    assertThat(DiscoveryNamespaces.matches(in, Map.of("env", "test"))).isTrue();
    assertThat(DiscoveryNamespaces.matches(in, Map.of("env", "prod"))).isFalse();
    assertThat(DiscoveryNamespaces.matches(in, Map.of())).isFalse();
    assertThat(DiscoveryNamespaces.matches(notInAndExists, Map.of("team", "a", "mesh", "")))
        .isTrue();
    assertThat(
            DiscoveryNamespaces.matches(
                notInAndExists, Map.of("team", "a", "mesh", "", "env", "prod")))
        .isFalse();
    assertThat(DiscoveryNamespaces.matches(notInAndExists, Map.of("team", "a"))).isFalse();
    assertThat(DiscoveryNamespaces.matches(doesNotExist, Map.of("x", "y"))).isTrue();
    assertThat(DiscoveryNamespaces.matches(doesNotExist, Map.of("legacy", "1"))).isFalse();
    // selectors are ORed
    assertThat(
            DiscoveryNamespaces.selects(
                List.of(in, doesNotExist), Map.of("legacy", "1", "env", "dev")))
        .isTrue();
  }

  @Test
  void noSelectorsSeeEveryNamespaceAndUnknownNamespacesAreNotSeen() {
    assertThat(new DiscoveryNamespaces(MeshConfig::getDefaultInstance, ns -> null).test("any"))
        .isTrue();
    assertThat(new DiscoveryNamespaces(() -> TEAM_A, ns -> null).test("any")).isFalse();
    assertThat(new DiscoveryNamespaces(() -> TEAM_A, ns -> Map.of("team", "a")).test("a1"))
        .isTrue();
  }

  @Test
  void configOutsideTheSelectedNamespacesIsNotSeen() {
    MemoryConfigStore memory = new MemoryConfigStore();
    ConfigStore filtered = new NamespaceFilteredConfigStore(memory, ns -> ns.equals("shop"));
    List<ConfigKey> events = new CopyOnWriteArrayList<>();
    filtered.addHandler(e -> events.add(e.key()));
    memory.put(virtualService("shop"));
    memory.put(virtualService("other"));

    assertThat(filtered.list(IstioKinds.VIRTUAL_SERVICE, null))
        .extracting(Config::namespace)
        .containsExactly("shop");
    assertThat(filtered.list(IstioKinds.VIRTUAL_SERVICE, "other")).isEmpty();
    assertThat(filtered.get(IstioKinds.VIRTUAL_SERVICE, "other", "vs")).isEmpty();
    assertThat(events).extracting(ConfigKey::namespace).containsExactly("shop");
  }

  @Test
  void registrySeesOnlySelectedNamespacesAndARelabelPushes() {
    namespace("shop", Map.of("team", "a"));
    namespace("other", Map.of("team", "b"));
    service("shop", "cart", "10.96.0.20");
    service("other", "ledger", "10.96.0.30");
    List<PushRequest> pushes = new CopyOnWriteArrayList<>();
    KubeServiceRegistry registry =
        new KubeServiceRegistry(client, "cluster.local", "cluster.local", pushes::add);
    registry.setNamespaceFilter(new DiscoveryNamespaces(() -> TEAM_A, registry::namespaceLabels));
    try {
      registry.start();
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(registry::hasSynced);
      assertThat(registry.services())
          .extracting(Service::hostname)
          .containsExactly("cart.shop.svc.cluster.local");

      pushes.clear();
      namespace("other", Map.of("team", "a"));
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                assertThat(registry.services())
                    .extracting(Service::hostname)
                    .containsExactlyInAnyOrder(
                        "cart.shop.svc.cluster.local", "ledger.other.svc.cluster.local");
                assertThat(pushes).anyMatch(p -> p.full());
              });
    } finally {
      registry.close();
    }
  }

  private static Config virtualService(String ns) {
    return new Config(
        new ConfigMeta(IstioKinds.VIRTUAL_SERVICE, "vs", ns, Map.of(), Map.of(), "1", 0),
        VirtualService.getDefaultInstance());
  }

  private void namespace(String name, Map<String, String> labels) {
    client
        .namespaces()
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(labels)
                .endMetadata()
                .build())
        .createOr(n -> n.update());
  }

  private void service(String ns, String name, String ip) {
    client
        .services()
        .inNamespace(ns)
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(ns)
                .endMetadata()
                .withNewSpec()
                .withClusterIP(ip)
                .addNewPort()
                .withName("http")
                .withPort(80)
                .endPort()
                .endSpec()
                .build())
        .create();
  }
}
