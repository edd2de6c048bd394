package io.jistiod.pilot.networking;

import io.jistiod.galley.api.networking.v1alpha3.TrafficPolicy;

/** DestinationRule policy resolution: subset over rule, port-level over both. */
public final class TrafficPolicies {
  private TrafficPolicies() {}

  /**
   * The subset's policy with the rule's as fallback, section by section, as Istio merges them: a
   * section the subset sets replaces the rule's whole section.
   */
  public static TrafficPolicy mergeSubset(TrafficPolicy rule, TrafficPolicy subset) {
    TrafficPolicy.Builder b = rule.toBuilder();
    if (subset.hasLoadBalancer()) {
      b.setLoadBalancer(subset.getLoadBalancer());
    }
    if (subset.hasConnectionPool()) {
      b.setConnectionPool(subset.getConnectionPool());
    }
    if (subset.hasOutlierDetection()) {
      b.setOutlierDetection(subset.getOutlierDetection());
    }
    if (subset.hasTls()) {
      b.setTls(subset.getTls());
    }
    if (subset.getPortLevelSettingsCount() > 0) {
      b.clearPortLevelSettings().addAllPortLevelSettings(subset.getPortLevelSettingsList());
    }
    return b.build();
  }

  /** Applies the port-level settings for {@code port}, if any, over the policy. */
  public static TrafficPolicy forPort(TrafficPolicy policy, int port) {
    for (var pls : policy.getPortLevelSettingsList()) {
      if (pls.getPort().getNumber() != port) {
        continue;
      }
      TrafficPolicy.Builder b = policy.toBuilder();
      if (pls.hasLoadBalancer()) {
        b.setLoadBalancer(pls.getLoadBalancer());
      }
      if (pls.hasConnectionPool()) {
        b.setConnectionPool(pls.getConnectionPool());
      }
      if (pls.hasOutlierDetection()) {
        b.setOutlierDetection(pls.getOutlierDetection());
      }
      if (pls.hasTls()) {
        b.setTls(pls.getTls());
      }
      return b.build();
    }
    return policy;
  }

  /**
   * The effective policy of one cluster: the DestinationRule's, with the subset's sections over it,
   * then the port-level settings for {@code port}. Returns null if the subset is not defined.
   */
  public static TrafficPolicy resolve(
      io.jistiod.galley.api.networking.v1alpha3.DestinationRule rule, String subset, int port) {
    TrafficPolicy policy = rule.getTrafficPolicy();
    if (!subset.isEmpty()) {
      var s = rule.getSubsetsList().stream().filter(x -> x.getName().equals(subset)).findFirst();
      if (s.isEmpty()) {
        return null;
      }
      policy = mergeSubset(policy, s.get().getTrafficPolicy());
    }
    return forPort(policy, port);
  }
}
