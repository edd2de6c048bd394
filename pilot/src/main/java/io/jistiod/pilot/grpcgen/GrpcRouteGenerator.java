package io.jistiod.pilot.grpcgen;

import com.google.protobuf.ByteString;
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
  private static final String TYPE_URL =
      "type.googleapis.com/" + RouteConfiguration.getDescriptor().getFullName();

  @Override
  public List<XdsResource> generate(Proxy proxy, PushContext push, Set<String> names) {
    List<XdsResource> out = new ArrayList<>();
    String variant = SidecarOutboundRoutes.cacheVariant(proxy, push);
    String cacheType = "grpc-rds/" + variant;
    GenerationCache.Scope scope = push.cache().scope(proxy);
    for (String name : new TreeSet<>(names)) {
      XdsResource r =
          push.cache().get(cacheType, name, scope, () -> build(name, proxy, push, scope, variant));
      if (r != null) {
        out.add(r);
      }
    }
    return out;
  }

  /**
   * Null for a name that is not a cluster-style name with a host and a port, which istiod does not
   * answer either. Any other name gets the port's virtual hosts, even if its host is unknown.
   *
   * <p>Every name of a port gets the same virtual hosts (all the visible services on that port), so
   * they are built and serialized once per push and scope; each name's body is its own name field
   * followed by those shared bytes (a rope, not a copy). That is the message's canonical encoding:
   * the name is field 1, the virtual hosts field 2.
   */
  private static XdsResource build(
      String name, Proxy proxy, PushContext push, GenerationCache.Scope scope, String variant) {
    ClusterName key = ClusterName.parse(name);
    if (key == null || key.port() == 0 || key.hostname().isEmpty()) {
      return null;
    }
    XdsResource.SharedBytes virtualHosts =
        push.cache()
            .memo(
                "grpc-rds-vhosts/" + variant + "/" + key.port(),
                scope,
                () ->
                    XdsResource.SharedBytes.of(
                        RouteConfiguration.newBuilder()
                            .addAllVirtualHosts(
                                SidecarOutboundRoutes.forProxylessGrpc(proxy, push, key.port()))
                            .build()
                            .toByteString()));
    ByteString head = RouteConfiguration.newBuilder().setName(name).build().toByteString();
    return XdsResource.withSharedTail(name, TYPE_URL, head, virtualHosts);
  }
}
