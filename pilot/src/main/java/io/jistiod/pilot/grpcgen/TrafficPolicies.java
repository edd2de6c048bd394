package io.jistiod.pilot.grpcgen;

import io.jistiod.galley.api.networking.v1alpha3.TrafficPolicy;

/** DestinationRule policy resolution: subset over rule, port-level over both. */
final class TrafficPolicies {
  private TrafficPolicies() {}

  /**
   * The subset's policy with the rule's as fallback, section by section, as Istio merges them: a
   * section the subset sets replaces the rule's whole section.
   */
  static TrafficPolicy mergeSubset(TrafficPolicy rule, TrafficPolicy subset) {
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
  static TrafficPolicy forPort(TrafficPolicy policy, int port) {
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
}
