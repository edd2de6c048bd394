package io.jistiod.pilot.envoy.listener;

import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.extensions.filters.network.mongo_proxy.v3.MongoProxy;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.type.v3.HashPolicy;
import io.jistiod.galley.api.networking.v1alpha3.Destination;
import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.galley.api.networking.v1alpha3.RouteDestination;
import io.jistiod.galley.api.networking.v1alpha3.Subset;
import io.jistiod.galley.api.networking.v1alpha3.TrafficPolicy;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.envoy.telemetry.StatsFilters;
import io.jistiod.pilot.model.ClusterName;
import io.jistiod.pilot.model.Hosts;
import io.jistiod.pilot.model.Protocol;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.networking.EnvoyRouteContext;
import io.jistiod.pilot.push.PushContext;
import java.util.ArrayList;
import java.util.List;

/**
 * The network filters of a TCP or TLS route: a tcp_proxy to one cluster, or to weighted clusters
 * when a VirtualService splits the route. A Mongo port gets Envoy's mongo_proxy in front, as istiod
 * does by default.
 */
final class TcpRoutes {
  private final Proxy proxy;
  private final PushContext push;

  TcpRoutes(Proxy proxy, PushContext push) {
    this.proxy = proxy;
    this.push = push;
  }

  /**
   * Filters for a VirtualService route ({@code routes} non-empty), on a listener port of {@code
   * protocol}. Short destination hosts are resolved in the VirtualService's namespace.
   */
  List<Filter> forRoute(List<RouteDestination> routes, int port, Protocol protocol, Config vs) {
    Destination first = routes.get(0).getDestination();
    String host = resolve(first.getHost(), vs);
    Service service = push.serviceFor(proxy, host).orElse(null);
    DestinationRule dr = service == null ? null : destinationRule(host);
    if (routes.size() == 1) {
      String cluster = destinationCluster(first, host, service, port);
      return forCluster(cluster, cluster, first.getSubset(), protocol, dr, true);
    }
    TcpProxy.WeightedCluster.Builder weighted = TcpProxy.WeightedCluster.newBuilder();
    for (RouteDestination r : routes) {
      if (r.getWeight() <= 0) {
        continue;
      }
      String h = resolve(r.getDestination().getHost(), vs);
      Service s = push.serviceFor(proxy, h).orElse(null);
      weighted.addClusters(
          TcpProxy.WeightedCluster.ClusterWeight.newBuilder()
              .setName(destinationCluster(r.getDestination(), h, s, port))
              .setWeight(r.getWeight()));
    }
    if (weighted.getClustersCount() == 0) {
      String cluster = destinationCluster(first, host, service, port);
      return forCluster(cluster, cluster, first.getSubset(), protocol, dr, true);
    }
    String statPrefix = vs.name() + "." + vs.namespace();
    TcpProxy.Builder tcp =
        TcpProxy.newBuilder().setStatPrefix(statPrefix).setWeightedClusters(weighted);
    applyPolicy(tcp, dr, "");
    applyTunnel(tcp, dr, "");
    return stack(protocol, statPrefix, tcp.build());
  }

  /**
   * Filters that send everything to {@code cluster}, without the DestinationRule's tunnel (istiod
   * leaves it out of a gateway's per-service SNI chains).
   */
  List<Filter> forCluster(
      String statPrefix, String cluster, String subset, Protocol protocol, DestinationRule dr) {
    return forCluster(statPrefix, cluster, subset, protocol, dr, false);
  }

  private List<Filter> forCluster(
      String statPrefix,
      String cluster,
      String subset,
      Protocol protocol,
      DestinationRule dr,
      boolean tunnel) {
    TcpProxy.Builder tcp = TcpProxy.newBuilder().setStatPrefix(statPrefix).setCluster(cluster);
    applyPolicy(tcp, dr, subset);
    if (tunnel) {
      applyTunnel(tcp, dr, subset);
    }
    return stack(protocol, statPrefix, tcp.build());
  }

