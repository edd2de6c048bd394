package io.jistiod.galley.validation;

import io.jistiod.galley.api.extensions.v1alpha1.EnvValueSource;
import io.jistiod.galley.api.extensions.v1alpha1.EnvVar;
import io.jistiod.galley.api.extensions.v1alpha1.VmConfig;
import io.jistiod.galley.api.type.v1beta1.PortSelector;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Istio's checks of a Wasm module's settings, shared by WasmPlugin (fields at the spec's top) and
 * TrafficExtension (fields under {@code spec.wasm}); {@code path} is where those fields live.
 */
final class WasmModules {
  private static final Set<String> SCHEMES = Set.of("", "file", "http", "https", "oci");

  private WasmModules() {}

  /** url, sha256, imagePullSecret, pluginName and vmConfig, as both kinds check them. */
  static void module(
      String url,
      String sha256,
      String imagePullSecret,
      String pluginName,
      VmConfig vmConfig,
      String path,
      Findings f) {
    f.errorIf(path + ".url", urlProblem(url));
    if (!sha256.isEmpty()) {
      if (sha256.length() != 64) {
        f.error(path + ".sha256", "sha256 must be 64 characters long, got " + sha256.length());
      } else if (!sha256.matches("[a-f0-9]{64}")) {
        f.error(path + ".sha256", "sha256 must be 64 lower-case hex digits ([a-f0-9]{64})");
      }
    }
    if (utf8Length(imagePullSecret) > 253) {
      f.error(path + ".imagePullSecret", "imagePullSecret must be at most 253 characters long");
    }
    if (utf8Length(pluginName) > 256) {
      f.error(path + ".pluginName", "pluginName must be at most 256 characters long");
    }
    env(vmConfig, path + ".vmConfig.env", f);
  }

  private static void env(VmConfig vm, String path, Findings f) {
    Set<String> envNames = new HashSet<>();
    for (int i = 0; i < vm.getEnvCount(); i++) {
      Deadline.check();
      EnvVar env = vm.getEnv(i);
      String where = Findings.at(path, i);
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
  }

  /** The ports of one traffic selector ({@code spec.match[i]}): 1..65535. */
  static void matchPorts(List<PortSelector> ports, String path, Findings f) {
    for (int j = 0; j < ports.size(); j++) {
      Deadline.check();
      Ports.number(
          Integer.toUnsignedLong(ports.get(j).getNumber()),
          Findings.at(path + ".ports", j) + ".number",
          f);
    }
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
