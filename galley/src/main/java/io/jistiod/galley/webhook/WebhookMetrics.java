package io.jistiod.galley.webhook;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Istio's validation webhook counters, with its names and labels: {@code galley_validation_passed}
 * {group, version, resource}, {@code galley_validation_failed} {group, version, resource, reason}
 * and {@code galley_validation_http_error} {status}.
 */
public final class WebhookMetrics {
  /** Counts nothing: for {@code istiod validate} and tests that do not look. */
  public static final WebhookMetrics NONE = new WebhookMetrics(null);

  private final MeterRegistry registry;

  /** Counts into {@code registry}; null counts nothing. */
  public WebhookMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void passed(String group, String version, String resource) {
    if (registry != null) {
      Counter.builder("galley_validation_passed")
          .description("Resource is valid")
          .tag("group", group)
          .tag("version", version)
          .tag("resource", resource)
          .register(registry)
          .increment();
    }
  }

  void failed(String group, String version, String resource, String reason) {
    if (registry != null) {
      Counter.builder("galley_validation_failed")
          .description("Resource validation failed")
          .tag("group", group)
          .tag("version", version)
          .tag("resource", resource)
          .tag("reason", reason)
          .register(registry)
          .increment();
    }
  }

  /** An HTTP-level refusal (400, 415, ...) by the webhook server. */
  public void httpError(int status) {
    if (registry != null) {
      Counter.builder("galley_validation_http_error")
          .description("Resource validation http serve errors")
          .tag("status", Integer.toString(status))
          .register(registry)
          .increment();
    }
  }
}
