package io.jistiod.pilot.envoy.listener;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.galley.api.networking.v1alpha3.L4MatchAttributes;
import io.jistiod.galley.api.networking.v1alpha3.Server;
import io.jistiod.galley.api.networking.v1alpha3.ServerTLSSettings;
import io.jistiod.galley.api.networking.v1alpha3.Subset;
import io.jistiod.galley.api.networking.v1alpha3.TCPRoute;
import io.jistiod.galley.api.networking.v1alpha3.TLSMatchAttributes;
import io.jistiod.galley.api.networking.v1alpha3.TLSRoute;
import io.jistiod.pilot.envoy.gateway.MergedGateway;
import io.jistiod.pilot.envoy.listener.GatewayServers.GatewayServer;
import io.jistiod.pilot.envoy.listener.GatewayServers.Merged;
import io.jistiod.pilot.envoy.listener.GatewayServers.ServerPort;
import io.jistiod.pilot.envoy.listener.HttpConnectionManagers.ListenerClass;
import io.jistiod.pilot.model.Hosts;
import io.jistiod.pilot.model.Protocol;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServicePort;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushContext.ResolvedVirtualService;
import io.jistiod.pilot.push.VirtualServiceIndex;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A gateway's listeners ({@code 0.0.0.0_PORT}, real sockets): plaintext HTTP ports get one chain
 * over RDS {@code http.PORT}; terminated HTTPS servers a chain each, matched by SNI, with their
 * credentials over SDS and RDS {@code https.NUMBER.NAME.GATEWAY.NS}; PASSTHROUGH servers a chain
 * per SNI route of their VirtualServices; AUTO_PASSTHROUGH servers a chain per mesh service port,
 * matched by the SNI Istio's clients send ({@code outbound_.PORT_.SUBSET_.HOST}); TCP servers a
 * tcp_proxy from their VirtualService's TCP route.
 */
final class GatewayListenerBuilder {
  private final Proxy proxy;
  private final PushContext push;
  private final TcpRoutes tcpRoutes;

  GatewayListenerBuilder(Proxy proxy, PushContext push) {
    this.proxy = proxy;
    this.push = push;
    this.tcpRoutes = new TcpRoutes(proxy, push);
  }

  /** A gateway chain before it becomes Envoy config. */
  private record Chain(
      List<String> sniHosts,
      List<String> alpns,
      DownstreamTlsContext tls,
      String rds,
      Protocol httpProtocol,
      List<Filter> filters) {}

  List<Listener> build() {
    GatewayServers merged = GatewayServers.of(proxy, push);
    Map<String, List<Chain>> chainsByListener = new LinkedHashMap<>();
    Map<String, ServerPort> portByListener = new HashMap<>();
    Map<Integer, Map<String, String>> sniByPort = new HashMap<>();
    for (var e : merged.byPort.entrySet()) {
      ServerPort port = e.getKey();
      String bind = port.bind().isEmpty() ? OutboundListenerBuilder.WILDCARD : port.bind();
      String name = bind + "_" + port.number();
      List<Chain> chains = chains(port, e.getValue(), sniByPort);
      chainsByListener.computeIfAbsent(name, n -> new ArrayList<>()).addAll(chains);
      portByListener.putIfAbsent(name, new ServerPort(port.number(), port.protocol(), bind));
    }
    List<Listener> out = new ArrayList<>();
    for (var e : chainsByListener.entrySet()) {
      if (e.getValue().isEmpty()) {
        continue; // istiod omits a listener without chains
      }
      out.add(listener(e.getKey(), portByListener.get(e.getKey()), e.getValue()));
    }
    return out;
  }

