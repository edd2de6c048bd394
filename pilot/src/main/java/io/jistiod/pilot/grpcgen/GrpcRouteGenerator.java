package io.jistiod.pilot.grpcgen;

import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.jistiod.pilot.envoy.route.SidecarOutboundRoutes;
import io.jistiod.pilot.model.ClusterName;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.GenerationCache;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.xds.XdsGenerator;
import io.jistiod.pilot.xds.XdsResource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * RDS for proxyless gRPC, as istiod 1.27's grpcgen: a route configuration per {@code
 * outbound|PORT||FQDN} name holding what a sidecar's outbound route configuration for PORT holds
 * (every visible service with that port as HTTP, with its VirtualService routes or the default
 * route, the default retry policy included), minus the catch-all, with {@code host:port} domains.
 * Built by the sidecar's builder ({@link SidecarOutboundRoutes#forProxylessGrpc}).
 */
public final class GrpcRouteGenerator implements XdsGenerator {

  @Override
  public List<XdsResource> generate(Proxy proxy, PushContext push, Set<String> names) {
    List<XdsResource> out = new ArrayList<>();
    String cacheType = "grpc-rds/" + SidecarOutboundRoutes.cacheVariant(proxy, push);
    GenerationCache.Scope scope = push.cache().scope(proxy);
    for (String name : new TreeSet<>(names)) {
      XdsResource r = push.cache().get(cacheType, name, scope, () -> build(name, proxy, push));
      if (r != null) {
        out.add(r);
      }
    }
    return out;
  }

  /**
   * Null for a name that is not a cluster-style name with a host and a port, which istiod does not
   * answer either. Any other name gets the port's virtual hosts, even if its host is unknown.
   */
  private static XdsResource build(String name, Proxy proxy, PushContext push) {
    ClusterName key = ClusterName.parse(name);
    if (key == null || key.port() == 0 || key.hostname().isEmpty()) {
      return null;
    }
    return XdsResource.of(name, routeConfig(name, proxy, push, key.port()));
  }

  static RouteConfiguration routeConfig(String name, Proxy proxy, PushContext push, int port) {
    return RouteConfiguration.newBuilder()
        .setName(name)
        .addAllVirtualHosts(SidecarOutboundRoutes.forProxylessGrpc(proxy, push, port))
        .build();
  }
}
