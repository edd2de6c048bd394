package io.jistiod.citadel.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.jistiod.citadel.server.node.PodIndex.PodSummary;
import io.jistiod.citadel.server.node.ServiceAccountName;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The pods node authorization reads, from a watch. */
@EnableKubernetesMockClient(crud = true)
class KubernetesPodIndexTest {
  KubernetesClient client;
  private final Set<String> hidden = ConcurrentHashMap.newKeySet();
  private KubernetesPodIndex index;

  @AfterEach
  void tearDown() {
    if (index != null) {
      index.close();
    }
  }

  private Pod create(String ns, String name, String sa, String node) {
    return client
        .pods()
        .inNamespace(ns)
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(ns)
                .endMetadata()
                .withNewSpec()
                .withServiceAccountName(sa)
                .withNodeName(node)
                .addNewContainer()
                .withName("c")
                .withImage("x")
                .endContainer()
                .endSpec()
                .build())
        .create();
  }

  private KubernetesPodIndex start() {
    index = new KubernetesPodIndex(client, ns -> !hidden.contains(ns)).start();
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(index::hasSynced);
    return index;
  }

  @Test
  void findsPodsAndWhichAccountsRunOnWhichNode() {
    Pod zt = create("istio-system", "ztunnel-a", "ztunnel", "node-a");
    create("default", "sleep-1", "sleep", "node-a");
    create("default", "httpbin-1", "httpbin", "node-b");
    create("default", "pending-1", "pending", null);
    start();

    assertThat(index.pod("istio-system", "ztunnel-a"))
        .contains(new PodSummary(zt.getMetadata().getUid(), "ztunnel", "node-a"));
    assertThat(index.pod("istio-system", "nope")).isEmpty();
    assertThat(index.pod("istio-system", "")).isEmpty();
    assertThat(index.pod("default", "pending-1").orElseThrow().nodeName()).isEmpty();

    assertThat(index.anyOnNode(new ServiceAccountName("default", "sleep"), "node-a")).isTrue();
    assertThat(index.anyOnNode(new ServiceAccountName("default", "sleep"), "node-b")).isFalse();
    assertThat(index.anyOnNode(new ServiceAccountName("default", "httpbin"), "node-b")).isTrue();
    assertThat(index.anyOnNode(new ServiceAccountName("other", "sleep"), "node-a")).isFalse();
    assertThat(index.anyOnNode(new ServiceAccountName("default", "pending"), "")).isFalse();
  }

  @Test
  void followsChanges() {
    start();
    assertThat(index.anyOnNode(new ServiceAccountName("default", "sleep"), "node-a")).isFalse();

    create("default", "sleep-1", "sleep", "node-a");
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> index.anyOnNode(new ServiceAccountName("default", "sleep"), "node-a"));

    client.pods().inNamespace("default").withName("sleep-1").delete();
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> !index.anyOnNode(new ServiceAccountName("default", "sleep"), "node-a"));
    assertThat(index.pod("default", "sleep-1")).isEmpty();
  }

  @Test
  void namespacesOutsideTheDiscoveryFilterAreInvisible() {
    create("istio-system", "ztunnel-a", "ztunnel", "node-a");
    create("hidden", "sleep-1", "sleep", "node-a");
    start();
    assertThat(index.anyOnNode(new ServiceAccountName("hidden", "sleep"), "node-a")).isTrue();

    hidden.add("hidden");
    hidden.add("istio-system");

    assertThat(index.anyOnNode(new ServiceAccountName("hidden", "sleep"), "node-a")).isFalse();
    assertThat(index.pod("istio-system", "ztunnel-a")).isEmpty();
  }
}
