package io.jistiod.istiod.webhook;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * istiod's webhook patcher counters, with Istio's names, help texts, labels and failure reasons
 * (pkg/webhooks/monitoring.go), so dashboards that watch caBundle patching keep working.
 */
final class WebhookPatchMetrics {
  static final String WRONG_REVISION = "wrong_revision";
  static final String LOAD_CA_BUNDLE_FAILURE = "load_ca_bundle_failure";
  static final String CONFIG_NOT_FOUND = "webhook_config_not_found";
  static final String ENTRY_NOT_FOUND = "webhook_entry_not_found";
  static final String UPDATE_FAILURE = "webhook_update_failure";

  private final MeterRegistry registry;

  WebhookPatchMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /**
   * An update is sent. Istio labels this one with the webhook name it patches ({@code
   * sidecar-injector.istio.io}), not the configuration's name as the other two.
   */
  void attempt(String name) {
    Counter.builder("webhook_patch_attempts_total")
        .description("Webhook patching attempts")
        .tag("name", name)
        .register(registry)
        .increment();
  }

  void retry(String configName) {
    Counter.builder("webhook_patch_retries_total")
        .description("Webhook patching retries")
        .tag("name", configName)
        .register(registry)
        .increment();
  }

  void failure(String configName, String reason) {
    Counter.builder("webhook_patch_failures_total")
        .description("Webhook patching total failures")
        .tag("name", configName)
        .tag("reason", reason)
        .register(registry)
        .increment();
  }
}
