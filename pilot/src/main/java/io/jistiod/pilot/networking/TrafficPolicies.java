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
      return withPortSettings(policy.toBuilder(), pls);
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

  /**
   * The policy istiod applies to one cluster: the rule's, replaced wholesale by its port-level
   * settings for {@code port} if any (istiod does not inherit rule-level sections into a port-level
   * policy), then the subset's sections over it (every section, if the subset has port-level
   * settings for the port). Null when neither the rule nor the subset sets anything.
   */
  public static TrafficPolicy forCluster(TrafficPolicy rule, TrafficPolicy subset, int port) {
    TrafficPolicy base = portLevelOnly(rule, port);
    if (subset == null) {
      return base;
    }
    TrafficPolicy subsetPolicy = portLevelOnly(subset, port);
    boolean subsetPortLevel = subsetPolicy != subset;
    if (base == null) {
      return subsetPolicy;
    }
    // istiod's merge copies only these sections: a retry budget does not survive into a subset
    TrafficPolicy.Builder b = base.toBuilder().clearPortLevelSettings().clearRetryBudget();
    if (subsetPolicy.hasConnectionPool() || subsetPortLevel) {
      b.clearConnectionPool();
      if (subsetPolicy.hasConnectionPool()) {
        b.setConnectionPool(subsetPolicy.getConnectionPool());
      }
    }
    if (subsetPolicy.hasOutlierDetection() || subsetPortLevel) {
      b.clearOutlierDetection();
      if (subsetPolicy.hasOutlierDetection()) {
        b.setOutlierDetection(subsetPolicy.getOutlierDetection());
      }
    }
    if (subsetPolicy.hasLoadBalancer() || subsetPortLevel) {
      b.clearLoadBalancer();
      if (subsetPolicy.hasLoadBalancer()) {
        b.setLoadBalancer(subsetPolicy.getLoadBalancer());
      }
    }
    if (subsetPolicy.hasTls() || subsetPortLevel) {
      b.clearTls();
      if (subsetPolicy.hasTls()) {
        b.setTls(subsetPolicy.getTls());
      }
    }
    if (subsetPolicy.hasTunnel()) {
      b.setTunnel(subsetPolicy.getTunnel());
    }
    if (subsetPolicy.hasProxyProtocol()) {
      b.setProxyProtocol(subsetPolicy.getProxyProtocol());
    }
    return b.build();
  }

  /**
   * The port-level settings for {@code port} as a policy of their own (nothing inherited), or the
   * policy itself when it has none for the port. Null stays null.
   */
  public static TrafficPolicy portLevelOnly(TrafficPolicy policy, int port) {
    if (policy == null) {
      return null;
    }
    for (var pls : policy.getPortLevelSettingsList()) {
      if (pls.hasPort() && pls.getPort().getNumber() == port) {
        return withPortSettings(TrafficPolicy.newBuilder(), pls);
      }
    }
    return policy;
  }

  /** {@code b} with each section the port-level settings set replacing its own. */
  private static TrafficPolicy withPortSettings(
      TrafficPolicy.Builder b, TrafficPolicy.PortTrafficPolicy pls) {
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
}
