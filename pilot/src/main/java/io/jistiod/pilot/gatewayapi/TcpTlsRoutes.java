package io.jistiod.pilot.gatewayapi;

import io.jistiod.galley.api.gateway.v1.TCPRouteRule;
import io.jistiod.galley.api.gateway.v1.TCPRouteSpec;
import io.jistiod.galley.api.gateway.v1.TLSRouteRule;
import io.jistiod.galley.api.gateway.v1.TLSRouteSpec;
import io.jistiod.galley.api.networking.v1alpha3.Destination;
import io.jistiod.galley.api.networking.v1alpha3.L4MatchAttributes;
import io.jistiod.galley.api.networking.v1alpha3.PortSelector;
import io.jistiod.galley.api.networking.v1alpha3.RouteDestination;
import io.jistiod.galley.api.networking.v1alpha3.TCPRoute;
import io.jistiod.galley.api.networking.v1alpha3.TLSMatchAttributes;
import io.jistiod.galley.api.networking.v1alpha3.TLSRoute;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigMeta;
import io.jistiod.galley.config.HostName;
import io.jistiod.galley.config.IstioKinds;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * TCPRoutes and TLSRoutes (alpha) as istiod's VirtualServices ({@code convertTCPRoute}, {@code
 * convertTLSRoute}, {@code TCPRouteCollection}, {@code TLSRouteCollection}): one Istio route per
 * rule, one VirtualService per parent and host, never merged across routes.
 */
final class TcpTlsRoutes {
  private final WeightedBackends backends;
  private final Map<String, Config> serviceEntries;
  private final String domainSuffix;

  TcpTlsRoutes(Backends backends, Map<String, Config> serviceEntries, String domainSuffix) {
    this.backends = new WeightedBackends(backends);
    this.serviceEntries = serviceEntries;
    this.domainSuffix = domainSuffix;
  }

  /** Where traffic goes when every backend weighs zero: nowhere, as istiod has no TCP fault. */
  private static RouteDestination blackHole() {
    return RouteDestination.newBuilder()
        .setDestination(
            Destination.newBuilder()
                .setHost("internal.cluster.local")
                .setSubset("zero-weight")
                .setPort(PortSelector.newBuilder().setNumber(65535)))
        .build();
  }

  private static List<WeightedBackends.Backend> backends(
      List<io.jistiod.galley.api.gateway.v1.BackendRef> refs) {
    return refs.stream().map(WeightedBackends.Backend::of).toList();
  }

  Converted<TCPRoute> convertTcp(RouteObject route, boolean mesh) {
    List<Supplier<RuleResult<TCPRoute>>> rules = new ArrayList<>();
    for (TCPRouteRule rule : route.config().spec(TCPRouteSpec.class).getRulesList()) {
      rules.add(
          () -> {
            var refs = backends(rule.getBackendRefsList());
            if (WeightedBackends.weightSum(refs) == 0) {
              return new RuleResult<>(TCPRoute.newBuilder().addRoute(blackHole()).build(), null);
            }
            var d = backends.tcp(refs, GroupKind.TCP_ROUTE, route.namespace(), !mesh);
            return d.route() == null
                ? RuleResult.hard(d.error())
                : new RuleResult<>(TCPRoute.newBuilder().addAllRoute(d.route()).build(), d.error());
          });
    }
    return Converted.of(rules);
  }

  Converted<TLSRoute> convertTls(RouteObject route, boolean mesh) {
    List<Supplier<RuleResult<TLSRoute>>> rules = new ArrayList<>();
    List<String> sni = route.hostnames().isEmpty() ? List.of("*") : route.hostnames();
    for (TLSRouteRule rule : route.config().spec(TLSRouteSpec.class).getRulesList()) {
      rules.add(
          () -> {
            var refs = backends(rule.getBackendRefsList());
            if (WeightedBackends.weightSum(refs) == 0) {
              return new RuleResult<>(TLSRoute.newBuilder().addRoute(blackHole()).build(), null);
            }
            var d = backends.tcp(refs, GroupKind.TLS_ROUTE, route.namespace(), !mesh);
            return d.route() == null
                ? RuleResult.hard(d.error())
                : new RuleResult<>(
                    TLSRoute.newBuilder()
                        .addMatch(TLSMatchAttributes.newBuilder().addAllSniHosts(sni))
                        .addAllRoute(d.route())
                        .build(),
                    d.error());
          });
    }
    return Converted.of(rules);
  }

