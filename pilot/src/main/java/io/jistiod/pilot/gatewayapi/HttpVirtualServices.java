package io.jistiod.pilot.gatewayapi;

import io.jistiod.galley.api.networking.v1alpha3.HTTPMatchRequest;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRoute;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigMeta;
import io.jistiod.galley.config.IstioKinds;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * HTTPRoutes (or GRPCRoutes) as istiod's VirtualServices: one per parent and host, then merged by
 * parent and host across routes ({@code mergeHTTPRoutes}), because the Gateway API orders rules
 * across routes and a VirtualService is one ordered list.
 */
final class HttpVirtualServices {
  static final String ROUTE_SEMANTICS = "internal.istio.io/route-semantics";

  /** One route's contribution to the VirtualService of {@code key}. */
  private record Part(
      String key,
      String name,
      String namespace,
      Instant created,
      String parents,
      String host,
      String gateway,
      List<HTTPRoute> http) {}

  private final List<Part> parts = new ArrayList<>();
  private final Map<String, Config> serviceEntries;
  private final String domainSuffix;

  HttpVirtualServices(Map<String, Config> serviceEntries, String domainSuffix) {
    this.serviceEntries = serviceEntries;
    this.domainSuffix = domainSuffix;
  }

  /** Adds one route's VirtualServices: per accepted parent and per host it admits. */
  void add(RouteTranslation<HTTPRoute> t) {
    RouteObject route = t.route();
    int count = 0;
    for (RouteParentRef parent : t.accepted()) {
      String key = parent.info().internalName();
      List<String> hosts = route.hostnames().isEmpty() ? List.of("*") : route.hostnames();
      List<HTTPRoute> http = new ArrayList<>(t.routesFor(parent));
      if (parent.isMesh()) {
        // Mesh routes: one VirtualService per namespace, port and Service host.
        key = route.namespace();
        if (parent.original().hasPort()) {
          int port = parent.original().getPort();
          http = withPort(http, port);
          key += "/" + port;
        }
        hosts = RouteTranslation.meshHosts(parent, serviceEntries, domainSuffix);
      }
      if (http.isEmpty()) {
        continue; // a hard error: nothing to route
      }
      http.sort(RouteOrder.PRECEDENCE);
      for (String host : hosts) {
        if (!parent.allowsHost(host)) {
          continue;
        }
        parts.add(
            new Part(
                key + "/" + host,
                route.name() + "-" + count + "-" + Gateways.ISTIO_GATEWAY_SUFFIX,
                route.namespace(),
                route.config().meta().creationTimestamp(),
                route.kind().kind() + "/" + route.name() + "." + route.namespace(),
                host,
                parent.info().internalName(),
                http));
        count++;
      }
    }
  }

  /** Every match gets the parentRef's port (a route without matches, a match of only the port). */
  private static List<HTTPRoute> withPort(List<HTTPRoute> routes, int port) {
    List<HTTPRoute> out = new ArrayList<>();
    for (HTTPRoute r : routes) {
      HTTPRoute.Builder b = r.toBuilder();
      if (b.getMatchCount() == 0) {
        b.addMatch(HTTPMatchRequest.newBuilder().setPort(port));
      } else {
        b.getMatchBuilderList().forEach(m -> m.setPort(port));
      }
      out.add(b.build());
    }
    return out;
  }

  /**
   * The merged VirtualServices, named by their key ({@code /} written {@code ~}): the oldest part's
   * namespace and creation time, every part's rules re-ordered by precedence, every part's route
   * named in {@code internal.istio.io/parents}.
   */
  List<Config> merged() {
    Map<String, List<Part>> byKey = new LinkedHashMap<>();
    for (Part p : parts) {
      byKey.computeIfAbsent(p.key(), k -> new ArrayList<>()).add(p);
    }
    List<Config> out = new ArrayList<>();
    for (var e : byKey.entrySet()) {
      List<Part> group = new ArrayList<>(e.getValue());
      group.sort(
          Comparator.comparing(Part::created)
              .thenComparing(Part::namespace)
              .thenComparing(Part::name));
      Part base = group.get(0);
      List<HTTPRoute> http = new ArrayList<>();
      List<String> parents = new ArrayList<>();
      for (Part p : group) {
        http.addAll(p.http());
        parents.add(p.parents());
      }
      http.sort(RouteOrder.PRECEDENCE);
      Map<String, String> annotations = new LinkedHashMap<>();
      annotations.put(Gateways.PARENTS, String.join(",", parents));
      annotations.put(ROUTE_SEMANTICS, "gateway");
      out.add(
          new Config(
              new ConfigMeta(
                  IstioKinds.VIRTUAL_SERVICE,
                  e.getKey().replace('/', '~'),
                  base.namespace(),
                  Map.of(),
                  annotations,
                  "",
                  0,
                  base.created()),
              VirtualService.newBuilder()
                  .addHosts(base.host())
                  .addGateways(base.gateway())
                  .addAllHttp(http)
                  .build()));
    }
    return out;
  }
}
