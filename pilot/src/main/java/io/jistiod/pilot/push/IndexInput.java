package io.jistiod.pilot.push;

import java.util.EnumSet;
import java.util.Set;

/**
 * What a part of the {@link PushIndex} is built from. A push whose changes touch none of a part's
 * inputs reuses the previous push's part as it is.
 */
public enum IndexInput {
  VIRTUAL_SERVICE,
  DESTINATION_RULE,
  SIDECAR,
  /** The service registries: Kubernetes Services, ServiceEntries (and what they select). */
  SERVICES,
  MESH_CONFIG;

  /**
   * The inputs a change to config of {@code kind} (Istio's kind name, e.g. {@code VirtualService},
   * {@code Service}, {@code MeshConfig}) touches; every input for a kind it does not know, so an
   * unforeseen change never leaves a stale part.
   */
  public static Set<IndexInput> forKind(String kind) {
    return switch (kind) {
      case "VirtualService" -> EnumSet.of(VIRTUAL_SERVICE);
      case "DestinationRule" -> EnumSet.of(DESTINATION_RULE);
      case "Sidecar" -> EnumSet.of(SIDECAR);
      case "Service", "ServiceEntry", "WorkloadEntry", "WorkloadGroup", "EndpointSlice", "Pod" ->
          EnumSet.of(SERVICES);
      case "MeshConfig" -> EnumSet.of(MESH_CONFIG);
      // kinds no part is built from
      case "Gateway",
          "EnvoyFilter",
          "ProxyConfig",
          "AuthorizationPolicy",
          "PeerAuthentication",
          "RequestAuthentication",
          "Telemetry",
          "WasmPlugin",
          "Secret",
          "ConfigMap" ->
          EnumSet.noneOf(IndexInput.class);
      default -> EnumSet.allOf(IndexInput.class);
    };
  }
}
