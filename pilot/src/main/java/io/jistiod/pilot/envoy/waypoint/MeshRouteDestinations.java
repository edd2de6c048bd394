package io.jistiod.pilot.envoy.waypoint;

import io.jistiod.galley.api.networking.v1alpha3.Destination;
import io.jistiod.galley.api.networking.v1alpha3.HTTPMirrorPolicy;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRoute;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRouteDestination;
import io.jistiod.galley.api.networking.v1alpha3.RouteDestination;
import io.jistiod.galley.api.networking.v1alpha3.TCPRoute;
import io.jistiod.galley.api.networking.v1alpha3.TLSRoute;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.pilot.model.Hosts;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.VirtualServiceIndex;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Which hosts the mesh's routes send traffic to, by the host they route: for every VirtualService
 * bound to the mesh (Gateway API mesh routes included, delegates merged), each of its hosts as
 * written (short names resolved) maps to every destination of its HTTP, TCP and TLS routes and
 * mirrors. A waypoint needs an outbound cluster for a destination of a host it serves that it does
 * not serve itself, as istiod's {@code referencedDestinations}: exact hosts only, whatever the
 * route's {@code exportTo}.
 */
public final class MeshRouteDestinations {
  private final Map<String, Set<String>> byHost;

  private MeshRouteDestinations(Map<String, Set<String>> byHost) {
    this.byHost = byHost;
  }

  /** The push's index, built once. */
  public static MeshRouteDestinations of(PushContext push) {
    return push.index(MeshRouteDestinations.class, MeshRouteDestinations::build);
  }

  /** The destinations of the mesh routes written for {@code host}; empty if none. */
  public Set<String> referencedBy(String host) {
    return byHost.getOrDefault(host, Set.of());
  }

  private static MeshRouteDestinations build(PushContext push) {
    Map<String, Set<String>> out = new HashMap<>();
    for (PushContext.ResolvedVirtualService rvs : push.pushIndex().virtualServices().all()) {
      VirtualService vs = rvs.spec();
      if (!VirtualServiceIndex.includesMesh(vs.getGatewaysList())) {
        continue;
      }
      Set<String> destinations = destinations(vs, rvs.config().namespace(), push.domainSuffix());
      if (destinations.isEmpty()) {
        continue;
      }
      for (String host : rvs.hosts()) {
        out.computeIfAbsent(host, h -> new LinkedHashSet<>()).addAll(destinations);
      }
    }
    out.replaceAll((h, s) -> Collections.unmodifiableSet(s));
    return new MeshRouteDestinations(Map.copyOf(out));
  }

  static Set<String> destinations(VirtualService vs, String namespace, String domainSuffix) {
    Set<String> out = new LinkedHashSet<>();
    for (HTTPRoute r : vs.getHttpList()) {
      for (HTTPRouteDestination d : r.getRouteList()) {
        add(out, d.hasDestination() ? d.getDestination() : null, namespace, domainSuffix);
      }
      if (r.hasMirror()) {
        add(out, r.getMirror(), namespace, domainSuffix);
      }
      for (HTTPMirrorPolicy m : r.getMirrorsList()) {
        add(out, m.hasDestination() ? m.getDestination() : null, namespace, domainSuffix);
      }
    }
    for (TCPRoute r : vs.getTcpList()) {
      for (RouteDestination d : r.getRouteList()) {
        add(out, d.hasDestination() ? d.getDestination() : null, namespace, domainSuffix);
      }
    }
    for (TLSRoute r : vs.getTlsList()) {
      for (RouteDestination d : r.getRouteList()) {
        add(out, d.hasDestination() ? d.getDestination() : null, namespace, domainSuffix);
      }
    }
    return out;
  }

  private static void add(Set<String> out, Destination d, String namespace, String domainSuffix) {
    if (d != null) {
      out.add(Hosts.resolveShortName(d.getHost(), namespace, domainSuffix));
    }
  }
}
