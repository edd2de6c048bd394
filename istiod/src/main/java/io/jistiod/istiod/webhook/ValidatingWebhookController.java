package io.jistiod.istiod.webhook;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.jistiod.galley.webhook.ConfigAdmission;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.HttpURLConnection;
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
 * Keeps istiod's ValidatingWebhookConfigurations usable, as Istio's validation controller does: for
 * every configuration labelled {@code istio.io/rev=<revision>} it sets {@code caBundle} of every
 * webhook to the roots that sign istiod's serving certificate, and switches {@code failurePolicy}
 * from Ignore to Fail, but only once the webhook has been seen denying a known-bad object (a
 * dry-run create of Gateway {@code invalid-gateway} carrying {@code
 * internal.istio.io/webhook-always-reject}). Until then a broken webhook cannot block config
 * writes; after, no write is admitted unvalidated. Anyone clearing the bundle or setting Ignore
 * again is undone.
 *
 * <p>Threads: the informer only enqueues names; one worker thread reconciles, so writes never race.
 * A failed reconcile (conflict, webhook not ready yet) is retried with exponential backoff from 100
 * ms to 1 min, forever, as Istio does.
 */
public final class ValidatingWebhookController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ValidatingWebhookController.class);

  public static final String REVISION_LABEL = "istio.io/rev";
  public static final String INVALID_GATEWAY = "invalid-gateway";

  static final Duration FIRST_RETRY = Duration.ofMillis(100);
  static final Duration MAX_RETRY = Duration.ofMinutes(1);

  private static final String DENIED = "denied the request";
  private static final String MISSING_RESOURCE = "the server could not find the requested resource";
  private static final String NO_DRY_RUN = "does not support dry run";
  private static final ResourceDefinitionContext GATEWAYS =
      new ResourceDefinitionContext.Builder()
          .withGroup("networking.istio.io")
          .withVersion("v1")
          .withKind("Gateway")
          .withPlural("gateways")
          .withNamespaced(true)
          .build();

  private final KubernetesClient client;
  private final String namespace;
  private final String revision;
  private final Supplier<String> caBundle;
  private final MeterRegistry metrics;
  private final ReconcileQueue queue;
  private volatile boolean dryRunRejected;
  private volatile SharedIndexInformer<ValidatingWebhookConfiguration> informer;

  /**
   * @param namespace istiod's namespace, where the dry-run Gateway is created
   * @param revision istiod's revision ({@code REVISION}, {@code default} if none)
   * @param caBundle the PEM roots that sign the webhook's serving certificate
   * @param worker runs every reconcile and retry, one at a time; owned by the caller
   */
  public ValidatingWebhookController(
      KubernetesClient client,
      String namespace,
      String revision,
      Supplier<String> caBundle,
      MeterRegistry metrics,
      ScheduledExecutorService worker) {
    this.client = Objects.requireNonNull(client, "client");
    this.namespace = Objects.requireNonNull(namespace, "namespace");
    this.revision = Objects.requireNonNull(revision, "revision");
    this.caBundle = Objects.requireNonNull(caBundle, "caBundle");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(worker, "worker");
    this.queue =
        new ReconcileQueue(
            worker,
            this::reconcile,
            n ->
                Duration.ofMillis(
                    Math.min(MAX_RETRY.toMillis(), FIRST_RETRY.toMillis() << Math.min(n - 1, 20))),
            log,
            "validating webhook");
  }

  /** Starts watching; every configuration of this revision is reconciled as it is seen. */
  public void start() {
    // The informer is stored before it can call back: it delivers the configurations it lists
    // while it starts, and a reconcile run then must find it (it read null here before).
    SharedIndexInformer<ValidatingWebhookConfiguration> i =
        client
            .admissionRegistration()
            .v1()
            .validatingWebhookConfigurations()
            .withLabel(REVISION_LABEL, revision)
            .runnableInformer(0);
    i.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(ValidatingWebhookConfiguration c) {
            enqueue(c.getMetadata().getName());
          }

          @Override
          public void onUpdate(
              ValidatingWebhookConfiguration old, ValidatingWebhookConfiguration c) {
            enqueue(c.getMetadata().getName());
          }

          @Override
          public void onDelete(ValidatingWebhookConfiguration c, boolean unknown) {}
        });
    informer = i;
    i.start();
  }

  /** The roots changed: every configuration gets the new bundle. */
  public void rootsChanged() {
    enqueueAll();
  }

  /** Whether the webhook has been seen denying the known-bad object (so Fail is safe). */
  public boolean failClosed() {
    return dryRunRejected;
  }

  public boolean hasSynced() {
    return informer != null && informer.hasSynced();
  }

  private void enqueueAll() {
    SharedIndexInformer<ValidatingWebhookConfiguration> i = informer;
    if (i != null) {
      i.getStore().listKeys().forEach(this::enqueue);
    }
  }

  private void enqueue(String name) {
    queue.enqueue(name);
  }

  /** True when the configuration is as it should be (or gone); false to retry. */
  private boolean reconcile(String name) {
    ValidatingWebhookConfiguration current = informer.getStore().getByKey(name);
    if (current == null) {
      return true;
    }
    String pem = caBundle.get();
    if (pem == null || pem.isBlank()) {
      log.error("validating webhook {}: no CA bundle to patch in", name);
      count(
          "galley_validation_config_load_error",
          "k8s webhook configuration (re)load error",
          "MissingCaBundle");
      return true; // nothing to retry until the roots change
    }
    boolean failClose = !isIgnore(current) || readyForFailClose();
    Optional<ValidatingWebhookConfiguration> updated = plan(current, pem, failClose);
    if (updated.isPresent()) {
      try {
        ValidatingWebhookConfiguration latest =
            client
                .admissionRegistration()
                .v1()
                .validatingWebhookConfigurations()
                .resource(updated.get())
                .update();
        count("galley_validation_config_updates", "k8s webhook configuration updates", null);
        log.info(
            "validating webhook {}: caBundle set{} (resourceVersion {})",
            name,
            failClose ? ", failurePolicy Fail" : "",
            latest.getMetadata().getResourceVersion());
      } catch (KubernetesClientException e) {
        String reason =
            e.getStatus() == null || e.getStatus().getReason() == null
                ? "Unknown"
                : e.getStatus().getReason();
        count(
            "galley_validation_config_update_error",
            "k8s webhook configuration update error",
            reason);
        log.warn("validating webhook {}: update failed ({}): {}", name, reason, e.getMessage());
        return false;
      }
    }
    if (!failClose) {
      log.debug("validating webhook {}: webhook not ready to fail closed yet; retrying", name);
      return false;
    }
    return true;
  }

  /**
   * The configuration with every webhook's {@code caBundle} set to {@code pem} and, if {@code
   * failClose}, {@code failurePolicy: Fail}; empty when nothing needs to change.
   */
  static Optional<ValidatingWebhookConfiguration> plan(
      ValidatingWebhookConfiguration current, String pem, boolean failClose) {
    byte[] want = pem.getBytes(StandardCharsets.UTF_8);
    boolean change = false;
    for (ValidatingWebhook w : webhooks(current)) {
      String have = w.getClientConfig() == null ? null : w.getClientConfig().getCaBundle();
      if (!Arrays.equals(decode(have), want)) {
        change = true;
      }
      if (failClose && w.getFailurePolicy() != null && !"Fail".equals(w.getFailurePolicy())) {
        change = true;
      }
    }
    if (!change) {
      return Optional.empty();
    }
    ValidatingWebhookConfiguration updated =
        new ValidatingWebhookConfigurationBuilder(current).build();
    String encoded = Base64.getEncoder().encodeToString(want);
    for (ValidatingWebhook w : webhooks(updated)) {
      if (w.getClientConfig() == null) {
        w.setClientConfig(new WebhookClientConfig());
      }
      w.getClientConfig().setCaBundle(encoded);
      if (failClose) {
        w.setFailurePolicy("Fail");
      }
    }
    return Optional.of(updated);
  }

  /** Whether some webhook would admit objects when the webhook cannot be reached. */
  static boolean isIgnore(ValidatingWebhookConfiguration c) {
    return webhooks(c).stream()
        .anyMatch(w -> w.getFailurePolicy() != null && !"Fail".equals(w.getFailurePolicy()));
  }

  private static List<ValidatingWebhook> webhooks(ValidatingWebhookConfiguration c) {
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

  private boolean readyForFailClose() {
    if (dryRunRejected) {
      return true;
    }
    String notReady = dryRunOfInvalidConfig();
    if (notReady != null) {
      log.info("Not ready to switch validation to fail-closed: {}", notReady);
      return false;
    }
    log.info("Endpoint successfully rejected invalid config. Switching to fail-close.");
    dryRunRejected = true;
    enqueueAll(); // every configuration of this revision can now fail closed
    return true;
  }

  /** Null when the webhook denied the known-bad Gateway (or the check cannot be made). */
  private String dryRunOfInvalidConfig() {
    GenericKubernetesResource gateway =
        new GenericKubernetesResourceBuilder()
            .withApiVersion("networking.istio.io/v1")
            .withKind("Gateway")
            .withNewMetadata()
            .withName(INVALID_GATEWAY)
            .withNamespace(namespace)
            .addToLabels(REVISION_LABEL, revision)
            .addToAnnotations(ConfigAdmission.ALWAYS_REJECT, "true")
            .endMetadata()
            .addToAdditionalProperties("spec", Map.of())
            .build();
    var gateways = client.genericKubernetesResources(GATEWAYS).inNamespace(namespace);
    try {
      try {
        gateways.resource(gateway).dryRun().create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
        GenericKubernetesResource existing = gateways.withName(INVALID_GATEWAY).get();
        if (existing != null) {
          gateway.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
        }
        gateways.resource(gateway).dryRun().update();
      }
      return "dummy invalid config not rejected";
    } catch (KubernetesClientException e) {
      String message = String.valueOf(e.getMessage());
      if (message.contains(DENIED)) {
        return null;
      }
      if (message.contains(MISSING_RESOURCE)) {
        log.warn(
            "Missing Gateway CRD, cannot perform validation check. Assuming validation is ready");
        return null;
      }
      if (message.contains(NO_DRY_RUN)) {
        log.warn(
            "One of the validating webhooks does not support DryRun, cannot perform validation"
                + " check. Assuming validation is ready. Details: {}",
            message);
        return null;
      }
      return "dummy invalid rejected for the wrong reason: " + message;
    }
  }

  private void count(String name, String help, String reason) {
    Counter.Builder b = Counter.builder(name).description(help);
    if (reason != null) {
      b = b.tag("reason", reason);
    }
    b.register(metrics).increment();
  }

  @Override
  public void close() {
    SharedIndexInformer<ValidatingWebhookConfiguration> i = informer;
    if (i != null) {
      i.close();
    }
  }
}
