package io.jistiod.pilot.envoy.route;

import com.google.protobuf.BoolValue;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.jistiod.galley.api.networking.v1alpha3.Destination;
import io.jistiod.galley.api.networking.v1alpha3.HTTPMatchRequest;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRoute;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.model.Hosts;
import io.jistiod.pilot.model.Protocol;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServicePort;
import io.jistiod.pilot.networking.EnvoyRouteContext;
import io.jistiod.pilot.networking.HttpRouteBuilder;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.VirtualServiceIndex;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The inline route configuration of a waypoint's HTTP chain for one service port, as istiod 1.27
 * builds it: the first VirtualService bound to the mesh, from the waypoint's or the service's
 * namespace, whose hosts match the service and that has HTTP rules, translated into one virtual
 * host {@code inbound|http|PORT} for every authority (the chain was chosen by VIP already); else
 * (or when no rule survives) the inbound default route to the chain's own cluster. Destinations the
 * waypoint serves go to their {@code inbound-vip} clusters, others to outbound clusters.
 */
public final class WaypointRoutes {
  private WaypointRoutes() {}

  /**
   * @param clusterName the chain's cluster, {@code inbound-vip|PORT|http|HOST}: the configuration's
   *     name and the default route's destination
   * @param serves whether the waypoint serves a hostname (its routes stay on the waypoint)
   */
  public static RouteConfiguration build(
      Proxy proxy,
      PushContext push,
      Service service,
      ServicePort port,
      String clusterName,
      Predicate<String> serves) {
    Config vs = virtualServiceFor(proxy, push, service);
    if (vs != null) {
      EnvoyRouteContext ctx =
          EnvoyRouteGenerator.context(
                  proxy,
                  push,
                  Set.of(VirtualServiceIndex.MESH),
                  host -> push.serviceExportedTo(proxy.configNamespace(), host))
              .withClusterNamer((d, host, s, p) -> clusterName(d, host, s, p, serves.test(host)));
      List<Route> routes =
          HttpRouteBuilder.forEnvoy(vs.namespace(), push.domainSuffix(), port.port(), ctx)
              .build(withoutSourceLabels(vs));
      if (!routes.isEmpty()) {
        return RouteConfiguration.newBuilder()
            .setName(clusterName)
            .addVirtualHosts(
                VirtualHost.newBuilder()
                    .setName("inbound|http|" + port.port())
                    .addDomains("*")
                    .addAllRoutes(routes))
            .setValidateClusters(BoolValue.of(false))
            .build();
      }
    }
    return InboundRouteConfigs.build(clusterName, service.hostname(), port.port(), port.protocol());
  }

  /**
   * The cluster of a route destination on a waypoint: {@code inbound-vip|PORT|http|HOST} (with
   * {@code /SUBSET}) when the waypoint serves the host (or the host is unknown, as istiod), else
   * {@code outbound|PORT|SUBSET|HOST}.
   */
  public static String clusterName(
      Destination d, String host, Optional<Service> service, int port, boolean served) {
    if (service.isPresent() && !served) {
      return "outbound|" + port + "|" + d.getSubset() + "|" + host;
    }
    String subset = "http";
    Optional<ServicePort> p = service.flatMap(s -> s.port(port));
    if (p.isPresent()
        && !(p.get().protocol().isHttp() || p.get().protocol() == Protocol.UNSUPPORTED)) {
      subset = "tcp";
    }
    if (!d.getSubset().isEmpty()) {
      subset += "/" + d.getSubset();
    }
    return "inbound-vip|" + port + "|" + subset + "|" + host;
  }

  /** The VirtualService whose HTTP routes the waypoint applies to {@code service}, or null. */
  static Config virtualServiceFor(Proxy proxy, PushContext push, Service service) {
    for (Config c : virtualServicesFor(proxy, push, service)) {
      if (c.spec(VirtualService.class).getHttpCount() > 0) {
        return c;
      }
    }
    return null;
  }

  /**
   * The mesh VirtualServices a waypoint considers for {@code service}, in the order its namespace
   * sees them: those of the waypoint's or the service's namespace with a host matching the service.
   */
  public static List<Config> virtualServicesFor(Proxy proxy, PushContext push, Service service) {
    List<Config> out = new ArrayList<>();
    for (PushContext.ResolvedVirtualService rvs :
        push.virtualServicesForGateway(proxy.configNamespace(), VirtualServiceIndex.MESH)) {
      Config c = rvs.config();
      if (!c.namespace().equals(proxy.configNamespace())
          && !c.namespace().equals(service.namespace())) {
        continue; // only routes of the waypoint's or the service's namespace
      }
      for (String h : rvs.hosts()) {
        if (Hosts.matches(h, service.hostname())) {
          out.add(c);
          break;
        }
      }
    }
    return out;
  }

  /**
   * The VirtualService without the match blocks that name source labels: ambient cannot tell a
   * client's labels, so istiod drops them on waypoints (a rule left with no match block is dropped
   * whole, not turned into a catch-all).
   */
  private static Config withoutSourceLabels(Config vs) {
    VirtualService spec = vs.spec(VirtualService.class);
    boolean any = false;
    for (HTTPRoute r : spec.getHttpList()) {
      for (HTTPMatchRequest m : r.getMatchList()) {
        any |= m.getSourceLabelsCount() > 0;
      }
    }
    if (!any) {
      return vs;
    }
    List<HTTPRoute> kept = new ArrayList<>();
    for (HTTPRoute r : spec.getHttpList()) {
      if (r.getMatchCount() == 0) {
        kept.add(r);
        continue;
      }
      List<HTTPMatchRequest> matches =
          r.getMatchList().stream().filter(m -> m.getSourceLabelsCount() == 0).toList();
      if (!matches.isEmpty()) {
        kept.add(r.toBuilder().clearMatch().addAllMatch(matches).build());
      }
    }
    return new Config(
        vs.meta(), spec.toBuilder().clearHttp().addAllHttp(kept).build(), vs.status());
  }
}
