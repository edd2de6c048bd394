package io.jistiod.galley.validation;

import io.jistiod.galley.api.extensions.v1alpha1.EnvValueSource;
import io.jistiod.galley.api.extensions.v1alpha1.EnvVar;
import io.jistiod.galley.api.extensions.v1alpha1.WasmPlugin;
import io.jistiod.galley.config.Config;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Istio's rules for WasmPlugin. */
final class WasmPluginValidator implements ConfigValidator {
  private static final Set<String> SCHEMES = Set.of("", "file", "http", "https", "oci");

  @Override
  public List<ValidationMessage> validate(Config config) {
    WasmPlugin w = config.spec(WasmPlugin.class);
    Findings f = new Findings();
    Common.oneSelectorKind(w.hasSelector(), w.hasTargetRef(), w.getTargetRefsCount(), "spec", f);
    Common.workloadSelector(w.hasSelector(), w.getSelector(), "spec.selector", f);
    Common.targetRefs(w.hasTargetRef(), w.getTargetRef(), w.getTargetRefsList(), "spec", f);
    f.errorIf("spec.url", urlProblem(w.getUrl()));
    String sha = w.getSha256();
    if (!sha.isEmpty()) {
      if (sha.length() != 64) {
        f.error("spec.sha256", "sha256 must be 64 characters long, got " + sha.length());
      } else if (!sha.matches("[a-f0-9]{64}")) {
        f.error("spec.sha256", "sha256 must be 64 lower-case hex digits ([a-f0-9]{64})");
      }
    }
    if (utf8Length(w.getImagePullSecret()) > 253) {
      f.error("spec.imagePullSecret", "imagePullSecret must be at most 253 characters long");
    }
    if (utf8Length(w.getPluginName()) > 256) {
      f.error("spec.pluginName", "pluginName must be at most 256 characters long");
    }
    Set<String> envNames = new HashSet<>();
    for (int i = 0; i < w.getVmConfig().getEnvCount(); i++) {
      Deadline.check();
      EnvVar env = w.getVmConfig().getEnv(i);
      String where = "spec.vmConfig.env[" + i + "]";
      if (env.getName().isEmpty()) {
        f.error(where + ".name", "an environment variable needs a name");
        continue;
      }
      if (utf8Length(env.getName()) > 256) {
        f.error(where + ".name", "an environment variable name must be at most 256 characters");
      }
      if (!envNames.add(env.getName())) {
        f.error(where + ".name", "duplicate environment variable \"" + env.getName() + "\"");
      }
      if (env.getValueFrom() != EnvValueSource.INLINE && !env.getValue().isEmpty()) {
        f.error(where + ".value", "value may only be set when valueFrom is INLINE");
      }
    }
    for (int i = 0; i < w.getMatchCount(); i++) {
      Deadline.check();
      var sel = w.getMatch(i);
      for (int j = 0; j < sel.getPortsCount(); j++) {
        Deadline.check();
        Ports.number(
            Integer.toUnsignedLong(sel.getPorts(j).getNumber()),
            "spec.match[" + i + "].ports[" + j + "].number",
            f);
      }
    }
    return f.messages();
  }

  static int utf8Length(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  /** Istio parses the URL strictly, retrying with http:// for scheme-less image references. */
  static String urlProblem(String url) {
    if (url.isEmpty()) {
      return "url is required";
    }
    GoUrl.Result r = GoUrl.parseRequestUri(url);
    if (!r.ok()) {
      GoUrl.Result retry = GoUrl.parseRequestUri("http://" + url);
      if (!retry.ok()) {
        return "cannot parse url: " + r.error();
      }
      if (!GoUrl.parse("http://" + url).ok()) {
        return "cannot parse url: " + GoUrl.parse("http://" + url).error();
      }
      r = retry;
    } else if (!GoUrl.parse(url).ok()) {
      return "cannot parse url: " + GoUrl.parse(url).error();
    }
    if (!SCHEMES.contains(r.scheme())) {
      return "unsupported url scheme \"" + r.scheme() + "\" (use oci, http, https or file)";
    }
    return null;
  }
}
