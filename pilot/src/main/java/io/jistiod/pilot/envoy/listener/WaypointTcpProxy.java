package io.jistiod.pilot.envoy.listener;

import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.type.v3.HashPolicy;
import io.jistiod.galley.api.networking.v1alpha3.Destination;
import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.galley.api.networking.v1alpha3.L4MatchAttributes;
import io.jistiod.galley.api.networking.v1alpha3.RouteDestination;
import io.jistiod.galley.api.networking.v1alpha3.Subset;
import io.jistiod.galley.api.networking.v1alpha3.TCPRoute;
import io.jistiod.galley.api.networking.v1alpha3.TLSMatchAttributes;
import io.jistiod.galley.api.networking.v1alpha3.TLSRoute;
import io.jistiod.galley.api.networking.v1alpha3.TrafficPolicy;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.envoy.listener.HttpConnectionManagers.ListenerClass;
import io.jistiod.pilot.envoy.route.WaypointRoutes;
import io.jistiod.pilot.envoy.waypoint.WaypointScope;
import io.jistiod.pilot.model.Hosts;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServicePort;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.VirtualServiceIndex;
import java.util.List;
import java.util.Optional;

/**
 * The tcp_proxy of a waypoint's TCP chain for one served service port, as istiod 1.27 builds it:
 * the first TLS route of the service's VirtualServices (one SNI host, the service's own name) or
 * else the first TCP route that matches the port sends the connection to its destination(s) (its
 * {@code inbound-vip} cluster if the waypoint serves it, else its {@code outbound} one); without a
 * route, to the chain's own cluster. The DestinationRule of the first destination's host (the
 * service's without a route) gives the idle timeout, maximum connection duration, source-IP hashing
 * and tunnelling, with the subset's when there is a single destination. Source labels and source
 * namespaces cannot be told on a waypoint: matches that name them never apply.
 */
final class WaypointTcpProxy {
  private WaypointTcpProxy() {}

  /** The tcp_proxy of the chain {@code clusterName} (also its stat prefix). */
  static TcpProxy build(
      Proxy proxy,
      PushContext push,
      WaypointScope scope,
      Service service,
      ServicePort port,
      String clusterName) {
    TcpProxy.Builder tcp = TcpProxy.newBuilder().setStatPrefix(clusterName).setCluster(clusterName);
    Routed routed = routesFor(proxy, push, service, port.port());
    String ruleHost = service.hostname();
    String subset = "";
    if (routed != null) {
      List<RouteDestination> routes = routed.routes();
      ruleHost = resolve(routes.get(0).getDestination().getHost(), routed.vs(), push);
      if (routes.size() == 1) {
        subset = routes.get(0).getDestination().getSubset();
        tcp.setCluster(cluster(proxy, push, scope, routes.get(0), routed.vs(), port.port()));
      } else {
        TcpProxy.WeightedCluster.Builder weighted = TcpProxy.WeightedCluster.newBuilder();
        for (RouteDestination r : routes) {
          if (r.getWeight() > 0) {
            weighted.addClusters(
                TcpProxy.WeightedCluster.ClusterWeight.newBuilder()
                    .setName(cluster(proxy, push, scope, r, routed.vs(), port.port()))
                    .setWeight(r.getWeight()));
          }
        }
        tcp.setWeightedClusters(weighted);
      }
    }
    DestinationRule dr =
        push.destinationRuleFor(proxy, ruleHost)
            .map(PushContext.ResolvedDestinationRule::spec)
            .orElse(null);
    applyRule(tcp, dr, subset);
    return tcp.addAllAccessLog(AccessLogs.tcp(push, proxy, ListenerClass.SIDECAR_INBOUND)).build();
  }

  /** The routes that apply and the VirtualService they come from. */
  private record Routed(Config vs, List<RouteDestination> routes) {}

  /** TLS routes first (the Gateway API's order of route kinds), then TCP routes. */
  static Routed routesFor(Proxy proxy, PushContext push, Service service, int port) {
    List<Config> configs = WaypointRoutes.virtualServicesFor(proxy, push, service);
    for (Config c : configs) {
      List<RouteDestination> r = tlsRoutes(c.spec(VirtualService.class), service, port);
      if (r != null && !r.isEmpty()) {
        return new Routed(c, r);
      }
    }
    for (Config c : configs) {
      List<RouteDestination> r = tcpRoutes(c.spec(VirtualService.class), c.namespace(), port);
      if (r != null && !r.isEmpty()) {
        return new Routed(c, r);
      }
    }
    return null;
  }

