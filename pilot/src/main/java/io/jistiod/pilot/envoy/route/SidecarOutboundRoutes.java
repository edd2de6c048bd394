package io.jistiod.pilot.envoy.route;

import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.jistiod.pilot.model.Hosts;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Resolution;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServicePort;
import io.jistiod.pilot.networking.EnvoyRouteContext;
import io.jistiod.pilot.networking.HttpRouteBuilder;
import io.jistiod.pilot.networking.RouteSemantics;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushContext.ResolvedVirtualService;
import io.jistiod.pilot.push.VirtualServiceIndex;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A sidecar's outbound route configuration for one port (named by the port, e.g. {@code "9080"}),
 * or for one sniffed service port ({@code "host:port"}): a virtual host per visible service with
 * that port as HTTP, carrying its VirtualService routes or the default route, then istiod's
 * catch-all for unknown hosts.
 *
 * <p>Proxyless gRPC clients get the same virtual hosts of a port (istiod's grpcgen builds them with
 * the sidecar's builder too), without the catch-all, with {@code host:port} domains (gRPC does not
 * ignore the port in host matching) and VirtualService timeouts as {@code max_stream_duration}.
 */
public final class SidecarOutboundRoutes {
  private final Proxy proxy;
  private final PushContext push;
  private final List<ResolvedVirtualService> virtualServices;
  private final boolean attemptCount;
  private final boolean proxylessGrpc;

  SidecarOutboundRoutes(Proxy proxy, PushContext push) {
    this(proxy, push, false);
  }

  private SidecarOutboundRoutes(Proxy proxy, PushContext push, boolean proxylessGrpc) {
    this.proxy = proxy;
    this.push = push;
    this.proxylessGrpc = proxylessGrpc;
    this.attemptCount = EnvoyRouteGenerator.includeAttemptCount(proxy, push);
    this.virtualServices = push.meshVirtualServices(proxy);
  }

  /**
   * The virtual hosts a proxyless gRPC client gets for a route configuration of {@code port}
   * (istiod's grpcgen answers {@code outbound|PORT||HOST} with every service of the port, not only
   * HOST's): as a sidecar's for the port, without the catch-all, in name order.
   */
  public static List<VirtualHost> forProxylessGrpc(Proxy proxy, PushContext push, int port) {
    List<VirtualHost> vhosts = new SidecarOutboundRoutes(proxy, push, true).virtualHosts(port);
    vhosts.sort(Comparator.comparing(VirtualHost::getName));
    return vhosts;
  }

  /** The cache variant of route configurations: what they depend on besides the cache key. */
  public static String cacheVariant(Proxy proxy, PushContext push) {
    return proxy.dnsDomain() + "/" + EnvoyRouteGenerator.includeAttemptCount(proxy, push);
  }

  /** A virtual host to be: its hosts (services or VirtualService-only names) and routes. */
  private record Wrapper(List<Service> services, List<String> vsHosts, List<Route> routes) {}

  RouteConfiguration build(String routeName) {
    int colon = routeName.lastIndexOf(':');
    boolean sniffed = colon >= 0;
    int port;
    try {
      port = Integer.parseInt(sniffed ? routeName.substring(colon + 1) : routeName);
    } catch (NumberFormatException e) {
      return EnvoyRouteGenerator.empty(routeName); // istiod answers unknown names with no hosts
    }
    List<VirtualHost> vhosts = virtualHosts(port);
    if (sniffed) {
      vhosts = forSniffedService(vhosts, routeName, routeName.substring(0, colon));
    }
    vhosts.sort(Comparator.comparing(VirtualHost::getName));
    if (!sniffed) {
      vhosts.add(CatchAllRoutes.virtualHost(proxy, push, attemptCount));
    }
    return RouteConfiguration.newBuilder()
        .setName(routeName)
        .addAllVirtualHosts(vhosts)
        .setValidateClusters(com.google.protobuf.BoolValue.of(false))
        .setMaxDirectResponseBodySizeBytes(EnvoyRouteGenerator.MAX_DIRECT_RESPONSE_BODY)
        .setIgnorePortInHostMatching(true)
        .build();
  }