  /**
   * The DestinationRule's tunnel settings (the subset's alone when a subset is named, else the
   * rule's): the connection is carried in an HTTP CONNECT (or POST) to {@code
   * targetHost:targetPort} over the cluster, as istiod's tunneling config.
   */
  private static void applyTunnel(TcpProxy.Builder tcp, DestinationRule dr, String subset) {
    if (dr == null) {
      return;
    }
    TrafficPolicy.TunnelSettings tunnel = null;
    if (!subset.isEmpty()) {
      for (Subset s : dr.getSubsetsList()) {
        if (s.getName().equals(subset)) {
          tunnel = s.getTrafficPolicy().hasTunnel() ? s.getTrafficPolicy().getTunnel() : null;
          break;
        }
      }
    } else if (dr.getTrafficPolicy().hasTunnel()) {
      tunnel = dr.getTrafficPolicy().getTunnel();
    }
    if (tunnel == null) {
      return;
    }
    String host = tunnel.getTargetHost();
    String hostPort =
        (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + tunnel.getTargetPort();
    tcp.setTunnelingConfig(
        TcpProxy.TunnelingConfig.newBuilder()
            .setHostname(hostPort)
            .setUsePost("POST".equals(tunnel.getProtocol())));
  }

  /** Filters to the service's own cluster on {@code port}, with its DestinationRule's settings. */
  List<Filter> forService(Service service, int port, Protocol protocol) {
    String cluster = ClusterName.outbound(service.hostname(), port, "").toString();
    return forCluster(cluster, cluster, "", protocol, destinationRule(service.hostname()), true);
  }

  DestinationRule destinationRule(String host) {
    return push.destinationRuleFor(proxy, host)
        .map(PushContext.ResolvedDestinationRule::spec)
        .orElse(null);
  }

  private List<Filter> stack(Protocol protocol, String statPrefix, TcpProxy tcp) {
    tcp =
        tcp.toBuilder()
            .addAllAccessLog(AccessLogs.tcp(push, proxy, AccessLogs.outboundClass(proxy)))
            .build();
    List<Filter> out =
        new ArrayList<>(
            StatsFilters.network(
                push, proxy, HttpConnectionManagers.statsClass(AccessLogs.outboundClass(proxy))));
    if (protocol == Protocol.MONGO) {
      out.add(
          Filters.network(
              "envoy.filters.network.mongo_proxy",
              MongoProxy.newBuilder().setStatPrefix(statPrefix).build()));
    }
    out.add(Filters.tcpProxy(tcp));
    return out;
  }

  /** Idle timeout, maximum connection duration and source-IP hashing from the DestinationRule. */
  private static void applyPolicy(TcpProxy.Builder tcp, DestinationRule dr, String subset) {
    if (dr == null) {
      return;
    }
    TrafficPolicy tp = dr.getTrafficPolicy();
    var tcpSettings = tp.getConnectionPool().getTcp();
    if (tcpSettings.hasIdleTimeout()) {
      tcp.setIdleTimeout(tcpSettings.getIdleTimeout());
    }
    if (tcpSettings.hasMaxConnectionDuration()) {
      tcp.setMaxDownstreamConnectionDuration(tcpSettings.getMaxConnectionDuration());
    }
    boolean sourceIp = tp.getLoadBalancer().getConsistentHash().getUseSourceIp();
    for (Subset s : dr.getSubsetsList()) {
      if (!s.getName().equals(subset)) {
        continue;
      }
      if (s.hasTrafficPolicy() && s.getTrafficPolicy().hasLoadBalancer()) {
        sourceIp =
            s.getTrafficPolicy().getLoadBalancer().hasConsistentHash()
                && s.getTrafficPolicy().getLoadBalancer().getConsistentHash().getUseSourceIp();
      }
      break;
    }
    if (sourceIp) {
      tcp.addHashPolicy(
          HashPolicy.newBuilder().setSourceIp(HashPolicy.SourceIp.getDefaultInstance()));
    }
  }

  /**
   * istiod's destination cluster: the destination's port if it names one, else the service's only
   * port, else the listener's port.
   */
  static String destinationCluster(Destination d, String host, Service service, int listenerPort) {
    if (d.getHost().isEmpty()) {
      // a refused Gateway API backendRef (see EnvoyRouteContext.UNKNOWN_SERVICE)
      return EnvoyRouteContext.UNKNOWN_SERVICE;
    }
    int port = listenerPort;
    if (d.hasPort() && d.getPort().getNumber() > 0) {
      port = d.getPort().getNumber();
    } else if (service != null && service.ports().size() == 1) {
      port = service.ports().get(0).port();
    }
    return ClusterName.outbound(EnvoyRouteContext.clusterHost(host, service), port, d.getSubset())
        .toString();
  }

  private String resolve(String host, Config vs) {
    return Hosts.resolveShortName(host, vs.namespace(), push.domainSuffix());
  }
}
