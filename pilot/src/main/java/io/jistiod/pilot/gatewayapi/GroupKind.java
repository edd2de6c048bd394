package io.jistiod.pilot.gatewayapi;

/**
 * An API group and kind, as references in the Gateway API name their targets. Unset group or kind
 * take a default that depends on the reference (a parentRef means a Gateway, a backendRef a
 * Service), as istiod's {@code normalizeReference}.
 */
record GroupKind(String group, String kind) {
  static final String GATEWAY_GROUP = "gateway.networking.k8s.io";

  static final GroupKind GATEWAY = new GroupKind(GATEWAY_GROUP, "Gateway");
  static final GroupKind HTTP_ROUTE = new GroupKind(GATEWAY_GROUP, "HTTPRoute");
  static final GroupKind GRPC_ROUTE = new GroupKind(GATEWAY_GROUP, "GRPCRoute");
  static final GroupKind TCP_ROUTE = new GroupKind(GATEWAY_GROUP, "TCPRoute");
  static final GroupKind TLS_ROUTE = new GroupKind(GATEWAY_GROUP, "TLSRoute");
  static final GroupKind LISTENER_SET =
      new GroupKind("gateway.networking.x-k8s.io", "XListenerSet");
  static final GroupKind SERVICE = new GroupKind("", "Service");
  static final GroupKind SECRET = new GroupKind("", "Secret");
  static final GroupKind SERVICE_ENTRY = new GroupKind("networking.istio.io", "ServiceEntry");
  static final GroupKind HOSTNAME = new GroupKind("networking.istio.io", "Hostname");
  static final GroupKind INFERENCE_POOL =
      new GroupKind("inference.networking.x-k8s.io", "InferencePool");
  static final GroupKind SERVICE_IMPORT = new GroupKind("multicluster.x-k8s.io", "ServiceImport");

  /** The group and kind of a reference, each defaulting to {@code def}'s when unset. */
  static GroupKind of(boolean hasGroup, String group, boolean hasKind, String kind, GroupKind def) {
    return new GroupKind(hasGroup ? group : def.group, hasKind ? kind : def.kind);
  }
}