  private List<VirtualHost> virtualHosts(int port) {
    EgressHosts egress = EgressHosts.forPort(proxy, push, port);
    Map<String, Service> byHost = new LinkedHashMap<>();
    for (Service s : push.servicesVisibleTo(proxy)) {
      if (s.port(port).isPresent() && egress.imports(s)) {
        byHost.put(s.hostname().toLowerCase(Locale.ROOT), s);
      }
    }
    EnvoyRouteContext ctx =
        EnvoyRouteGenerator.context(
            proxy,
            push,
            Set.of(VirtualServiceIndex.MESH),
            host -> java.util.Optional.ofNullable(byHost.get(host.toLowerCase(Locale.ROOT))));
    List<Wrapper> wrappers = new ArrayList<>();
    for (ResolvedVirtualService vs : virtualServices(byHost, port, egress)) {
      String ns = vs.config().namespace();
      List<Route> routes =
          (proxylessGrpc
                  ? HttpRouteBuilder.forProxylessGrpc(ns, push.domainSuffix(), port, ctx)
                  : HttpRouteBuilder.forEnvoy(ns, push.domainSuffix(), port, ctx))
              .build(vs.config());
      if (routes.isEmpty()) {
        continue;
      }
      List<String> otherHosts = new ArrayList<>();
      List<Service> services = new ArrayList<>();
      for (String h : vs.hosts()) {
        String host = h.toLowerCase(Locale.ROOT);
        if (!host.startsWith("*")) {
          Service s = byHost.get(host);
          if (s != null) {
            services.add(s);
          } else {
            otherHosts.add(h);
          }
          continue;
        }
        boolean matchedAny = false;
        for (Service s : byHost.values()) {
          if (Hosts.matches(host, s.hostname())) {
            matchedAny = true;
            if (mostSpecificVirtualService(s) == vs) {
              services.add(s);
            }
          }
        }
        if (!matchedAny) {
          otherHosts.add(host);
        }
      }
      if (RouteSemantics.gateway(vs.config()) && !gammaApplies(services, ns)) {
        continue;
      }
      List<Service> httpServices = new ArrayList<>();
      for (Service s : services) {
        if (isHttpOrSniffed(s.port(port).orElseThrow())) {
          httpServices.add(s);
        }
      }
      if (httpServices.isEmpty() && port != 80) {
        continue; // only port 80 carries VirtualService hosts that are no service
      }
      wrappers.add(new Wrapper(httpServices, otherHosts, routes));
    }
    Set<String> covered = new HashSet<>();
    wrappers.forEach(w -> w.services().forEach(s -> covered.add(s.hostname())));
    for (Service s : byHost.values()) {
      // an alias answers in the virtual host of the service it names, never in one of its own
      if (covered.contains(s.hostname())
          || s.resolution() == Resolution.ALIAS
          || !isHttpOrSniffed(s.port(port).orElseThrow())) {
        continue;
      }
      HttpRouteBuilder defaults =
          HttpRouteBuilder.forEnvoy(s.namespace(), push.domainSuffix(), port, ctx);
      wrappers.add(
          new Wrapper(List.of(s), List.of(), List.of(defaults.defaultRoute(s.hostname()))));
    }
    return toVirtualHosts(wrappers, port);
  }

