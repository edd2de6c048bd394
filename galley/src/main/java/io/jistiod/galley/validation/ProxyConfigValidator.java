package io.jistiod.galley.validation;

import io.jistiod.galley.api.networking.v1beta1.ProxyConfig;
import io.jistiod.galley.config.Config;
import java.util.List;

/** Istio's rules for ProxyConfig: the selector, and a concurrency that is not negative. */
final class ProxyConfigValidator implements ConfigValidator {
  @Override
  public List<ValidationMessage> validate(Config config) {
    ProxyConfig pc = config.spec(ProxyConfig.class);
    Findings f = new Findings();
    Common.workloadSelector(pc.hasSelector(), pc.getSelector(), "spec.selector", f);
    if (pc.getConcurrency().getValue() < 0) {
      f.error("spec.concurrency", "concurrency must not be negative");
    }
    return f.messages();
  }
}
