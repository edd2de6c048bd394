package io.jistiod.pilot.model;

import io.jistiod.galley.api.type.v1beta1.PolicyTargetReference;
import java.util.List;
import java.util.Map;

/**
 * istiod's rule for which workloads a namespaced policy-like resource applies to when it has a
 * label selector or {@code targetRefs} (AuthorizationPolicy, RequestAuthentication, Telemetry,
 * EnvoyFilter all follow it):
 *
 * <ul>
 *   <li>a workload that is not a Gateway API gateway takes resources without {@code targetRefs}
 *       whose selector (if any) matches its labels; one aimed by {@code targetRefs} at something
 *       else never falls back to its selector;
 *   <li>a Gateway API gateway (pods labelled {@code gateway.networking.k8s.io/gateway-name}) also
 *       takes selector resources (ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY, on by default), except
 *       waypoints, which only take {@code targetRefs}; and those of its own namespace whose {@code
 *       targetRefs} name its Gateway.
 * </ul>
 */
public final class PolicyAttachment {
  public static final String GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name";
  private static final String GATEWAY_API_GROUP = "gateway.networking.k8s.io";

  private PolicyAttachment() {}

  /**
   * @param policyNamespace the resource's namespace
   * @param targetRefs its {@code targetRefs} (with a deprecated single {@code targetRef} added)
   * @param selector its selector's labels, or null when it has no selector (selects every workload)
   * @param labels the workload's labels
   * @param workloadNamespace the workload's namespace
   * @param waypoint whether the workload is a waypoint proxy
   */
  public static boolean attaches(
      String policyNamespace,
      List<PolicyTargetReference> targetRefs,
      Map<String, String> selector,
      Map<String, String> labels,
      String workloadNamespace,
      boolean waypoint) {
    String gatewayName = labels.get(GATEWAY_NAME_LABEL);
    if (gatewayName == null) {
      return targetRefs.isEmpty() && selected(selector, labels);
    }
    if (targetRefs.isEmpty()) {
      return !waypoint && selected(selector, labels);
    }
    if (!policyNamespace.equals(workloadNamespace)) {
      return false;
    }
    for (PolicyTargetReference ref : targetRefs) {
      if ((ref.getNamespace().isEmpty() || ref.getNamespace().equals(workloadNamespace))
          && GATEWAY_API_GROUP.equals(ref.getGroup())
          && "Gateway".equals(ref.getKind())
          && gatewayName.equals(ref.getName())) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code labels} carry every label of {@code selector} (null: no selector). */
  public static boolean selected(Map<String, String> selector, Map<String, String> labels) {
    if (selector == null) {
      return true;
    }
    for (var e : selector.entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
