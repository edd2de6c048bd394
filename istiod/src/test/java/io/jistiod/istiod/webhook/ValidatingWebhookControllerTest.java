package io.jistiod.istiod.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfigurationBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ValidatingWebhookControllerTest {
  private static final String PEM =
      "-----BEGIN CERTIFICATE-----\nroot\n-----END CERTIFICATE-----\n";
  private static final String ENCODED =
      Base64.getEncoder().encodeToString(PEM.getBytes(StandardCharsets.UTF_8));

  private static ValidatingWebhookConfiguration config(String caBundle, String policy) {
    return new ValidatingWebhookConfigurationBuilder()
        .withNewMetadata()
        .withName("istio-validator-istio-system")
        .withResourceVersion("7")
        .addToLabels("istio.io/rev", "default")
        .endMetadata()
        .addNewWebhook()
        .withName("rev.validation.istio.io")
        .withNewClientConfig()
        .withUrl("https://127.0.0.1:15017/validate")
        .withCaBundle(caBundle)
        .endClientConfig()
        .withFailurePolicy(policy)
        .withSideEffects("None")
        .withAdmissionReviewVersions("v1")
        .endWebhook()
        .addNewWebhook()
        .withName("validation.istio.io")
        .withNewClientConfig()
        .withUrl("https://127.0.0.1:15017/validate")
        .withCaBundle(caBundle)
        .endClientConfig()
        .withFailurePolicy(policy)
        .endWebhook()
        .build();
  }

  @Test
  void setsTheBundleOnEveryWebhookAndKeepsIgnoreUntilTheWebhookIsSeenDenying() {
    ValidatingWebhookConfiguration current = config(null, "Ignore");
    ValidatingWebhookConfiguration updated =
        ValidatingWebhookController.plan(current, PEM, false).orElseThrow();
    assertThat(updated.getWebhooks())
        .allSatisfy(
            w -> {
              assertThat(w.getClientConfig().getCaBundle()).isEqualTo(ENCODED);
              assertThat(w.getFailurePolicy()).isEqualTo("Ignore");
            });
    assertThat(updated.getMetadata().getResourceVersion()).isEqualTo("7");
    assertThat(current.getWebhooks().get(0).getClientConfig().getCaBundle()).isNull();
    assertThat(ValidatingWebhookController.isIgnore(updated)).isTrue();
  }

  @Test
  void switchesToFailOnlyWhenReady() {
    ValidatingWebhookConfiguration patched = config(ENCODED, "Ignore");
    assertThat(ValidatingWebhookController.plan(patched, PEM, false)).isEmpty();
    ValidatingWebhookConfiguration failing =
        ValidatingWebhookController.plan(patched, PEM, true).orElseThrow();
    assertThat(failing.getWebhooks())
        .allSatisfy(w -> assertThat(w.getFailurePolicy()).isEqualTo("Fail"));
    assertThat(ValidatingWebhookController.isIgnore(failing)).isFalse();
    assertThat(ValidatingWebhookController.plan(failing, PEM, true)).isEmpty();
  }

  @Test
  void repairsAClearedOrForeignBundle() {
    assertThat(ValidatingWebhookController.plan(config("", "Fail"), PEM, true)).isPresent();
    String other = Base64.getEncoder().encodeToString("other".getBytes(StandardCharsets.UTF_8));
    Optional<ValidatingWebhookConfiguration> fixed =
        ValidatingWebhookController.plan(config(other, "Fail"), PEM, true);
    assertThat(fixed.orElseThrow().getWebhooks().get(0).getClientConfig().getCaBundle())
        .isEqualTo(ENCODED);
    assertThat(ValidatingWebhookController.plan(config("not base64!", "Fail"), PEM, true))
        .isPresent();
  }
}