  /**
   * Whether a VirtualService generated from a Gateway API route (GAMMA) applies to this proxy: as
   * istiod, only if one of the services it names on this port is in the route's namespace (a
   * producer route) or the proxy is (a consumer route, for its own namespace's clients only); else,
   * and when it names no service of this port, it gives no virtual host at all, not even for hosts
   * outside the registry on port 80.
   */
  private boolean gammaApplies(List<Service> services, String routeNamespace) {
    boolean consumer = proxy.configNamespace().equals(routeNamespace);
    for (Service s : services) {
      if (consumer || s.namespace().equals(routeNamespace)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The VirtualServices the proxy sees bound to the mesh that name a host of this port's services;
   * on port 80 also those for hosts outside the registry, as istiod keeps them there.
   */
  private List<ResolvedVirtualService> virtualServices(
      Map<String, Service> byHost, int port, EgressHosts egress) {
    List<ResolvedVirtualService> out = new ArrayList<>();
    for (ResolvedVirtualService vs : virtualServices) {
      if (vs.spec().getHttpCount() == 0 || !egress.imports(vs)) {
        continue;
      }
      if (port == 80 || vs.hosts().stream().anyMatch(h -> matchesAny(h, byHost))) {
        out.add(vs);
      }
    }
    return out;
  }

  private static boolean matchesAny(String vsHost, Map<String, Service> byHost) {
    String h = vsHost.toLowerCase(Locale.ROOT);
    if (byHost.containsKey(h)) {
      return true;
    }
    for (String svc : byHost.keySet()) {
      if (Hosts.matches(h, svc) || Hosts.matches(svc, h)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The VirtualService whose most specific host matches {@code s}, so a service falls under one
   * wildcard VirtualService only, and under none when a VirtualService names it exactly (as
   * istiod's wildcard index: an exact host wins over every wildcard, then the longest wildcard;
   * among equal hosts the first VirtualService in order).
   */
  private ResolvedVirtualService mostSpecificVirtualService(Service s) {
    ResolvedVirtualService best = null;
    String bestHost = null;
    for (ResolvedVirtualService vs : virtualServices) {
      for (String h : vs.hosts()) {
        if (!h.startsWith("*") && h.equalsIgnoreCase(s.hostname())) {
          return vs;
        }
        if (h.startsWith("*")
            && Hosts.matches(h, s.hostname())
            && (bestHost == null || h.length() > bestHost.length())) {
          best = vs;
          bestHost = h;
        }
      }
    }
    return best;
  }

  static boolean isHttpOrSniffed(ServicePort p) {
    return p.protocol().isHttp() || p.protocol() == io.jistiod.pilot.model.Protocol.UNSUPPORTED;
  }

  private List<VirtualHost> toVirtualHosts(List<Wrapper> wrappers, int port) {
    Set<String> knownFqdn = new HashSet<>();
    for (Wrapper w : wrappers) {
      for (Service s : w.services()) {
        knownFqdn.add(s.hostname() + ":" + port);
        knownFqdn.add(s.hostname());
      }
    }
    Set<String> names = new HashSet<>();
    Set<String> domainsSeen = new HashSet<>();
    List<VirtualHost> out = new ArrayList<>();
    for (Wrapper w : wrappers) {
      for (String h : w.vsHosts()) {
        String host = h.toLowerCase(Locale.ROOT);
        List<String> domains = new ArrayList<>();
        VirtualHostDomains.withPort(
            domains, host, proxylessGrpc ? port : VirtualHostDomains.NO_PORT);
        VirtualHost vh =
            virtualHost(host, domains, List.of(), w.routes(), port, names, domainsSeen, knownFqdn);
        if (vh != null) {
          out.add(vh);
        }
      }
      for (Service s : w.services()) {
        VirtualHostDomains.Domains d =
            VirtualHostDomains.forService(
                s, proxy.dnsDomain(), proxylessGrpc ? port : VirtualHostDomains.NO_PORT);
        VirtualHost vh =
            virtualHost(
                s.hostname(),
                d.all(),
                d.expanded(),
                w.routes(),
                port,
                names,
                domainsSeen,
                knownFqdn);
        if (vh != null) {
          out.add(vh);
        }
      }
    }
    return out;
  }

  private VirtualHost virtualHost(
      String host,
      List<String> domains,
      List<String> expanded,
      List<Route> routes,
      int port,
      Set<String> names,
      Set<String> domainsSeen,
      Set<String> knownFqdn) {
    String name = host + ":" + port;
    if (!names.add(name)) {
      return null; // a second virtual host of the same name: istiod keeps the first
    }
    List<String> kept = new ArrayList<>();
    for (String d : domains) {
      String lower = d.toLowerCase(Locale.ROOT);
      if (domainsSeen.contains(lower)) {
        continue;
      }
      if (proxylessGrpc && d.endsWith(".")) {
        // A deliberate difference from istiod 1.27, which sends the absolute FQDN ("name.") to
        // gRPC too: grpc-java rejects a domain ending with a dot and panics on the whole route
        // configuration ("Invalid pattern/domain name"), so no call gets through.
        continue;
      }
      // a short form that is also the full name of another service belongs to that service
      if (expanded.contains(d) && knownFqdn.contains(d)) {
        continue;
      }
      kept.add(d);
      domainsSeen.add(lower);
    }
    if (kept.isEmpty()) {
      return null;
    }
    return VirtualHost.newBuilder()
        .setName(name)
        .addAllDomains(kept)
        .addAllRoutes(routes)
        .setIncludeRequestAttemptCount(attemptCount)
        .build();
  }

  /**
   * For a sniffed service port's own route configuration: only the virtual host of that service,
   * matching any authority.
   */
  private static List<VirtualHost> forSniffedService(
      List<VirtualHost> vhosts, String routeName, String hostOnly) {
    List<VirtualHost> out = new ArrayList<>();
    for (VirtualHost vh : vhosts) {
      if (vh.getDomainsList().contains(routeName) || vh.getDomainsList().contains(hostOnly)) {
        out.add(vh);
      }
    }
    if (out.size() == 1) {
      out.set(0, out.get(0).toBuilder().clearDomains().addDomains("*").build());
    }
    return out;
  }
}
