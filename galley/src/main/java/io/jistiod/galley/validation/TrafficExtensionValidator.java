package io.jistiod.galley.validation;

import io.jistiod.galley.api.extensions.v1alpha1.TrafficExtension;
import io.jistiod.galley.api.extensions.v1alpha1.WasmConfig;
import io.jistiod.galley.config.Config;
import java.util.List;

/**
 * Istio's rules for TrafficExtension (istio.io/api 1.32): the filter is exactly one of a Wasm
 * module (checked as WasmPlugin's) or inline Lua code of 1 byte to 64 KiB; placement as WasmPlugin
 * (selector or targetRefs, match ports).
 */
final class TrafficExtensionValidator implements ConfigValidator {
  /** Istio's bound on inline Lua source, in bytes. */
  static final int MAX_LUA_BYTES = 65536;

  @Override
  public List<ValidationMessage> validate(Config config) {
    TrafficExtension t = config.spec(TrafficExtension.class);
    Findings f = new Findings();
    if (!t.hasWasm() && !t.hasLua()) {
      // Both set cannot reach here: they are one oneof, and the parser refuses the second.
      f.error("spec", "exactly one of wasm or lua must be set");
    }
    Common.oneSelectorKind(t.hasSelector(), false, t.getTargetRefsCount(), "spec", f);
    Common.workloadSelector(t.hasSelector(), t.getSelector(), "spec.selector", f);
    Common.targetRefs(false, null, t.getTargetRefsList(), "spec", f);
    if (t.hasLua()) {
      String code = t.getLua().getInlineCode();
      if (code.isEmpty()) {
        f.error("spec.lua.inlineCode", "lua.inlineCode must not be empty");
      } else if (WasmModules.utf8Length(code) > MAX_LUA_BYTES) {
        f.error(
            "spec.lua.inlineCode",
            "lua.inlineCode is larger than 64KB ("
                + WasmModules.utf8Length(code)
                + " bytes, at most "
                + MAX_LUA_BYTES
                + ")");
      }
    }
    if (t.hasWasm()) {
      WasmConfig w = t.getWasm();
      WasmModules.module(
          w.getUrl(),
          w.getSha256(),
          w.getImagePullSecret(),
          w.getPluginName(),
          w.getVmConfig(),
          "spec.wasm",
          f);
    }
    for (int i = 0; i < t.getMatchCount(); i++) {
      Deadline.check();
      WasmModules.matchPorts(t.getMatch(i).getPortsList(), Findings.at("spec.match", i), f);
    }
    return f.messages();
  }
}
