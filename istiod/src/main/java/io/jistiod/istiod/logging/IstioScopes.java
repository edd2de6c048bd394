package io.jistiod.istiod.logging;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Istio's log scopes for our loggers, so a line reads as istiod's would ({@code ads}, {@code
 * model}, {@code kube}, {@code ca}, ...) and the per-scope filters and alerts users keep on
 * istiod's logs match ours. A logger is mapped by its longest matching prefix (class or package);
 * anything unmapped is Istio's {@code default} scope, which istiod leaves out of the line.
 */
final class IstioScopes {
  static final String DEFAULT = "default";

  private static final Map<String, String> BY_PREFIX = new LinkedHashMap<>();

  static {
    // pilot
    BY_PREFIX.put("io.jistiod.pilot.xds", "ads");
    BY_PREFIX.put("io.jistiod.pilot.xds.DeltaConnection", "delta");
    BY_PREFIX.put("io.jistiod.pilot.push", "model");
    BY_PREFIX.put("io.jistiod.pilot.envoy", "model");
    BY_PREFIX.put("io.jistiod.pilot.grpcgen", "grpcgen");
    BY_PREFIX.put("io.jistiod.pilot.kube", "kube");
    BY_PREFIX.put("io.jistiod.pilot.serviceentry", "serviceentry");
    BY_PREFIX.put("io.jistiod.pilot.security", "authorization");
    BY_PREFIX.put("io.jistiod.pilot.security.JwksResolver", "model");
    // galley
    BY_PREFIX.put("io.jistiod.galley.kube", "kube");
    BY_PREFIX.put("io.jistiod.galley.mesh", "mesh");
    BY_PREFIX.put("io.jistiod.galley.analysis", "analysis");
    BY_PREFIX.put("io.jistiod.galley.webhook", "validationServer");
    BY_PREFIX.put("io.jistiod.galley.file", "file");
    BY_PREFIX.put("io.jistiod.injector", "injection");
    // citadel and istiod's security
    BY_PREFIX.put("io.jistiod.citadel", "ca");
    BY_PREFIX.put("io.jistiod.citadel.k8s", "namespacecontroller");
    BY_PREFIX.put("io.jistiod.citadel.server", "security");
    BY_PREFIX.put("io.jistiod.istiod.security", "security");
    // istiod
    BY_PREFIX.put("io.jistiod.istiod.webhook", "validationServer");
    BY_PREFIX.put("io.jistiod.istiod.webhook.ValidatingWebhookController", "validationController");
    BY_PREFIX.put("io.jistiod.istiod.webhook.InjectionWebhookPatcher", "webhookpatcher");
    BY_PREFIX.put("io.jistiod.istiod.inject", "injection");
    BY_PREFIX.put("io.jistiod.istiod.ha", "leaderelection");
    BY_PREFIX.put("io.jistiod.istiod.grpc", "grpc");
    BY_PREFIX.put("io.grpc", "grpc");
    BY_PREFIX.put("io.fabric8", "klog");
  }

  private IstioScopes() {}

  /** The scope of a logger name: its longest mapped prefix's, else {@link #DEFAULT}. */
  static String of(String loggerName) {
    String best = null;
    int bestLength = -1;
    for (Map.Entry<String, String> e : BY_PREFIX.entrySet()) {
      String prefix = e.getKey();
      if (prefix.length() > bestLength
          && loggerName.startsWith(prefix)
          && (loggerName.length() == prefix.length()
              || loggerName.charAt(prefix.length()) == '.'
              || loggerName.charAt(prefix.length()) == '$')) {
        best = e.getValue();
        bestLength = prefix.length();
      }
    }
    return best == null ? DEFAULT : best;
  }
}
