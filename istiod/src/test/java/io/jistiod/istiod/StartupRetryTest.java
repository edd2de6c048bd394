package io.jistiod.istiod;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class StartupRetryTest {
  private final List<Duration> slept = new ArrayList<>();
  private final List<String> statuses = new ArrayList<>();
  private final StartupRetry retry =
      new StartupRetry(StartupRetry.INITIAL, StartupRetry.MAX, slept::add, statuses::add);

  private static KubernetesClientException namespaceMissing() {
    return new KubernetesClientException(
        new StatusBuilder()
            .withCode(404)
            .withReason("NotFound")
            .withMessage("namespaces \"istio-system\" not found")
            .build());
  }

  @Test
  void apiServerFaultsAreRetriedWithCappedExponentialBackoff() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    String result =
        retry.until(
            "CA: Secret istio-system/istio-ca-secret",
            () -> {
              if (calls.incrementAndGet() < 8) {
                throw namespaceMissing();
              }
              return "ca";
            });
    assertThat(result).isEqualTo("ca");
    assertThat(slept)
        .extracting(Duration::toSeconds)
        .containsExactly(1L, 2L, 4L, 8L, 16L, 30L, 30L);
    assertThat(statuses.get(0))
        .isEqualTo(
            "CA: Secret istio-system/istio-ca-secret: namespaces \"istio-system\" not found"
                + " (HTTP 404) (attempt 1, next in 1s)");
    assertThat(statuses).hasSize(8).last().isNull();
  }

  @Test
  void otherFailuresStillFailTheStart() {
    assertThatThrownBy(
            () ->
                retry.until(
                    "CA",
                    () -> {
                      throw new IllegalStateException("Secret holds no key");
                    }))
        .isInstanceOf(IllegalStateException.class);
    assertThat(slept).isEmpty();
  }

  @Test
  void anInterruptEndsTheWait() {
    StartupRetry interrupted =
        new StartupRetry(
            StartupRetry.INITIAL,
            StartupRetry.MAX,
            d -> {
              throw new InterruptedException();
            },
            statuses::add);
    assertThatThrownBy(
            () ->
                interrupted.until(
                    "CA",
                    () -> {
                      throw namespaceMissing();
                    }))
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("interrupted");
    Thread.interrupted(); // clear the flag for the next test
  }
}
