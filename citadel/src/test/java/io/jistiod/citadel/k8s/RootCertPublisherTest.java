package io.jistiod.citadel.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.jistiod.citadel.pki.CaKeyMaterial;
import io.jistiod.citadel.pki.CaKeyMaterialHolder;
import io.jistiod.citadel.pki.SelfSignedRootGenerator;
import io.jistiod.citadel.testing.TestPki;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class RootCertPublisherTest {
  KubernetesClient client;
  private CaKeyMaterialHolder holder;
  private RootCertPublisher publisher;

  @BeforeEach
  void setUp() {
    holder = new CaKeyMaterialHolder(TestPki.selfSignedRoot());
    for (String ns :
        new String[] {"default", "kube-system", "kube-public", "kube-node-lease", "app"}) {
      createNamespace(ns);
    }
  }

  @AfterEach
  void tearDown() {
    if (publisher != null) {
      publisher.close();
    }
  }

  private void start() {
    publisher = new RootCertPublisher(client, holder);
    publisher.start();
    assertThat(publisher.hasSynced()).isTrue();
  }

  private void createNamespace(String name) {
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .create();
  }

  private ConfigMap configMap(String ns) {
    return client.configMaps().inNamespace(ns).withName("istio-ca-root-cert").get();
  }

  private String bundle() {
    return holder.current().orElseThrow().rootBundlePem();
  }

  private boolean published(String ns) {
    ConfigMap cm = configMap(ns);
    return cm != null
        && Map.of("root-cert.pem", bundle()).equals(cm.getData())
        && "true".equals(cm.getMetadata().getLabels().get("istio.io/config"));
  }

  private static ConditionFactory await() {
    return Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20));
  }

  @Test
  void publishesToEveryNamespaceButTheExcludedOnes() {
    start();

    await().until(() -> published("default") && published("kube-system") && published("app"));
    assertThat(configMap("kube-public")).isNull();
    assertThat(configMap("kube-node-lease")).isNull();
    ConfigMap cm = configMap("app");
    assertThat(cm.getData()).containsOnlyKeys("root-cert.pem");
    assertThat(cm.getData().get("root-cert.pem")).startsWith("-----BEGIN CERTIFICATE-----");
    assertThat(cm.getMetadata().getLabels()).containsEntry("istio.io/config", "true");
  }

  @Test
  void publishesToNamespacesCreatedLater() {
    start();
    createNamespace("later");
    await().until(() -> published("later"));
  }

  @Test
  void repairsEditedAndDeletedConfigMaps() {
    start();
    await().until(() -> published("app") && published("default"));

    ConfigMap edited =
        new ConfigMapBuilder(configMap("app"))
            .withData(Map.of("root-cert.pem", "tampered", "extra", "x"))
            .editMetadata()
            .withLabels(Map.of())
            .endMetadata()
            .build();
    client.configMaps().inNamespace("app").resource(edited).update();
    client.configMaps().inNamespace("default").withName("istio-ca-root-cert").delete();

    await().until(() -> published("app") && published("default"));
  }

  @Test
  void replacesAConfigMapThatExistedBeforeStart() {
    client
        .configMaps()
        .inNamespace("app")
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("istio-ca-root-cert")
                .withNamespace("app")
                .endMetadata()
                .withData(Map.of("root-cert.pem", "an old root"))
                .build())
        .create();
    start();
    await().until(() -> published("app"));
  }

  @Test
  void followsRootChanges() {
    start();
    await().until(() -> published("app") && published("default") && published("kube-system"));

    CaKeyMaterial rotated =
        new SelfSignedRootGenerator(TestPki.CLOCK, TestPki.RANDOM)
            .renew(holder.current().orElseThrow(), Duration.ofDays(10));
    holder.set(rotated);

    await().until(() -> published("app") && published("default") && published("kube-system"));
    assertThat(configMap("app").getData().get("root-cert.pem")).isEqualTo(rotated.rootBundlePem());
  }

  @Test
  void skipsTerminatingNamespaces() {
    client
        .namespaces()
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName("leaving")
                .endMetadata()
                .withNewStatus()
                .withPhase("Terminating")
                .endStatus()
                .build())
        .create();
    start();
    await().until(() -> published("app"));
    publisher.reconcile("leaving"); // as the queue would, but surely done when asserting
    assertThat(configMap("leaving")).isNull();
  }

  @Test
  void publishesNothingWithoutRoots() throws Exception {
    holder = new CaKeyMaterialHolder();
    start();
    Thread.sleep(200); // nothing to wait for: give a wrong write the chance to happen
    assertThat(configMap("app")).isNull();

    holder.set(TestPki.selfSignedRoot());
    await().until(() -> published("app"));
  }
}
