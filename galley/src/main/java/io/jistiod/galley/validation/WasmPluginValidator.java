package io.jistiod.galley.validation;

import io.jistiod.galley.api.extensions.v1alpha1.WasmPlugin;
import io.jistiod.galley.config.Config;
import java.util.List;

/** Istio's rules for WasmPlugin. */
final class WasmPluginValidator implements ConfigValidator {

  @Override
  public List<ValidationMessage> validate(Config config) {
    WasmPlugin w = config.spec(WasmPlugin.class);
    Findings f = new Findings();
    Common.oneSelectorKind(w.hasSelector(), w.hasTargetRef(), w.getTargetRefsCount(), "spec", f);
    Common.workloadSelector(w.hasSelector(), w.getSelector(), "spec.selector", f);
    Common.targetRefs(w.hasTargetRef(), w.getTargetRef(), w.getTargetRefsList(), "spec", f);
    WasmModules.module(
        w.getUrl(),
        w.getSha256(),
        w.getImagePullSecret(),
        w.getPluginName(),
        w.getVmConfig(),
        "spec",
        f);
    for (int i = 0; i < w.getMatchCount(); i++) {
      Deadline.check();
      WasmModules.matchPorts(w.getMatch(i).getPortsList(), Findings.at("spec.match", i), f);
    }
    return f.messages();
  }
}
