package io.jistiod.pilot.envoy.route;

import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.jistiod.galley.api.networking.v1alpha3.Server;
import io.jistiod.pilot.envoy.gateway.MergedGateway;
import io.jistiod.pilot.envoy.gateway.MergedGateway.GatewayServer;
import io.jistiod.pilot.model.Hosts;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.networking.HttpRouteBuilder;
import io.jistiod.pilot.networking.HttpRouteMatches;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushContext.ResolvedVirtualService;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A gateway's route configuration for one of its HTTP(S) servers' route names: a virtual host per
 * host that both a server and a VirtualService bound to its Gateway name, carrying that
 * VirtualService's routes; {@code httpsRedirect} servers require TLS; with no such host, istiod's
 * 404 virtual host.
 */
final class GatewayRoutes {
  private final Proxy proxy;
  private final PushContext push;

  GatewayRoutes(Proxy proxy, PushContext push) {
    this.proxy = proxy;
    this.push = push;
  }

  RouteConfiguration build(String routeName) {
    List<GatewayServer> servers = MergedGateway.of(proxy, push).serversByRouteName().get(routeName);
    boolean attemptCount = EnvoyRouteGenerator.includeAttemptCount(proxy, push);
    if (servers == null) {
      return EnvoyRouteGenerator.empty(routeName); // e.g. a Gateway just deleted: Envoy still asks
    }
    Map<String, List<Route>> routesByGatewayAndVs = new HashMap<>();
    Map<String, VirtualHost.Builder> byHost = new TreeMap<>();
    for (GatewayServer gs : servers) {
      Server server = gs.server();
      int port = server.getPort().getNumber();
      boolean redirect = server.hasTls() && server.getTls().getHttpsRedirect();
      for (ResolvedVirtualService vs : virtualServicesFor(gs.gatewayName())) {
        List<String> hosts =
            intersection(
                namesForNamespace(server.getHostsList(), vs.config().namespace()), vs.hosts());
        if (hosts.isEmpty()) {
          continue;
        }
        String key = gs.gatewayName() + "|" + vs.config().namespace() + "/" + vs.config().name();
        List<Route> routes =
            routesByGatewayAndVs.computeIfAbsent(
                key,
                k ->
                    HttpRouteBuilder.forEnvoy(
                            vs.config().namespace(),
                            push.domainSuffix(),
                            port,
                            EnvoyRouteGenerator.context(proxy, push, Set.of(gs.gatewayName()))
                                .withTls(server.hasTls()))
                        .build(vs.config()));
        if (routes.isEmpty()) {
          continue;
        }
        for (String h : hosts) {
          String host = h.toLowerCase(Locale.ROOT);
          VirtualHost.Builder vh = byHost.get(host);
          if (vh == null) {
            vh =
                VirtualHost.newBuilder()
                    .setName(host + ":" + port)
                    .addDomains(host)
                    .setIncludeRequestAttemptCount(attemptCount);
            byHost.put(host, vh);
          }
          vh.addAllRoutes(routes);
          if (redirect) {
            vh.setRequireTls(VirtualHost.TlsRequirementType.ALL);
          }
        }
      }
      if (redirect) {
        for (String h : server.getHostsList()) {
          String host = h.toLowerCase(Locale.ROOT);
          VirtualHost.Builder vh = byHost.get(host);
          if (vh != null) {
            vh.setRequireTls(VirtualHost.TlsRequirementType.ALL);
          } else {
            byHost.put(
                host,
                VirtualHost.newBuilder()
                    .setName(host + ":" + port)
                    .addDomains(host)
                    .setIncludeRequestAttemptCount(attemptCount)
                    .setRequireTls(VirtualHost.TlsRequirementType.ALL));
          }
        }
      }
    }
    List<VirtualHost> vhosts = new ArrayList<>();
    if (byHost.isEmpty()) {
      // no routes: Envoy answers 404 (no route) for everything
      vhosts.add(
          VirtualHost.newBuilder()
              .setName("blackhole:" + servers.get(0).server().getPort().getNumber())
              .addDomains("*")
              .build());
    } else {
      for (VirtualHost.Builder vh : collapse(byHost)) {
        List<Route> sorted = catchAllsLast(vh.getRoutesList());
        vhosts.add(vh.clearRoutes().addAllRoutes(sorted).build());
      }
      vhosts.sort(Comparator.comparing(VirtualHost::getName));
    }
    return RouteConfiguration.newBuilder()
        .setName(routeName)
        .addAllVirtualHosts(vhosts)
        .setValidateClusters(com.google.protobuf.BoolValue.of(false))
        .setIgnorePortInHostMatching(true)
        .setMaxDirectResponseBodySizeBytes(EnvoyRouteGenerator.MAX_DIRECT_RESPONSE_BODY)
        .build();
  }

