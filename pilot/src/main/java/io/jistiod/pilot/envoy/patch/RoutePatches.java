package io.jistiod.pilot.envoy.patch;

import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.ApplyTo;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.Patch.Operation;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.PatchContext;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.RouteConfigurationMatch;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * EnvoyFilter patches on a route configuration, as istiod applies them ({@code
 * ApplyRouteConfigurationPatches}): ROUTE_CONFIGURATION merges; per virtual host its merges,
 * replaces and removes, then its routes' merges and removes, then route adds and inserts; then
 * virtual host adds.
 */
public final class RoutePatches {
  private RoutePatches() {}

  /**
   * @param portMap for a gateway, each listen port's server (service) ports: a {@code portNumber}
   *     match on a gateway route configuration names the server port
   */
  public static RouteConfiguration patch(
      PatchContext context,
      PatchSet patches,
      RouteConfiguration rc,
      Map<Integer, Set<Integer>> portMap) {
    if (!patches.hasAny(ApplyTo.ROUTE_CONFIGURATION, ApplyTo.VIRTUAL_HOST, ApplyTo.HTTP_ROUTE)) {
      return rc;
    }
    RouteConfiguration out = rc;
    for (Patch p : patches.get(ApplyTo.ROUTE_CONFIGURATION)) {
      if (p.operation() == Operation.MERGE
          && p.inContext(context)
          && routeConfigurationMatch(context, out, p, portMap)) {
        try {
          out = ProtoMerge.merge(out, p.value());
        } catch (IllegalArgumentException e) {
          PatchErrors.skipped(p, "route configuration " + out.getName(), e.getMessage());
        }
      }
    }
    RouteConfiguration current = out;
    List<Patch> vhPatches = new ArrayList<>();
    for (Patch p : patches.get(ApplyTo.VIRTUAL_HOST)) {
      if (p.inContext(context) && routeConfigurationMatch(context, current, p, portMap)) {
        vhPatches.add(p);
      }
    }
    List<Patch> routePatches = new ArrayList<>();
    for (Patch p : patches.get(ApplyTo.HTTP_ROUTE)) {
      if (p.inContext(context) && routeConfigurationMatch(context, current, p, portMap)) {
        routePatches.add(p);
      }
    }
    if (vhPatches.isEmpty() && routePatches.isEmpty()) {
      return out;
    }
    List<VirtualHost> hosts = new ArrayList<>(out.getVirtualHostsList());
    Set<String> removed = new HashSet<>();
    for (int i = 0; i < hosts.size(); i++) {
      VirtualHost vh = hosts.get(i);
      boolean remove = false;
      for (Patch p : vhPatches) {
        if (!virtualHostMatch(vh, p)) {
          continue;
        }
        if (p.operation() == Operation.REMOVE) {
          remove = true;
          break;
        } else if (p.operation() == Operation.MERGE) {
          try {
            vh = ProtoMerge.merge(vh, p.value());
          } catch (IllegalArgumentException e) {
            PatchErrors.skipped(p, "virtual host " + vh.getName(), e.getMessage());
          }
        } else if (p.operation() == Operation.REPLACE) {
          vh = (VirtualHost) p.value();
        }
      }
      if (remove) {
        removed.add(vh.getName());
        continue;
      }
      hosts.set(i, patchRoutes(routePatches, vh));
    }
    for (Patch p : vhPatches) {
      if (p.operation() == Operation.ADD) {
        hosts.add((VirtualHost) p.value());
      }
    }
    hosts.removeIf(vh -> removed.contains(vh.getName()));
    return out.toBuilder().clearVirtualHosts().addAllVirtualHosts(hosts).build();
  }

  private static VirtualHost patchRoutes(List<Patch> routePatches, VirtualHost vh) {
    List<Patch> ps = new ArrayList<>();
    for (Patch p : routePatches) {
      if (virtualHostMatch(vh, p)) {
        ps.add(p);
      }
    }
    if (ps.isEmpty()) {
      return vh;
    }
    List<Route> routes = new ArrayList<>(vh.getRoutesList());
    for (int i = 0; i < routes.size(); i++) {
      Route r = routes.get(i);
      for (Patch p : ps) {
        if (!routeMatch(r, p)) {
          continue;
        }
        if (p.operation() == Operation.REMOVE) {
          r = null;
          break;
        } else if (p.operation() == Operation.MERGE) {
          try {
            r = ProtoMerge.merge(r, p.value());
          } catch (IllegalArgumentException e) {
            PatchErrors.skipped(p, "route " + r.getName(), e.getMessage());
          }
        }
      }
      routes.set(i, r);
    }
    for (Patch p : ps) {
      Route v = (Route) p.value();
      boolean named = hasRouteMatch(p);
      switch (p.operation()) {
        case ADD -> routes.add(v);
        case INSERT_AFTER -> {
          if (!named) {
            routes.add(v);
          } else {
            Lists.insertAfter(routes, r -> routeMatch(r, p), v);
          }
        }
        case INSERT_BEFORE -> {
          if (!named) {
            routes.add(0, v);
          } else {
            Lists.insertBefore(routes, r -> routeMatch(r, p), v);
          }
        }
        case INSERT_FIRST -> {
          // with a route match, only when some route matches; first either way
          if (!named || routes.stream().anyMatch(r -> r != null && routeMatch(r, p))) {
            routes.add(0, v);
          }
        }
        default -> {}
      }
    }
    routes.removeIf(Objects::isNull);
    return vh.toBuilder().clearRoutes().addAllRoutes(routes).build();
  }

