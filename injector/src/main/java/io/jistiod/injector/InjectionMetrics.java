package io.jistiod.injector;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * istiod's injection metrics (pkg/kube/inject/monitoring.go), same names, no labels: requests,
 * successes, failures and skips, and the time per request. As in istiod, a request that is answered
 * counts as a success even when the answer is a failed injection (which also counts as a failure).
 */
public final class InjectionMetrics {
  public static final InjectionMetrics NONE = new InjectionMetrics(null);

  private final Counter requests;
  private final Counter success;
  private final Counter failure;
  private final Counter skip;
  private final Timer time;

  public InjectionMetrics(MeterRegistry registry) {
    if (registry == null) {
      requests = success = failure = skip = null;
      time = null;
      return;
    }
    requests =
        Counter.builder("sidecar_injection_requests_total")
            .description("Total number of sidecar injection requests.")
            .register(registry);
    success =
        Counter.builder("sidecar_injection_success_total")
            .description("Total number of successful sidecar injection requests.")
            .register(registry);
    failure =
        Counter.builder("sidecar_injection_failure_total")
            .description("Total number of failed sidecar injection requests.")
            .register(registry);
    skip =
        Counter.builder("sidecar_injection_skip_total")
            .description("Total number of skipped sidecar injection requests.")
            .register(registry);
    time =
        Timer.builder("sidecar_injection_time_seconds")
            .description("Total time taken for injection in seconds.")
            .serviceLevelObjectives(
                seconds(0.1),
                seconds(1),
                seconds(3),
                seconds(5),
                seconds(10),
                seconds(20),
                seconds(30),
                seconds(60))
            .register(registry);
  }

  private static Duration seconds(double s) {
    return Duration.ofMillis((long) (s * 1000));
  }

  public void request() {
    if (requests != null) {
      requests.increment();
    }
  }

  public void success() {
    if (success != null) {
      success.increment();
    }
  }

  public void failure() {
    if (failure != null) {
      failure.increment();
    }
  }

  public void skip() {
    if (skip != null) {
      skip.increment();
    }
  }

  public void time(long nanos) {
    if (time != null) {
      time.record(Duration.ofNanos(nanos));
    }
  }
}