  private static List<RouteDestination> tlsRoutes(VirtualService vs, Service service, int port) {
    for (TLSRoute rule : vs.getTlsList()) {
      if (rule.getMatchCount() == 0) {
        return rule.getRouteList();
      }
      for (TLSMatchAttributes m : rule.getMatchList()) {
        // only the service's own name as the one SNI host: the chain was picked by VIP already
        if (m.getSniHostsCount() != 1 || !m.getSniHosts(0).equals(service.hostname())) {
          continue;
        }
        if (matches(m.getGatewaysList(), m.getSourceLabelsCount(), m.getSourceNamespace())
            && (m.getPort() == 0 || m.getPort() == port)) {
          return rule.getRouteList();
        }
      }
    }
    return null;
  }

  private static List<RouteDestination> tcpRoutes(VirtualService vs, String namespace, int port) {
    for (TCPRoute rule : vs.getTcpList()) {
      if (rule.getMatchCount() == 0) {
        return rule.getRouteList();
      }
      for (L4MatchAttributes m : rule.getMatchList()) {
        if (matches(m.getGatewaysList(), m.getSourceLabelsCount(), m.getSourceNamespace())
            && (m.getPort() == 0 || m.getPort() == port)) {
          return rule.getRouteList();
        }
      }
    }
    return null;
  }

  /** A match's gateways must include the mesh; source labels and namespaces never match. */
  private static boolean matches(List<String> gateways, int sourceLabels, String sourceNamespace) {
    return (gateways.isEmpty() || gateways.contains(VirtualServiceIndex.MESH))
        && sourceLabels == 0
        && sourceNamespace.isEmpty();
  }

  /**
   * A destination's cluster: its port if it names one, else its service's only port, else the
   * chain's.
   */
  private static String cluster(
      Proxy proxy,
      PushContext push,
      WaypointScope scope,
      RouteDestination r,
      Config vs,
      int chainPort) {
    Destination d = r.getDestination();
    if (d.getHost().isEmpty()) {
      return "UnknownService";
    }
    String host = resolve(d.getHost(), vs, push);
    Optional<Service> service = push.serviceFor(proxy, host);
    int port = chainPort;
    if (d.hasPort() && d.getPort().getNumber() > 0) {
      port = d.getPort().getNumber();
    } else if (service.isPresent() && service.get().ports().size() == 1) {
      port = service.get().ports().get(0).port();
    }
    return WaypointRoutes.clusterName(d, host, service, port, scope.serves(host));
  }

  /** Idle timeout, maximum connection duration, source-IP hashing and tunnelling. */
  private static void applyRule(TcpProxy.Builder tcp, DestinationRule dr, String subset) {
    if (dr == null) {
      return;
    }
    // the rule's connection pool, whatever the subset, as sidecars
    var pool = dr.getTrafficPolicy().getConnectionPool().getTcp();
    if (pool.hasIdleTimeout()) {
      tcp.setIdleTimeout(pool.getIdleTimeout());
    }
    if (pool.hasMaxConnectionDuration()) {
      tcp.setMaxDownstreamConnectionDuration(pool.getMaxConnectionDuration());
    }
    boolean sourceIp = dr.getTrafficPolicy().getLoadBalancer().getConsistentHash().getUseSourceIp();
    TrafficPolicy.TunnelSettings tunnel =
        subset.isEmpty() && dr.getTrafficPolicy().hasTunnel()
            ? dr.getTrafficPolicy().getTunnel()
            : null;
    for (Subset s : dr.getSubsetsList()) {
      if (!s.getName().equals(subset)) {
        continue;
      }
      if (s.hasTrafficPolicy() && s.getTrafficPolicy().hasLoadBalancer()) {
        sourceIp =
            s.getTrafficPolicy().getLoadBalancer().hasConsistentHash()
                && s.getTrafficPolicy().getLoadBalancer().getConsistentHash().getUseSourceIp();
      }
      tunnel = s.getTrafficPolicy().hasTunnel() ? s.getTrafficPolicy().getTunnel() : null;
      break;
    }
    if (sourceIp) {
      tcp.addHashPolicy(
          HashPolicy.newBuilder().setSourceIp(HashPolicy.SourceIp.getDefaultInstance()));
    }
    if (tunnel != null) {
      String host = tunnel.getTargetHost();
      tcp.setTunnelingConfig(
          TcpProxy.TunnelingConfig.newBuilder()
              .setHostname(
                  (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + tunnel.getTargetPort())
              .setUsePost("POST".equals(tunnel.getProtocol())));
    }
  }

  private static String resolve(String host, Config vs, PushContext push) {
    return Hosts.resolveShortName(host, vs.namespace(), push.domainSuffix());
  }
}