  private List<Chain> chains(
      ServerPort port, Merged m, Map<Integer, Map<String, String>> sniByPort) {
    Protocol p = Protocol.parse(port.protocol());
    if (p.isHttp()) {
      return List.of(new Chain(List.of(), List.of(), null, m.routeName, p, List.of()));
    }
    List<Chain> out = new ArrayList<>();
    for (GatewayServer gs : m.servers) {
      Server s = gs.server();
      if (GatewayServers.isHttpsWithTermination(s)) {
        DownstreamTlsContext tls = DownstreamTls.gateway(s.getTls(), push.meshConfig(), false);
        if (tls == null) {
          continue;
        }
        out.add(
            new Chain(
                GatewayServers.sniHosts(s),
                List.of(),
                tls,
                gs.routeName(),
                Protocol.HTTPS,
                List.of()));
      } else if (!s.hasTls()) {
        List<Filter> filters = tcpRouteFilters(gs);
        if (!filters.isEmpty()) {
          out.add(new Chain(List.of(), List.of(), null, null, null, filters));
        }
      } else if (!MergedGateway.isPassthrough(s)) {
        List<Filter> filters = tcpRouteFilters(gs);
        boolean tcpIstioMutual = s.getTls().getMode() == ServerTLSSettings.TLSmode.ISTIO_MUTUAL;
        DownstreamTlsContext tls =
            DownstreamTls.gateway(s.getTls(), push.meshConfig(), tcpIstioMutual);
        if (!filters.isEmpty() && tls != null) {
          out.add(new Chain(GatewayServers.sniHosts(s), List.of(), tls, null, null, filters));
        }
      } else if (s.getTls().getMode() == ServerTLSSettings.TLSmode.AUTO_PASSTHROUGH) {
        out.addAll(autoPassthrough(GatewayServers.sniHosts(s)));
      } else {
        out.addAll(
            passthrough(
                gs, port.number(), sniByPort.computeIfAbsent(port.number(), k -> new HashMap<>())));
      }
    }
    return out;
  }

  private Listener listener(String name, ServerPort port, List<Chain> chains) {
    Listener.Builder l =
        Listener.newBuilder()
            .setName(name)
            .setAddress(InboundListenerBuilder.address(port.bind(), port.number()))
            .setTrafficDirection(TrafficDirection.OUTBOUND)
            .setMaxConnectionsToAcceptPerSocketEvent(UInt32Value.of(1))
            .addAllAccessLog(AccessLogs.listener(push, proxy, ListenerClass.GATEWAY));
    boolean inspector =
        chains.stream()
            .anyMatch(
                c ->
                    !c.sniHosts().isEmpty()
                        || (c.tls() != null
                            && c.tls().getCommonTlsContext().getAlpnProtocolsCount() > 0));
    if (inspector) {
      l.addListenerFilters(Filters.TLS_INSPECTOR);
    }
    for (Chain c : chains) {
      FilterChain.Builder fc =
          FilterChain.newBuilder()
              .setTransportSocketConnectTimeout(OutboundEntry.TRANSPORT_SOCKET_CONNECT_TIMEOUT);
      OutboundChain match =
          new OutboundChain(c.sniHosts(), List.of(), c.alpns(), "", null, null, List.of(), null);
      if (!match.matchesAll()) {
        fc.setFilterChainMatch(match.toMatch());
      }
      if (c.tls() != null) {
        fc.setTransportSocket(DownstreamTls.transportSocket(c.tls()));
      }
      if (c.rds() != null) {
        fc.addFilters(
            HttpConnectionManagers.withRds(
                ListenerClass.GATEWAY,
                "outbound_" + name + ";",
                c.rds(),
                c.httpProtocol(),
                proxy,
                push));
      } else {
        fc.addAllFilters(c.filters());
      }
      l.addFilterChains(fc);
    }
    return l.build();
  }

  /** The first TCP route of a VirtualService bound to the server's gateway and hosts. */
  private List<Filter> tcpRouteFilters(GatewayServer gs) {
    Server s = gs.server();
    Protocol p = Protocol.parse(s.getPort().getProtocol());
    for (ResolvedVirtualService vs : virtualServicesFor(gs)) {
      for (TCPRoute tcp : vs.spec().getTcpList()) {
        if (tcp.getRouteCount() > 0 && l4Matches(tcp.getMatchList(), s, gs.gatewayName(), vs)) {
          return withAuthorization(
              tcpRoutes.forRoute(tcp.getRouteList(), s.getPort().getNumber(), p, vs.config()));
        }
      }
    }
    return List.of();
  }

  /**
   * The gateway's network authorization filters ahead of a TCP or TLS route's filters. Not for
   * AUTO_PASSTHROUGH chains: istiod builds those without its authorization builders.
   */
  private List<Filter> withAuthorization(List<Filter> routeFilters) {
    List<Filter> out = new ArrayList<>(SecurityFilters.network(push, proxy));
    out.addAll(routeFilters);
    return out;
  }

