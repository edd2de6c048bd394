package io.jistiod.pilot.push;

import java.util.Locale;

/**
 * The kinds of change a push can carry, named as istiod names them in its config keys ({@code
 * kind.Kind}): Istio config kinds, the Kubernetes objects istiod watches, and istiod's own inputs.
 * A Kubernetes Service and a ServiceEntry's host are both {@link #SERVICE_ENTRY}, keyed by
 * hostname, as in istiod.
 */
public enum Kind {
  VIRTUAL_SERVICE("VirtualService"),
  DESTINATION_RULE("DestinationRule"),
  GATEWAY("Gateway"),
  SERVICE_ENTRY("ServiceEntry"),
  WORKLOAD_ENTRY("WorkloadEntry"),
  WORKLOAD_GROUP("WorkloadGroup"),
  SIDECAR("Sidecar"),
  ENVOY_FILTER("EnvoyFilter"),
  PROXY_CONFIG("ProxyConfig"),
  AUTHORIZATION_POLICY("AuthorizationPolicy"),
  PEER_AUTHENTICATION("PeerAuthentication"),
  REQUEST_AUTHENTICATION("RequestAuthentication"),
  TELEMETRY("Telemetry"),
  WASM_PLUGIN("WasmPlugin"),
  SECRET("Secret"),
  CONFIG_MAP("ConfigMap"),
  MESH_CONFIG("MeshConfig"),
  NAMESPACE("Namespace"),
  POD("Pod"),
  NODE("Node"),
  ENDPOINT_SLICE("EndpointSlice"),
  /** A kind istiod's push filters do not know: every type and proxy may depend on it. */
  UNKNOWN("Unknown");

  /**
   * Kinds no load assignment is built from (istiod's skippedEdsConfigs): a change of only these
   * kinds leaves every ClusterLoadAssignment as it was.
   */
  public static final java.util.Set<Kind> NOT_IN_ENDPOINTS =
      java.util.Collections.unmodifiableSet(
          java.util.EnumSet.of(
              GATEWAY,
              VIRTUAL_SERVICE,
              WORKLOAD_GROUP,
              AUTHORIZATION_POLICY,
              REQUEST_AUTHENTICATION,
              SECRET,
              CONFIG_MAP,
              TELEMETRY,
              WASM_PLUGIN,
              PROXY_CONFIG));

  private final String istioName;

  Kind(String istioName) {
    this.istioName = istioName;
  }

  /** The name istiod uses, e.g. {@code VirtualService}. */
  public String istioName() {
    return istioName;
  }

  /** The kind named {@code name} (istiod's spelling, any case), else {@link #UNKNOWN}. */
  public static Kind of(String name) {
    for (Kind k : values()) {
      if (k.istioName.toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
        return k;
      }
    }
    return UNKNOWN;
  }

  @Override
  public String toString() {
    return istioName;
  }
}
