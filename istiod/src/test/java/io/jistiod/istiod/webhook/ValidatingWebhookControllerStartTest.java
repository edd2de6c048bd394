package io.jistiod.istiod.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The controller's first reconcile, run by the informer's callback while the informer starts, finds
 * the informer: it used to be stored only after {@code inform()} returned, and a reconcile that ran
 * first failed with a NullPointerException (logged, then retried).
 */
@EnableKubernetesMockClient(crud = true)
class ValidatingWebhookControllerStartTest {
  private static final String PEM =
      "-----BEGIN CERTIFICATE-----\nroot\n-----END CERTIFICATE-----\n";

  KubernetesClient client;
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger(ValidatingWebhookController.class);
  // Runs each reconcile at once on the thread that enqueues it (the informer's callback), so the
  // first one runs while the informer is still starting.
  private final ScheduledThreadPoolExecutor inline =
      new ScheduledThreadPoolExecutor(1) {
        @Override
        public void execute(Runnable command) {
          command.run();
        }
      };
  private ValidatingWebhookController controller;

  @AfterEach
  void stop() {
    logger.detachAppender(logs);
    if (controller != null) {
      controller.close();
    }
    inline.shutdownNow();
  }

  @Test
  void theFirstReconcileDuringStartPatchesWithoutAnError() {
    logs.start();
    logger.addAppender(logs);
    logger.setLevel(Level.DEBUG);
    client
        .resource(
            new ValidatingWebhookConfigurationBuilder()
                .withNewMetadata()
                .withName("istio-validator-istio-system")
                .addToLabels("istio.io/rev", "default")
                .endMetadata()
                .addNewWebhook()
                .withName("rev.validation.istio.io")
                .withNewClientConfig()
                .withUrl("https://127.0.0.1:15017/validate")
                .endClientConfig()
                .withFailurePolicy("Fail")
                .withSideEffects("None")
                .withAdmissionReviewVersions("v1")
                .endWebhook()
                .build())
        .create();
    controller =
        new ValidatingWebhookController(
            client, "istio-system", "default", () -> PEM, new SimpleMeterRegistry(), inline);
    controller.start();

    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(
                        client
                            .admissionRegistration()
                            .v1()
                            .validatingWebhookConfigurations()
                            .withName("istio-validator-istio-system")
                            .get()
                            .getWebhooks()
                            .get(0)
                            .getClientConfig()
                            .getCaBundle())
                    .isEqualTo(
                        Base64.getEncoder().encodeToString(PEM.getBytes(StandardCharsets.UTF_8))));
    assertThat(logs.list)
        .noneMatch(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
        .noneMatch(e -> e.getFormattedMessage().contains("NullPointerException"));
  }
}
