package io.jistiod.galley.webhook;

import io.jistiod.galley.config.ConfigKind;
import io.jistiod.galley.config.IstioKinds;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;

/**
 * Istio's validation webhook counters, with its names and labels: {@code galley_validation_passed}
 * {group, version, resource}, {@code galley_validation_failed} {group, version, resource, reason}
 * and {@code galley_validation_http_error} {status}.
 *
 * <p>Istio's pilot dashboard graphs {@code sum(rate(galley_validation_passed))} and {@code
 * ..._failed}; Istio creates a series on first use, so the panel shows "No data" until then. Here
 * both exist from the start at 0, one series per validated kind at its preferred version (failed
 * with reason {@code invalid_resource}, the reason of a denied object), so the panel shows 0.
 */
public final class WebhookMetrics {
  /** Counts nothing: for {@code istiod validate} and tests that do not look. */
  public static final WebhookMetrics NONE = new WebhookMetrics(null);

  private final MeterRegistry registry;

  /** Counts into {@code registry} (null counts nothing), every Istio kind at 0 from the start. */
  public WebhookMetrics(MeterRegistry registry) {
    this(registry, IstioKinds.ALL);
  }

  /** Counts into {@code registry} (null counts nothing), {@code kinds} at 0 from the start. */
  public WebhookMetrics(MeterRegistry registry, List<ConfigKind> kinds) {
    this.registry = registry;
    if (registry != null) {
      for (ConfigKind k : kinds) {
        String version = k.versions().get(0);
        passedCounter(k.group(), version, k.plural());
        failedCounter(k.group(), version, k.plural(), Verdict.INVALID_RESOURCE);
      }
    }
  }

  void passed(String group, String version, String resource) {
    if (registry != null) {
      passedCounter(group, version, resource).increment();
    }
  }

  private Counter passedCounter(String group, String version, String resource) {
    return Counter.builder("galley_validation_passed")
        .description("Resource is valid")
        .tag("group", group)
        .tag("version", version)
        .tag("resource", resource)
        .register(registry);
  }

  private Counter failedCounter(String group, String version, String resource, String reason) {
    return Counter.builder("galley_validation_failed")
        .description("Resource validation failed")
        .tag("group", group)
        .tag("version", version)
        .tag("resource", resource)
        .tag("reason", reason)
        .register(registry);
  }

  void failed(String group, String version, String resource, String reason) {
    if (registry != null) {
      failedCounter(group, version, resource, reason).increment();
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
