package io.jistiod.istiod.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.jistiod.citadel.pki.Pem;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The injector's caBundle patching against a CRUD mock API server, as istiod's cert patcher. */
@EnableKubernetesMockClient(crud = true)
class InjectionWebhookPatcherTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  KubernetesClient client;
  private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
  private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor();
  private final AtomicReference<String> roots = new AtomicReference<>(newRoot());
  private InjectionWebhookPatcher patcher;

  @AfterEach
  void stop() {
    if (patcher != null) {
      patcher.close();
    }
    worker.shutdownNow();
  }

  private static String newRoot() {
    return Pem.encode(
        SelfSignedWebhookCertificate.generate(
                List.of("istiod.istio-system.svc"), List.of(), Clock.systemUTC())
            .root());
  }

  private static String base64(String pem) {
    return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.UTF_8));
  }

  private static MutatingWebhook webhook(String name) {
    return new MutatingWebhookBuilder()
        .withName(name)
        .withNewClientConfig()
        .withNewService()
        .withName("istiod")
        .withNamespace("istio-system")
        .withPath("/inject")
        .withPort(443)
        .endService()
        .endClientConfig()
        .withFailurePolicy("Fail")
        .withSideEffects("None")
        .withAdmissionReviewVersions("v1")
        .build();
  }

  private MutatingWebhookConfiguration create(
      String name, Map<String, String> labels, String... webhooks) {
    MutatingWebhookConfigurationBuilder b =
        new MutatingWebhookConfigurationBuilder()
            .withNewMetadata()
            .withName(name)
            .withLabels(labels)
            .endMetadata();
    for (String w : webhooks) {
      b.addToWebhooks(webhook(w));
    }
    return client.resource(b.build()).create();
  }

  private MutatingWebhookConfiguration get(String name) {
    return client.admissionRegistration().v1().mutatingWebhookConfigurations().withName(name).get();
  }

  private void start(String revision) {
    patcher = new InjectionWebhookPatcher(client, revision, roots::get, metrics, worker);
    patcher.start();
    Awaitility.await().atMost(WAIT).until(patcher::hasSynced);
  }

  private double count(String name, String... tags) {
    Counter c = metrics.find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  private static List<String> bundles(MutatingWebhookConfiguration c) {
    return c.getWebhooks().stream()
        .map(w -> String.valueOf(w.getClientConfig().getCaBundle()))
        .toList();
  }

  @Test
  void patchesTheInjectorWebhooksOfItsRevisionOnly() {
    create(
        "istio-sidecar-injector",
        Map.of("istio.io/rev", "default"),
        "rev.namespace.sidecar-injector.istio.io",
        "rev.object.sidecar-injector.istio.io",
        "namespace.sidecar-injector.istio.io",
        "object.sidecar-injector.istio.io",
        "other.example.com");
    create(
        "istio-sidecar-injector-canary",
        Map.of("istio.io/rev", "canary"),
        "rev.namespace.sidecar-injector.istio.io");
    create("someone-elses", Map.of(), "object.sidecar-injector.istio.io");
    start("default");

    Awaitility.await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(bundles(get("istio-sidecar-injector")))
                    .containsExactly(
                        base64(roots.get()),
                        base64(roots.get()),
                        base64(roots.get()),
                        base64(roots.get()),
                        "null"));
    assertThat(bundles(get("istio-sidecar-injector-canary"))).containsExactly("null");
    assertThat(bundles(get("someone-elses"))).containsExactly("null");
    assertThat(count("webhook_patch_attempts_total", "name", "sidecar-injector.istio.io"))
        .isEqualTo(1);
    assertThat(
            count(
                "webhook_patch_failures_total",
                "name",
                "istio-sidecar-injector-canary",
                "reason",
                "wrong_revision"))
        .isEqualTo(1);
    assertThat(metrics.find("webhook_patch_failures_total").tag("name", "someone-elses").counter())
        .isNull();
  }

  @Test
  void aRevisionTagOfItsRevisionIsPatchedToo() {
    create(
        "istio-revision-tag-prod",
        Map.of("istio.io/rev", "canary", "istio.io/tag", "prod"),
        "rev.namespace.sidecar-injector.istio.io",
        "rev.object.sidecar-injector.istio.io");
    start("canary");
    Awaitility.await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(bundles(get("istio-revision-tag-prod")))
                    .containsOnly(base64(roots.get())));
  }

  @Test
  void aClearedBundleIsRestoredAndNewRootsArePatchedIn() {
    create(
        "istio-sidecar-injector",
        Map.of("istio.io/rev", "default"),
        "namespace.sidecar-injector.istio.io");
    start("default");
    String first = base64(roots.get());
    Awaitility.await()
        .atMost(WAIT)
        .untilAsserted(
            () -> assertThat(bundles(get("istio-sidecar-injector"))).containsExactly(first));

    MutatingWebhookConfiguration cleared = get("istio-sidecar-injector");
    cleared.getWebhooks().get(0).getClientConfig().setCaBundle(null);
    client.resource(cleared).update();
    Awaitility.await()
        .atMost(WAIT)
        .untilAsserted(
            () -> assertThat(bundles(get("istio-sidecar-injector"))).containsExactly(first));

    roots.set(newRoot());
    patcher.rootsChanged();
    Awaitility.await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(bundles(get("istio-sidecar-injector")))
                    .containsExactly(base64(roots.get())));
  }

  @Test
  void anUnusableBundleIsCountedAndRetriedUntilItIsUsable() {
    String good = roots.get();
    roots.set("not a certificate");
    create(
        "istio-sidecar-injector",
        Map.of("istio.io/rev", "default"),
        "namespace.sidecar-injector.istio.io");
    start("default");
    Awaitility.await()
        .atMost(WAIT)
        .until(
            () ->
                count(
                        "webhook_patch_failures_total",
                        "name",
                        "istio-sidecar-injector",
                        "reason",
                        "load_ca_bundle_failure")
                    >= 2);
    assertThat(count("webhook_patch_retries_total", "name", "istio-sidecar-injector"))
        .isGreaterThanOrEqualTo(2);
    assertThat(bundles(get("istio-sidecar-injector"))).containsExactly("null");

    roots.set(good); // retried without any event: the next fast retry patches it
    Awaitility.await()
        .atMost(WAIT)
        .untilAsserted(
            () -> assertThat(bundles(get("istio-sidecar-injector"))).containsExactly(base64(good)));
  }

  @Test
  void aConfigurationWithoutTheInjectorWebhookIsCountedNotChanged() {
    create("istio-sidecar-injector", Map.of("istio.io/rev", "default"), "other.example.com");
    start("default");
    Awaitility.await()
        .atMost(WAIT)
        .until(
            () ->
                count(
                        "webhook_patch_failures_total",
                        "name",
                        "istio-sidecar-injector",
                        "reason",
                        "webhook_entry_not_found")
                    == 1);
    assertThat(bundles(get("istio-sidecar-injector"))).containsExactly("null");
    assertThat(metrics.find("webhook_patch_attempts_total").counter()).isNull();
  }

  @Test
  void planLeavesOtherWebhooksAndAnUpToDateConfigurationAlone() {
    String pem = roots.get();
    MutatingWebhookConfiguration c =
        new MutatingWebhookConfigurationBuilder()
            .withNewMetadata()
            .withName("x")
            .withResourceVersion("3")
            .endMetadata()
            .addToWebhooks(webhook("object.sidecar-injector.istio.io"), webhook("other.io"))
            .build();
    MutatingWebhookConfiguration updated = InjectionWebhookPatcher.plan(c, pem).orElseThrow();
    assertThat(bundles(updated)).containsExactly(base64(pem), "null");
    assertThat(updated.getMetadata().getResourceVersion()).isEqualTo("3");
    assertThat(bundles(c)).containsExactly("null", "null");
    assertThat(InjectionWebhookPatcher.plan(updated, pem)).isEmpty();
  }

  @Test
  void onlyCertificatesMakeABundle() {
    assertThat(InjectionWebhookPatcher.invalidBundle(roots.get())).isNull();
    assertThat(InjectionWebhookPatcher.invalidBundle(null)).isNotNull();
    assertThat(InjectionWebhookPatcher.invalidBundle("")).isNotNull();
    assertThat(InjectionWebhookPatcher.invalidBundle("garbage")).isNotNull();
  }
}
