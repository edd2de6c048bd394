package io.jistiod.istiod.webhook;

import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.jistiod.citadel.pki.Pem;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the sidecar injector's MutatingWebhookConfigurations trusting istiod's serving certificate,
 * as istiod's webhook cert patcher does (pkg/webhooks/webhookpatch.go): it watches every
 * MutatingWebhookConfiguration, and in those labelled {@code istio.io/rev=<revision>} (the
 * revision's own {@code istio-sidecar-injector[-REV]} and its revision tags) sets {@code caBundle}
 * of each webhook whose name ends in {@code sidecar-injector.istio.io} to the roots of istiod's
 * serving certificate. Configurations without the label are not Istio's and are left alone; a
 * configuration of another revision belongs to another istiod. Anyone changing the bundle is
 * undone; new roots are patched into every configuration.
 *
 * <p>Unlike validation, nothing else is touched: the chart's {@code failurePolicy: Fail} stays.
 *
 * <p>Threads: the informer only enqueues names; one worker reconciles, so writes never race.
 * Retries as Istio's queue: the first five after a failure 100 ms apart (to get past a conflict
 * with another istiod replica quickly), then once a minute, forever; a success resets the count.
 */
public final class InjectionWebhookPatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(InjectionWebhookPatcher.class);

  /** istiod's injector webhook name; each entry's name is a prefix plus this. */
  public static final String WEBHOOK_NAME = "sidecar-injector.istio.io";

  static final String REVISION_LABEL = "istio.io/rev";
  static final Duration FAST_RETRY = Duration.ofMillis(100);
  static final Duration SLOW_RETRY = Duration.ofMinutes(1);
  static final int FAST_RETRIES = 5;

  private final KubernetesClient client;
  private final String revision;
  private final Supplier<String> caBundle;
  private final WebhookPatchMetrics metrics;
  private final ReconcileQueue queue;
  private volatile SharedIndexInformer<MutatingWebhookConfiguration> informer;

  /**
   * @param revision istiod's revision ({@code REVISION}, {@code default} if none)
   * @param caBundle the PEM roots that sign the webhook's serving certificate
   * @param worker runs every reconcile and retry, one at a time; owned by the caller
   */
  public InjectionWebhookPatcher(
      KubernetesClient client,
      String revision,
      Supplier<String> caBundle,
      MeterRegistry metrics,
      ScheduledExecutorService worker) {
    this.client = Objects.requireNonNull(client, "client");
    this.revision = Objects.requireNonNull(revision, "revision");
    this.caBundle = Objects.requireNonNull(caBundle, "caBundle");
    this.metrics = new WebhookPatchMetrics(Objects.requireNonNull(metrics, "metrics"));
    Objects.requireNonNull(worker, "worker");
    this.queue =
        new ReconcileQueue(
                worker,
                this::reconcile,
                n -> n <= FAST_RETRIES ? FAST_RETRY : SLOW_RETRY,
                log,
                "injection webhook")
            .onRetry(name -> this.metrics.retry(name));
  }

  /** Starts watching; every configuration is looked at as it is seen. */
  public void start() {
    // The informer is stored before it can call back, so a reconcile always finds it.
    SharedIndexInformer<MutatingWebhookConfiguration> i =
        client.admissionRegistration().v1().mutatingWebhookConfigurations().runnableInformer(0);
    i.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(MutatingWebhookConfiguration c) {
            enqueue(c.getMetadata().getName());
          }

          @Override
          public void onUpdate(MutatingWebhookConfiguration old, MutatingWebhookConfiguration c) {
            enqueue(c.getMetadata().getName());
          }

          @Override
          public void onDelete(MutatingWebhookConfiguration c, boolean unknown) {}
        });
    informer = i;
    i.start();
  }

  /** The roots changed: every configuration gets the new bundle. */
  public void rootsChanged() {
    SharedIndexInformer<MutatingWebhookConfiguration> i = informer;
    if (i != null) {
      i.getStore().listKeys().forEach(this::enqueue);
    }
  }

  public boolean hasSynced() {
    return informer != null && informer.hasSynced();
  }

  private void enqueue(String name) {
    queue.enqueue(name);
  }

  /** True when nothing is left to do for this configuration; false to retry. */
  private boolean reconcile(String name) {
    MutatingWebhookConfiguration current = informer.getStore().getByKey(name);
    if (current == null) {
      metrics.failure(name, WebhookPatchMetrics.CONFIG_NOT_FOUND);
      return true;
    }
    Map<String, String> labels = current.getMetadata().getLabels();
    String rev = labels == null ? null : labels.get(REVISION_LABEL);
    if (rev == null) {
      log.debug("injection webhook {}: no {} label, not Istio's; left alone", name, REVISION_LABEL);
      return true;
    }
    if (!rev.equals(revision)) {
      metrics.failure(name, WebhookPatchMetrics.WRONG_REVISION);
      return true;
    }
    String pem = caBundle.get();
    String invalid = invalidBundle(pem);
    if (invalid != null) {
      log.error("injection webhook {}: cannot patch caBundle: {}", name, invalid);
      metrics.failure(name, WebhookPatchMetrics.LOAD_CA_BUNDLE_FAILURE);
      return false;
    }
    if (webhooks(current).stream().noneMatch(w -> ours(w.getName()))) {
      metrics.failure(name, WebhookPatchMetrics.ENTRY_NOT_FOUND);
      return true;
    }
    Optional<MutatingWebhookConfiguration> updated = plan(current, pem);
    if (updated.isEmpty()) {
      return true;
    }
    metrics.attempt(WEBHOOK_NAME);
    try {
      MutatingWebhookConfiguration latest =
          client
              .admissionRegistration()
              .v1()
              .mutatingWebhookConfigurations()
              .resource(updated.get())
              .update();
      log.info(
          "injection webhook {}: caBundle set (resourceVersion {})",
          name,
          latest.getMetadata().getResourceVersion());
      return true;
    } catch (KubernetesClientException e) {
      metrics.failure(name, WebhookPatchMetrics.UPDATE_FAILURE);
      log.error("patching webhook {} failed: {}", name, e.getMessage());
      return false;
    }
  }

  /**
   * The configuration with {@code caBundle} set to {@code pem} on each of the injector's webhooks
   * (other webhooks in it untouched); empty when they all have it already.
   */
  static Optional<MutatingWebhookConfiguration> plan(
      MutatingWebhookConfiguration current, String pem) {
    byte[] want = pem.getBytes(StandardCharsets.UTF_8);
    boolean change =
        webhooks(current).stream()
            .filter(w -> ours(w.getName()))
            .anyMatch(
                w ->
                    !Arrays.equals(
                        decode(
                            w.getClientConfig() == null ? null : w.getClientConfig().getCaBundle()),
                        want));
    if (!change) {
      return Optional.empty();
    }
    MutatingWebhookConfiguration updated = new MutatingWebhookConfigurationBuilder(current).build();
    String encoded = Base64.getEncoder().encodeToString(want);
    for (MutatingWebhook w : webhooks(updated)) {
      if (ours(w.getName())) {
        if (w.getClientConfig() == null) {
          w.setClientConfig(new WebhookClientConfig());
        }
        w.getClientConfig().setCaBundle(encoded);
      }
    }
    return Optional.of(updated);
  }

  /** Why {@code pem} cannot be a caBundle (Istio wants a first block that is a certificate). */
  static String invalidBundle(String pem) {
    if (pem == null || pem.isBlank()) {
      return "no CA bundle";
    }
    try {
      return Pem.parseCertificates(pem).isEmpty() ? "could not decode pem" : null;
    } catch (RuntimeException e) {
      return e.getMessage();
    }
  }

  private static boolean ours(String webhookName) {
    return webhookName != null && webhookName.endsWith(WEBHOOK_NAME);
  }

  private static List<MutatingWebhook> webhooks(MutatingWebhookConfiguration c) {
    return c.getWebhooks() == null ? List.of() : c.getWebhooks();
  }

  private static byte[] decode(String base64) {
    if (base64 == null) {
      return new byte[0];
    }
    try {
      return Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      return new byte[0];
    }
  }

  @Override
  public void close() {
    SharedIndexInformer<MutatingWebhookConfiguration> i = informer;
    if (i != null) {
      i.close();
    }
  }
}
