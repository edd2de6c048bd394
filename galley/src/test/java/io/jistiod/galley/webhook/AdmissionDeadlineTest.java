package io.jistiod.galley.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.validation.ConfigValidator;
import io.jistiod.galley.validation.Deadline;
import io.jistiod.galley.validation.NetworkingValidators;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link AdmissionHandler#handle(byte[], long)}: validation that runs past its deadline stops at
 * its next check, the object is denied, and the deny counts as failed, never as passed.
 */
class AdmissionDeadlineTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final MeterRegistry registry = new SimpleMeterRegistry();

  /** Never finishes on its own: loops on cooperative checks. */
  private final ConfigValidator endless =
      config -> {
        while (true) {
          Deadline.check();
        }
      };

  private AdmissionHandler handler(ConfigValidator rules) {
    return new AdmissionHandler(
        new ConfigAdmission(IstioKinds.ALL, rules), new WebhookMetrics(registry));
  }

  private static byte[] review(String object) {
    return AdmissionHandlerTest.review("admission.k8s.io/v1", "CREATE", object)
        .getBytes(StandardCharsets.UTF_8);
  }

  private double count(String name) {
    return registry.find(name).counters().stream().mapToDouble(Counter::count).sum();
  }

  @Test
  void aValidatorThatNeverEndsIsStoppedAtTheDeadlineAndDenied() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
    JsonNode answer =
        JSON.readTree(
            handler(endless).handle(review(AdmissionHandlerTest.vs("reviews")), deadline));

    // The call returned at all: the endless loop was cut by its own deadline check.
    assertThat(System.nanoTime() - deadline).isGreaterThanOrEqualTo(0);
    assertThat(answer.path("response").path("uid").asText()).isEqualTo("uid-42");
    assertThat(answer.path("response").path("allowed").asBoolean()).isFalse();
    assertThat(answer.path("response").path("status").path("message").asText())
        .matches("validation did not finish within \\d+ ms");
    assertThat(count("galley_validation_failed")).isEqualTo(1);
    assertThat(registry.find("galley_validation_failed").tag("reason", "timeout").counter())
        .isNotNull();
    assertThat(count("galley_validation_passed")).isZero();
  }

  @Test
  void aHugeObjectIsCutOffByItsDeadlineAndNeverCountedAsPassed() throws Exception {
    // 60k hosts with real rules; a deadline already reached stops validation at its first checks.
    StringBuilder hosts = new StringBuilder();
    for (int i = 0; i < 60_000; i++) {
      hosts.append(i == 0 ? "" : ",").append("\"h").append(i).append(".example.com\"");
    }
    String vs =
        """
        {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
         "metadata": {"name": "big", "namespace": "ns1"},
         "spec": {"hosts": [%s], "http": [{"route": [{"destination": {"host": "reviews"}}]}]}}
        """
            .formatted(hosts);
    AdmissionHandler real = handler(NetworkingValidators.forKinds());
    JsonNode answer = JSON.readTree(real.handle(review(vs), System.nanoTime()));

    assertThat(answer.path("response").path("allowed").asBoolean()).isFalse();
    assertThat(answer.path("response").path("status").path("message").asText())
        .isEqualTo("validation did not finish within 0 ms");
    assertThat(count("galley_validation_failed")).isEqualTo(1);
    assertThat(count("galley_validation_passed")).isZero();

    // The same object with time to spare is judged on its merits (it is valid).
    JsonNode later =
        JSON.readTree(real.handle(review(vs), System.nanoTime() + TimeUnit.MINUTES.toNanos(5)));
    assertThat(later.path("response").path("allowed").asBoolean()).isTrue();
    assertThat(count("galley_validation_passed")).isEqualTo(1);
  }

  @Test
  void withoutADeadlineTheOldEntryPointStillAnswers() throws Exception {
    JsonNode answer =
        JSON.readTree(
            handler(NetworkingValidators.forKinds())
                .handle(review(AdmissionHandlerTest.vs("reviews"))));
    assertThat(answer.path("response").path("allowed").asBoolean()).isTrue();
    assertThat(List.of(count("galley_validation_passed"))).containsExactly(1.0);
  }

  @Test
  void dryRunTimeoutsAreDeniedButNotCounted() throws Exception {
    String body =
        AdmissionHandlerTest.review(
                "admission.k8s.io/v1", "CREATE", AdmissionHandlerTest.vs("reviews"))
            .replace("\"operation\"", "\"dryRun\": true, \"operation\"");
    JsonNode answer =
        JSON.readTree(
            handler(endless)
                .handle(body.getBytes(StandardCharsets.UTF_8), System.nanoTime() + 1_000_000));
    assertThat(answer.path("response").path("allowed").asBoolean()).isFalse();
    assertThat(count("galley_validation_failed")).isZero();
    assertThat(count("galley_validation_passed")).isZero();
  }
}
