package io.jistiod.galley.validation;

import io.jistiod.galley.api.telemetry.v1alpha1.AccessLogging;
import io.jistiod.galley.api.telemetry.v1alpha1.MetricSelector;
import io.jistiod.galley.api.telemetry.v1alpha1.Metrics;
import io.jistiod.galley.api.telemetry.v1alpha1.MetricsOverrides;
import io.jistiod.galley.api.telemetry.v1alpha1.ProviderRef;
import io.jistiod.galley.api.telemetry.v1alpha1.Telemetry;
import io.jistiod.galley.api.telemetry.v1alpha1.Tracing;
import io.jistiod.galley.config.Config;
import java.util.List;

/** Istio's rules for Telemetry. */
final class TelemetryValidator implements ConfigValidator {
  @Override
  public List<ValidationMessage> validate(Config config) {
    Telemetry t = config.spec(Telemetry.class);
    Findings f = new Findings();
    Common.oneSelectorKind(t.hasSelector(), t.hasTargetRef(), t.getTargetRefsCount(), "spec", f);
    Common.workloadSelector(t.hasSelector(), t.getSelector(), "spec.selector", f);
    Common.targetRefs(t.hasTargetRef(), t.getTargetRef(), t.getTargetRefsList(), "spec", f);
    for (int i = 0; i < t.getMetricsCount(); i++) {
      Deadline.check();
      metrics(t.getMetrics(i), "spec.metrics[" + i + "]", f);
    }
    if (t.getTracingCount() > 1) {
      f.warning("spec.tracing", "more than one tracing configuration is not supported yet");
    }
    for (int i = 0; i < t.getTracingCount(); i++) {
      Deadline.check();
      tracing(t.getTracing(i), "spec.tracing[" + i + "]", f);
    }
    for (int i = 0; i < t.getAccessLoggingCount(); i++) {
      Deadline.check();
      AccessLogging l = t.getAccessLogging(i);
      String path = "spec.accessLogging[" + i + "]";
      if (l.hasFilter()) {
        f.errorIf(path + ".filter.expression", CelSyntax.problem(l.getFilter().getExpression()));
      }
      providers(l.getProvidersList(), path + ".providers", f);
    }
    return f.messages();
  }

  private static void providers(List<ProviderRef> providers, String path, Findings f) {
    for (int i = 0; i < providers.size(); i++) {
      Deadline.check();
      if (providers.get(i).getName().isEmpty()) {
        f.error(Findings.at(path, i) + ".name", "provider name must not be empty");
        return;
      }
    }
  }

  private static void metrics(Metrics m, String path, Findings f) {
    providers(m.getProvidersList(), path + ".providers", f);
    for (int j = 0; j < m.getOverridesCount(); j++) {
      Deadline.check();
      MetricsOverrides o = m.getOverrides(j);
      String op = path + ".overrides[" + j + "]";
      o.getTagOverridesMap()
          .forEach(
              (name, to) -> {
                String where = Findings.key(op + ".tagOverrides", name);
                if (name.isEmpty()) {
                  f.warning(where, "tag override name should not be empty");
                }
                switch (to.getOperation()) {
                  case UPSERT:
                    if (to.getValue().isEmpty()) {
                      f.error(where + ".value", "value is required with operation UPSERT");
                    }
                    break;
                  case REMOVE:
                    if (!to.getValue().isEmpty()) {
                      f.error(where + ".value", "value may only be set with operation UPSERT");
                    }
                    break;
                  default:
                    break;
                }
              });
      if (o.hasMatch()
          && o.getMatch().getMetricMatchCase() == MetricSelector.MetricMatchCase.CUSTOM_METRIC
          && o.getMatch().getCustomMetric().isEmpty()) {
        f.error(op + ".match.customMetric", "customMetric must not be empty");
      }
    }
  }

  private static void tracing(Tracing t, String path, Findings f) {
    if (t.getProvidersCount() > 1) {
      f.warning(path + ".providers", "more than one tracing provider is not supported yet");
    }
    providers(t.getProvidersList(), path + ".providers", f);
    double pct = t.getRandomSamplingPercentage().getValue();
    if (pct < 0 || pct > 100) {
      f.error(path + ".randomSamplingPercentage", "must be between 0 and 100, got " + pct);
    }
    t.getCustomTagsMap()
        .forEach(
            (name, tag) -> {
              String where = Findings.key(path + ".customTags", name);
              if (name.isEmpty()) {
                f.error(where, "tag name must not be empty");
              }
              switch (tag.getTypeCase()) {
                case LITERAL:
                  if (tag.getLiteral().getValue().isEmpty()) {
                    f.error(where + ".literal.value", "a literal tag needs a value");
                  }
                  break;
                case HEADER:
                  if (tag.getHeader().getName().isEmpty()) {
                    f.error(where + ".header.name", "a header tag needs a header name");
                  }
                  break;
                case ENVIRONMENT:
                  if (tag.getEnvironment().getName().isEmpty()) {
                    f.error(
                        where + ".environment.name", "an environment tag needs a variable name");
                  }
                  break;
                default:
                  break;
              }
            });
  }
}
