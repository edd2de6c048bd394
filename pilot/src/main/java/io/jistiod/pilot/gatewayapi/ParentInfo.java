package io.jistiod.pilot.gatewayapi;

import io.jistiod.galley.api.gateway.v1.RouteGroupKind;
import java.util.List;

/**
 * One thing a route can attach to: a Gateway listener, or the mesh.
 *
 * @param internalName how VirtualServices name it: {@code <ns>/<istio gateway name>}, or {@code
 *     mesh}
 * @param allowedKinds the route kinds it admits
 * @param hostnames the listener's server hosts, {@code <namespace>/<hostname>}
 * @param originalHostname the listener's hostname as written, empty if unset
 */
record ParentInfo(
    String internalName,
    List<RouteGroupKind> allowedKinds,
    List<String> hostnames,
    String originalHostname,
    String sectionName,
    int port,
    String protocol) {

  static final String MESH = "mesh";

  /** The mesh: every route kind, no listener constraints. */
  static final ParentInfo MESH_PARENT =
      new ParentInfo(
          MESH,
          List.of(
              Listeners.routeKind(GroupKind.HTTP_ROUTE),
              Listeners.routeKind(GroupKind.GRPC_ROUTE),
              Listeners.routeKind(GroupKind.TCP_ROUTE),
              Listeners.routeKind(GroupKind.TLS_ROUTE)),
          List.of(),
          "",
          "",
          0,
          "");

  boolean isMesh() {
    return internalName.equals(MESH);
  }
}