  /** A TCPRoute's VirtualServices: host {@code *} on Gateways (a listener takes one route). */
  List<Config> tcpVirtualServices(RouteTranslation<TCPRoute> t) {
    List<Config> out = new ArrayList<>();
    RouteObject route = t.route();
    for (RouteParentRef parent : t.accepted()) {
      List<TCPRoute> tcp = t.routesFor(parent);
      List<String> hosts = List.of("*");
      if (parent.isMesh()) {
        if (parent.original().hasPort()) {
          tcp = withPort(tcp, parent.original().getPort());
        }
        hosts = RouteTranslation.meshHosts(parent, serviceEntries, domainSuffix);
      }
      for (String host : hosts) {
        out.add(
            virtualService(
                route,
                route.name() + "-tcp-" + out.size() + "-" + Gateways.ISTIO_GATEWAY_SUFFIX,
                VirtualService.newBuilder()
                    .addHosts(host)
                    .addGateways(parent.info().internalName())
                    .addAllTcp(tcp)
                    .build()));
      }
    }
    return out;
  }

  private static List<TCPRoute> withPort(List<TCPRoute> routes, int port) {
    List<TCPRoute> out = new ArrayList<>();
    for (TCPRoute r : routes) {
      TCPRoute.Builder b = r.toBuilder();
      if (b.getMatchCount() == 0) {
        b.addMatch(L4MatchAttributes.newBuilder().setPort(port));
      } else {
        b.getMatchBuilderList().forEach(m -> m.setPort(port));
      }
      out.add(b.build());
    }
    return out;
  }

  /**
   * A TLSRoute's VirtualServices: per route host name on Gateways; for the mesh, per host of the
   * Service or ServiceEntry, with SNI narrowed to the names that host matches.
   */
  List<Config> tlsVirtualServices(RouteTranslation<TLSRoute> t) {
    List<Config> out = new ArrayList<>();
    RouteObject route = t.route();
    for (RouteParentRef parent : t.accepted()) {
      List<TLSRoute> tls = t.routesFor(parent);
      List<String> hosts = route.hostnames().isEmpty() ? List.of("*") : route.hostnames();
      if (parent.isMesh()) {
        hosts = RouteTranslation.meshHosts(parent, serviceEntries, domainSuffix);
        tls = forMesh(tls, parent.original().hasPort() ? parent.original().getPort() : null, hosts);
      }
      for (String host : hosts) {
        out.add(
            virtualService(
                route,
                route.name() + "-tls-" + out.size() + "-" + Gateways.ISTIO_GATEWAY_SUFFIX,
                VirtualService.newBuilder()
                    .addHosts(host)
                    .addGateways(parent.info().internalName())
                    .addAllTls(parent.isMesh() ? forHost(tls, host) : tls)
                    .build()));
      }
    }
    return out;
  }

  /**
   * Mesh TLS routes: without route host names the SNI is the parent's hosts; a parentRef port
   * becomes a port match ({@code augmentTLSPortMatch}).
   */
  private static List<TLSRoute> forMesh(List<TLSRoute> routes, Integer port, List<String> hosts) {
    List<TLSRoute> out = new ArrayList<>();
    for (TLSRoute r : routes) {
      TLSRoute.Builder b = r.toBuilder();
      if (b.getMatchCount() == 1 && b.getMatch(0).getSniHostsList().equals(List.of("*"))) {
        b.getMatchBuilder(0).clearSniHosts().addAllSniHosts(hosts);
      }
      if (port != null) {
        b.getMatchBuilderList().forEach(m -> m.setPort(port));
      }
      out.add(b.build());
    }
    return out;
  }

  /** SNI names narrowed to those {@code host} matches ({@code compatibleRoutesForHost}). */
  private static List<TLSRoute> forHost(List<TLSRoute> routes, String host) {
    List<TLSRoute> out = new ArrayList<>();
    for (TLSRoute r : routes) {
      if (r.getMatchCount() == 1 && r.getMatch(0).getSniHostsCount() > 1) {
        TLSRoute.Builder b = r.toBuilder();
        List<String> sni = new ArrayList<>();
        for (String h : r.getMatch(0).getSniHostsList()) {
          if (HostName.matches(host, h)) {
            sni.add(h);
          }
        }
        b.getMatchBuilder(0).clearSniHosts().addAllSniHosts(sni);
        out.add(b.build());
      } else {
        out.add(r);
      }
    }
    return out;
  }

  private Config virtualService(RouteObject route, String name, VirtualService spec) {
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put(
        Gateways.PARENTS, route.kind().kind() + "/" + route.name() + "." + route.namespace());
    annotations.put(HttpVirtualServices.ROUTE_SEMANTICS, "gateway");
    return new Config(
        new ConfigMeta(
            IstioKinds.VIRTUAL_SERVICE,
            name,
            route.namespace(),
            Map.of(),
            annotations,
            "",
            0,
            route.config().meta().creationTimestamp()),
        spec);
  }
}