  /** The HTTP VirtualServices the proxy's namespace sees bound to {@code gatewayName}. */
  private List<ResolvedVirtualService> virtualServicesFor(String gatewayName) {
    List<ResolvedVirtualService> out = new ArrayList<>();
    for (ResolvedVirtualService vs :
        push.virtualServicesForGateway(proxy.configNamespace(), gatewayName)) {
      if (vs.spec().getHttpCount() > 0) {
        out.add(vs);
      }
    }
    return out;
  }

  /** Server hosts a VirtualService in {@code namespace} may use: unqualified, or {@code ns/}. */
  static List<String> namesForNamespace(List<String> hosts, String namespace) {
    List<String> out = new ArrayList<>();
    for (String h : hosts) {
      int slash = h.indexOf('/');
      if (slash < 0) {
        out.add(h);
        continue;
      }
      String ns = h.substring(0, slash);
      if (ns.equals(namespace) || ns.equals("*")) {
        out.add(h.substring(slash + 1));
      }
    }
    return out;
  }

  /** The hosts in both lists, the more specific of each matching pair, in server-host order. */
  static List<String> intersection(List<String> serverHosts, List<String> vsHosts) {
    List<String> out = new ArrayList<>();
    for (String a : serverHosts) {
      for (String b : vsHosts) {
        String pick = subsetOf(a, b) ? a : subsetOf(b, a) ? b : null;
        if (pick != null && !out.contains(pick)) {
          out.add(pick);
        }
      }
    }
    return out;
  }

  /** Whether every host {@code a} names is also named by {@code b}. */
  private static boolean subsetOf(String a, String b) {
    if (a.equals(b)) {
      return true;
    }
    if (a.startsWith("*") && !b.startsWith("*")) {
      return false;
    }
    return Hosts.matches(b, a);
  }

  /**
   * Hosts whose routes are identical share one virtual host (the alphabetically first names it), as
   * istiod collapses them to keep route configurations small.
   */
  private static List<VirtualHost.Builder> collapse(Map<String, VirtualHost.Builder> byHost) {
    List<VirtualHost.Builder> out = new ArrayList<>();
    for (VirtualHost.Builder vh : byHost.values()) { // TreeMap: hosts in order
      VirtualHost.Builder same = null;
      for (VirtualHost.Builder primary : out) {
        if (primary.getRoutesList().equals(vh.getRoutesList())
            && primary.getRequireTls() == vh.getRequireTls()
            && primary.getIncludeRequestAttemptCount() == vh.getIncludeRequestAttemptCount()) {
          same = primary;
          break;
        }
      }
      if (same != null) {
        same.addAllDomains(vh.getDomainsList());
      } else {
        out.add(vh);
      }
    }
    return out;
  }

  private static List<Route> catchAllsLast(List<Route> routes) {
    List<Route> out = new ArrayList<>();
    List<Route> catchAll = new ArrayList<>();
    for (Route r : routes) {
      (HttpRouteMatches.isCatchAll(r.getMatch()) ? catchAll : out).add(r);
    }
    out.addAll(catchAll);
    return out;
  }
}
