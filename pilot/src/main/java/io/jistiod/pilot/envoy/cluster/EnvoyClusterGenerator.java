package io.jistiod.pilot.envoy.cluster;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.jistiod.galley.api.networking.v1alpha3.Gateway;
import io.jistiod.galley.api.networking.v1alpha3.ServerTLSSettings;
import io.jistiod.galley.api.networking.v1alpha3.Subset;
import io.jistiod.pilot.ambient.AmbientInterop;
import io.jistiod.pilot.envoy.gateway.GatewayBinding;
import io.jistiod.pilot.model.Protocol;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Resolution;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServicePort;
import io.jistiod.pilot.push.GenerationCache;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.xds.XdsGenerator;
import io.jistiod.pilot.xds.XdsResource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * CDS for Envoy sidecars and gateways, with istiod's clusters and names.
 *
 * <ul>
 *   <li>Sidecar: {@code outbound|PORT|SUBSET|HOST} for every service port it may see (Sidecar
 *       scoping, exportTo) and every subset of the service's DestinationRule; {@code
 *       BlackHoleCluster}, {@code PassthroughCluster}; {@code inbound|PORT||} per port its workload
 *       serves; {@code main_internal} when it accepts HBONE; {@code InboundPassthroughCluster}.
 *   <li>Gateway: the same outbound clusters, {@code BlackHoleCluster}, and for AUTO_PASSTHROUGH
 *       servers the SNI-named {@code outbound_.PORT_.SUBSET_.HOST} clusters. No inbound or
 *       passthrough clusters: a gateway has no original destination.
 *   <li>Waypoint: see {@link WaypointClusters}.
 * </ul>
 *
 * An outbound cluster depends on the proxy only through its type, its IP family, the
 * DestinationRule that applies to it for the service (chosen by its namespace) and its locality, so
 * it is built once per push for every proxy that has those in common; which clusters a proxy gets
 * (Sidecar scope, subsets) is listed once per push and scope.
 */
public final class EnvoyClusterGenerator implements XdsGenerator {

  @Override
  public List<XdsResource> generate(Proxy proxy, PushContext push, Set<String> names) {
    if (proxy.type() == Proxy.NodeType.WAYPOINT) {
      List<XdsResource> out = new ArrayList<>();
      // outbound clusters first, as istiod lists them: only for route destinations it does not
      // serve
      String cacheType = "envoy-cds|" + proxy.type() + "|" + ipFamily(proxy);
      List<Service> destinations = WaypointClusters.outboundServices(proxy, push);
      for (XdsResource r : outbound(proxy, push, cacheType, destinations)) {
        if (names.isEmpty() || names.contains(r.name())) {
          out.add(r);
        }
      }
      for (Cluster c : WaypointClusters.build(proxy, push)) {
        if (names.isEmpty() || names.contains(c.getName())) {
          out.add(XdsResource.of(c.getName(), c));
        }
      }
      return out;
    }
    if (proxy.type() != Proxy.NodeType.SIDECAR && proxy.type() != Proxy.NodeType.ROUTER) {
      return List.of();
    }
    AmbientInterop ambient = AmbientInterop.of(push);
    // DNS clusters carry their endpoints, tunneled or not depending on the proxy
    String cacheType =
        "envoy-cds|"
            + proxy.type()
            + "|"
            + ipFamily(proxy)
            + (ambient == AmbientInterop.OFF ? "" : "|" + AmbientInterop.clientTunnels(proxy));
    GenerationCache.Scope scope = push.cache().scope(proxy);
    // Every proxy of a scope has the same outbound clusters: listed (and built) once per push.
    List<XdsResource> outbound =
        push.cache()
            .memo(
                cacheType,
                scope,
                () -> outbound(proxy, push, cacheType, push.servicesVisibleTo(proxy)));
    List<XdsResource> out = new ArrayList<>(outbound.size() + 8);
    Set<String> seen = new HashSet<>();
    for (XdsResource r : outbound) {
      if (names.isEmpty() || names.contains(r.name())) {
        out.add(r);
      }
    }
    List<Cluster> local = new ArrayList<>();
    local.add(SpecialClusters.blackHole(push.meshConfig()));
    if (proxy.type() == Proxy.NodeType.SIDECAR) {
      local.add(SpecialClusters.passthrough(push.meshConfig()));
      local.addAll(new InboundClusterBuilder(push, proxy).build());
      if (ambient.listensHbone(proxy)) {
        local.add(InternalClusters.mainInternal()); // connect_terminate's way to main_internal
      }
      local.add(SpecialClusters.inboundPassthrough(push.meshConfig(), proxy));
    }
    if (ambient.sendHbone()
        && !AmbientInterop.isWaypoint(proxy)
        && AmbientInterop.clientTunnels(proxy)) {
      local.add(ConnectOriginate.cluster(push.meshConfig()));
    }
    for (Cluster c : local) {
      // on a name clash the first cluster wins, as in istiod; outbound names never clash with these
      if ((names.isEmpty() || names.contains(c.getName())) && seen.add(c.getName())) {
        out.add(XdsResource.of(c.getName(), c));
      }
    }
    return out;
  }