  static boolean routeConfigurationMatch(
      PatchContext context, RouteConfiguration rc, Patch p, Map<Integer, Set<Integer>> portMap) {
    if (!p.match().hasRouteConfiguration()) {
      return true;
    }
    RouteConfigurationMatch m = p.match().getRouteConfiguration();
    if (!m.getName().isEmpty() && !m.getName().equals(rc.getName())) {
      return false;
    }
    if (context != PatchContext.GATEWAY) {
      return m.getPortNumber() == 0 || m.getPortNumber() == sidecarRoutePort(rc.getName());
    }
    GatewayRouteName parsed = GatewayRouteName.parse(rc.getName());
    if (!m.getPortName().isEmpty() && !m.getPortName().equals(parsed.portName())) {
      return false;
    }
    if (!m.getGateway().isEmpty() && !m.getGateway().equals(parsed.gateway())) {
      return false;
    }
    if (m.getPortNumber() != 0) {
      Set<Integer> servicePorts = portMap.get(parsed.port());
      return servicePorts != null
          ? servicePorts.contains(m.getPortNumber())
          : parsed.port() == m.getPortNumber();
    }
    return true;
  }

  /** The port of a sidecar route name: {@code 9080}, or {@code inbound|PORT|...}; else 0. */
  static int sidecarRoutePort(String name) {
    if (name.startsWith("inbound")) {
      String[] parts = name.split("\\|", -1);
      return parts.length == 4 ? parseInt(parts[1]) : 0;
    }
    return parseInt(name);
  }

  static int parseInt(String s) {
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** A gateway RDS name's parts: {@code http.PORT} or {@code https.PORT.NAME.GW.NAMESPACE}. */
  record GatewayRouteName(int port, String portName, String gateway) {
    static GatewayRouteName parse(String name) {
      if (name.startsWith("http.")) {
        return new GatewayRouteName(parseInt(name.substring(5)), "", "");
      }
      if (name.startsWith("https.")) {
        String[] parts = name.substring(6).split("\\.", -1);
        if (parts.length == 4) {
          return new GatewayRouteName(parseInt(parts[0]), parts[1], parts[3] + "/" + parts[2]);
        }
      }
      return new GatewayRouteName(0, "", "");
    }
  }

  static boolean virtualHostMatch(VirtualHost vh, Patch p) {
    if (!p.match().hasRouteConfiguration() || !p.match().getRouteConfiguration().hasVhost()) {
      return true;
    }
    var m = p.match().getRouteConfiguration().getVhost();
    return (m.getName().isEmpty() || m.getName().equals(vh.getName()))
        && (m.getDomainName().isEmpty() || vh.getDomainsList().contains(m.getDomainName()));
  }

  private static boolean hasRouteMatch(Patch p) {
    return p.match().hasRouteConfiguration()
        && p.match().getRouteConfiguration().hasVhost()
        && p.match().getRouteConfiguration().getVhost().hasRoute();
  }

  static boolean routeMatch(Route r, Patch p) {
    if (!hasRouteMatch(p)) {
      return true;
    }
    if (r == null) {
      return false;
    }
    var m = p.match().getRouteConfiguration().getVhost().getRoute();
    if (!m.getName().isEmpty() && !m.getName().equals(r.getName())) {
      return false;
    }
    return switch (m.getAction()) {
      case ROUTE -> r.getActionCase() == Route.ActionCase.ROUTE || otherAction(r);
      case REDIRECT -> r.getActionCase() == Route.ActionCase.REDIRECT || otherAction(r);
      case DIRECT_RESPONSE ->
          r.getActionCase() == Route.ActionCase.DIRECT_RESPONSE || otherAction(r);
      default -> true;
    };
  }

  /** istiod compares only the three actions it names; a route with another action matches any. */
  private static boolean otherAction(Route r) {
    return r.getActionCase() != Route.ActionCase.ROUTE
        && r.getActionCase() != Route.ActionCase.REDIRECT
        && r.getActionCase() != Route.ActionCase.DIRECT_RESPONSE;
  }
}
