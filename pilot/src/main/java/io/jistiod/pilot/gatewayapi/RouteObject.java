package io.jistiod.pilot.gatewayapi;

import io.jistiod.galley.api.gateway.v1.GRPCRouteSpec;
import io.jistiod.galley.api.gateway.v1.HTTPRouteSpec;
import io.jistiod.galley.api.gateway.v1.ParentReference;
import io.jistiod.galley.api.gateway.v1.RouteStatus;
import io.jistiod.galley.api.gateway.v1.TCPRouteSpec;
import io.jistiod.galley.api.gateway.v1.TLSRouteSpec;
import io.jistiod.galley.config.Config;
import java.util.List;

/**
 * A route of any kind, as parent resolution and status see it.
 *
 * @param gvk istiod's name of the kind in messages, {@code group/version/Kind} with the version
 *     istiod watches
 */
record RouteObject(
    Config config,
    GroupKind kind,
    String gvk,
    List<ParentReference> parentRefs,
    List<String> hostnames) {

  String namespace() {
    return config.namespace();
  }

  String name() {
    return config.name();
  }

  RouteStatus status() {
    return config.status(RouteStatus.class);
  }

  static RouteObject http(Config c) {
    HTTPRouteSpec s = c.spec(HTTPRouteSpec.class);
    return new RouteObject(
        c,
        GroupKind.HTTP_ROUTE,
        "gateway.networking.k8s.io/v1beta1/HTTPRoute",
        s.getParentRefsList(),
        s.getHostnamesList());
  }

  static RouteObject grpc(Config c) {
    GRPCRouteSpec s = c.spec(GRPCRouteSpec.class);
    return new RouteObject(
        c,
        GroupKind.GRPC_ROUTE,
        "gateway.networking.k8s.io/v1/GRPCRoute",
        s.getParentRefsList(),
        s.getHostnamesList());
  }

  static RouteObject tcp(Config c) {
    TCPRouteSpec s = c.spec(TCPRouteSpec.class);
    return new RouteObject(
        c,
        GroupKind.TCP_ROUTE,
        "gateway.networking.k8s.io/v1alpha2/TCPRoute",
        s.getParentRefsList(),
        List.of());
  }

  static RouteObject tls(Config c) {
    TLSRouteSpec s = c.spec(TLSRouteSpec.class);
    return new RouteObject(
        c,
        GroupKind.TLS_ROUTE,
        "gateway.networking.k8s.io/v1alpha2/TLSRoute",
        s.getParentRefsList(),
        s.getHostnamesList());
  }
}