  /**
   * The proxy's outbound clusters, in istiod's order, each built once per push for every proxy that
   * gets the same DestinationRule for its service and has the same locality.
   */
  private static List<XdsResource> outbound(
      Proxy proxy, PushContext push, String cacheType, List<Service> services) {
    OutboundClusterBuilder builder = new OutboundClusterBuilder(push, proxy);
    List<XdsResource> out = new ArrayList<>();
    for (var e : outboundClusters(proxy, push, services).entrySet()) {
      Planned p = e.getValue();
      // what the build reads of the proxy besides its type and IP family (in cacheType)
      String variant =
          push.destinationRuleFor(proxy, p.service().hostname())
                  .map(PushContext.ResolvedDestinationRule::key)
                  .orElse("")
              + "|"
              + proxy.locality()
              // several namespaces define the host: proxies may see different services of it
              + (push.pushIndex().services().isShared(p.service().hostname())
                  ? "|ns=" + p.service().namespace()
                  : "");
      XdsResource r =
          push.cache()
              .getShared(
                  cacheType,
                  e.getKey(),
                  variant,
                  () -> {
                    Cluster c = builder.build(p.service(), p.port(), p.subset(), p.mode());
                    return c == null ? null : XdsResource.of(c.getName(), c);
                  });
      if (r != null) {
        out.add(r);
      }
    }
    return List.copyOf(out);
  }

  /** A cluster to build: which service port, subset and naming. */
  private record Planned(
      Service service, ServicePort port, String subset, OutboundClusterBuilder.Mode mode) {}

  /**
   * Every outbound cluster name the proxy gets for {@code services}, in istiod's order (service,
   * port, subset).
   */
  private static Map<String, Planned> outboundClusters(
      Proxy proxy, PushContext push, List<Service> services) {
    Map<String, Planned> out = new LinkedHashMap<>();
    boolean sniDnat = proxy.type() == Proxy.NodeType.ROUTER && hasAutoPassthrough(proxy, push);
    for (Service s : services) {
      if (s.resolution() == Resolution.ALIAS) {
        continue; // an ExternalName Service has no cluster: routes to it use the named service's
      }
      List<Subset> subsets =
          push.destinationRuleFor(proxy, s.hostname())
              .map(r -> r.spec().getSubsetsList())
              .orElse(List.of());
      for (ServicePort port : s.ports()) {
        if (port.protocol() == Protocol.UDP) {
          continue;
        }
        plan(out, s, port, "", OutboundClusterBuilder.Mode.DEFAULT);
        for (Subset subset : subsets) {
          plan(out, s, port, subset.getName(), OutboundClusterBuilder.Mode.DEFAULT);
        }
        if (sniDnat && !s.attributes().meshExternal()) {
          plan(out, s, port, "", OutboundClusterBuilder.Mode.SNI_DNAT);
          for (Subset subset : subsets) {
            plan(out, s, port, subset.getName(), OutboundClusterBuilder.Mode.SNI_DNAT);
          }
        }
      }
    }
    return out;
  }

  private static void plan(
      Map<String, Planned> out,
      Service s,
      ServicePort port,
      String subset,
      OutboundClusterBuilder.Mode mode) {
    // on conflicting definitions the first cluster of a name wins, as in istiod
    out.putIfAbsent(
        OutboundClusterBuilder.name(mode, s, port.port(), subset),
        new Planned(s, port, subset, mode));
  }

  /** Whether a Gateway selecting this proxy has an AUTO_PASSTHROUGH server. */
  static boolean hasAutoPassthrough(Proxy proxy, PushContext push) {
    for (GatewayBinding binding : GatewayBinding.of(proxy, push)) {
      for (var server : binding.gateway().spec(Gateway.class).getServersList()) {
        if (server.getTls().getMode() == ServerTLSSettings.TLSmode.AUTO_PASSTHROUGH) {
          return true;
        }
      }
    }
    return false;
  }

  private static String ipFamily(Proxy proxy) {
    boolean v4 = proxy.ipAddresses().stream().anyMatch(ip -> ip.indexOf(':') < 0);
    boolean v6 = proxy.ipAddresses().stream().anyMatch(ip -> ip.indexOf(':') >= 0);
    return v4 && v6 ? "dual" : v6 ? "v6" : "v4";
  }
}