  /** PASSTHROUGH: a chain per SNI match of the bound VirtualServices' TLS routes. */
  private List<Chain> passthrough(GatewayServer gs, int listenerPort, Map<String, String> sniSeen) {
    Server s = gs.server();
    Protocol p = Protocol.parse(s.getPort().getProtocol());
    List<Chain> out = new ArrayList<>();
    for (ResolvedVirtualService vs : virtualServicesFor(gs)) {
      for (TLSRoute tls : vs.spec().getTlsList()) {
        if (tls.getRouteCount() == 0) {
          continue;
        }
        for (TLSMatchAttributes m : tls.getMatchList()) {
          if (!tlsMatches(m, s, gs.gatewayName(), vs)
              || !GatewayServers.noDuplicates(m.getSniHostsList(), s.getBind(), sniSeen)) {
            continue;
          }
          out.add(
              new Chain(
                  m.getSniHostsList(),
                  List.of(),
                  null,
                  null,
                  null,
                  withAuthorization(
                      tcpRoutes.forRoute(
                          tls.getRouteList(), s.getPort().getNumber(), p, vs.config()))));
        }
      }
    }
    return out;
  }

  /**
   * AUTO_PASSTHROUGH: mesh clients reach a service through the gateway with mTLS end to end; the
   * SNI they set names the cluster, so each service port (and subset) gets a chain to it.
   */
  private List<Chain> autoPassthrough(List<String> hosts) {
    List<Chain> out = new ArrayList<>();
    for (Service svc : push.servicesVisibleTo(proxy)) {
      if (svc.attributes().meshExternal()
          || hosts.stream().noneMatch(h -> Hosts.matches(h, svc.hostname()))) {
        continue;
      }
      DestinationRule dr = tcpRoutes.destinationRule(svc.hostname());
      for (ServicePort port : svc.ports()) {
        if (port.protocol() == Protocol.UDP) {
          continue;
        }
        out.add(sniChain(svc, port, ""));
        if (dr != null) {
          for (Subset subset : dr.getSubsetsList()) {
            out.add(sniChain(svc, port, subset.getName()));
          }
        }
      }
    }
    return out;
  }

  private Chain sniChain(Service svc, ServicePort port, String subset) {
    String cluster = "outbound_." + port.port() + "_." + subset + "_." + svc.hostname();
    return new Chain(
        List.of(cluster),
        Filters.ALL_ISTIO_MTLS_ALPNS,
        null,
        null,
        null,
        tcpRoutes.forCluster(
            cluster, cluster, subset, port.protocol(), tcpRoutes.destinationRule(svc.hostname())));
  }

  /**
   * VirtualServices bound to the server's gateway, visible to the proxy's namespace, with a host
   * the server serves.
   */
  private List<ResolvedVirtualService> virtualServicesFor(GatewayServer gs) {
    List<ResolvedVirtualService> out = new ArrayList<>();
    for (ResolvedVirtualService vs :
        push.virtualServicesForGateway(proxy.configNamespace(), gs.gatewayName())) {
      if (hostsMatch(gs.server(), vs)) {
        out.add(vs);
      }
    }
    return out;
  }

  private static boolean bindsGateway(List<String> gateways, ResolvedVirtualService vs, String gw) {
    for (String g : gateways) {
      if (VirtualServiceIndex.gatewayName(g, vs.config().namespace()).equals(gw)) {
        return true;
      }
    }
    return false;
  }

  /** A server host ({@code ns/host} applies only to that namespace) matches a VS host. */
  private static boolean hostsMatch(Server s, ResolvedVirtualService vs) {
    for (String h : s.getHostsList()) {
      String host = h;
      int slash = h.indexOf('/');
      if (slash >= 0) {
        String ns = h.substring(0, slash);
        if (!ns.equals("*") && !ns.equals(".") && !ns.equals(vs.config().namespace())) {
          continue;
        }
        host = h.substring(slash + 1);
      }
      for (String vh : vs.spec().getHostsList()) {
        if (Hosts.matches(host, vh) || Hosts.matches(vh, host)) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean l4Matches(
      List<L4MatchAttributes> matches, Server s, String gateway, ResolvedVirtualService vs) {
    if (matches.isEmpty()) {
      return true;
    }
    for (L4MatchAttributes m : matches) {
      if (gatewayMatches(m.getGatewaysList(), gateway, vs)
          && (m.getPort() == 0 || m.getPort() == s.getPort().getNumber())) {
        return true;
      }
    }
    return false;
  }

  private static boolean tlsMatches(
      TLSMatchAttributes m, Server s, String gateway, ResolvedVirtualService vs) {
    return gatewayMatches(m.getGatewaysList(), gateway, vs)
        && (m.getPort() == 0 || m.getPort() == s.getPort().getNumber());
  }

  private static boolean gatewayMatches(
      List<String> gateways, String gw, ResolvedVirtualService vs) {
    return gateways.isEmpty() || bindsGateway(gateways, vs, gw);
  }
}
