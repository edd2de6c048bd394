package io.jistiod.pilot.envoy.patch;

import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.PatchContext;
import io.jistiod.pilot.envoy.gateway.MergedGateway;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.xds.XdsGenerator;
import io.jistiod.pilot.xds.XdsResource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Applies the EnvoyFilters that select a sidecar or gateway to what another generator built for it.
 *
 * <p>The patching comes after generation, outside the generators' caches: those share resources
 * between proxies that EnvoyFilters may tell apart, and a patched resource must reach only the
 * proxies its EnvoyFilter selects. Proxies no EnvoyFilter selects (the common case) get the
 * generator's resources untouched.
 *
 * <p>The patch context of a resource is the one istiod builds it in: a sidecar's inbound listeners
 * (virtualInbound) and inbound clusters are SIDECAR_INBOUND, its other listeners, clusters and
 * route configurations SIDECAR_OUTBOUND; everything of a gateway is GATEWAY. The HBONE resources
 * (connect_originate, main_internal) are never patched, as in istiod. Waypoints are not patched.
 */
public final class PatchingGenerator implements XdsGenerator {
  /** What is patched: the resource type of the wrapped generator. */
  public enum Type {
    LISTENER,
    CLUSTER,
    ROUTE
  }

  private static final Set<String> UNPATCHED =
      Set.of("connect_originate", "main_internal", "sds-grpc", "xds-grpc");

  private final Type type;
  private final XdsGenerator delegate;

  public PatchingGenerator(Type type, XdsGenerator delegate) {
    this.type = type;
    this.delegate = delegate;
  }

  @Override
  public List<XdsResource> generate(Proxy proxy, PushContext push, Set<String> names) {
    List<XdsResource> generated = delegate.generate(proxy, push, names);
    if (proxy.type() != Proxy.NodeType.SIDECAR && proxy.type() != Proxy.NodeType.ROUTER) {
      return generated;
    }
    EnvoyFilterIndex index = EnvoyFilterIndex.of(push);
    if (index.isEmpty()) {
      return generated;
    }
    PatchSet patches = index.patchesFor(proxy);
    if (patches.isEmpty()) {
      return generated;
    }
    return switch (type) {
      case LISTENER -> listeners(proxy, patches, generated, names);
      case CLUSTER -> clusters(proxy, push, patches, generated, names);
      case ROUTE -> routes(proxy, push, patches, generated);
    };
  }

  private static boolean gateway(Proxy proxy) {
    return proxy.type() == Proxy.NodeType.ROUTER;
  }

  // --- LDS --------------------------------------------------------------------------------------

  private static List<XdsResource> listeners(
      Proxy proxy, PatchSet patches, List<XdsResource> generated, Set<String> names) {
    List<Listener> out = new ArrayList<>();
    // where istiod appends added listeners: after the outbound ones (before virtualOutbound), and
    // after the inbound ones; a gateway's after its own
    int outboundAdds = -1;
    int inboundAdds = -1;
    for (XdsResource r : generated) {
      Listener l = unpack(r, Listener.class);
      if (l == null || UNPATCHED.contains(l.getName())) {
        if (l != null) {
          outboundAdds = outboundAdds < 0 ? out.size() : outboundAdds;
          inboundAdds = inboundAdds < 0 ? out.size() : inboundAdds;
          out.add(l);
        }
        continue;
      }
      PatchContext context = context(proxy, l);
      if (context == PatchContext.SIDECAR_INBOUND || l.getName().equals("virtualOutbound")) {
        outboundAdds = outboundAdds < 0 ? out.size() : outboundAdds;
      }
      Listener patched =
          ListenerPatches.patch(context, patches, l, context == PatchContext.SIDECAR_INBOUND);
      if (patched != null) {
        out.add(patched);
      }
      if (context == PatchContext.SIDECAR_INBOUND) {
        inboundAdds = out.size();
      }
    }
    if (gateway(proxy)) {
      insert(out, outboundAdds, ListenerPatches.added(PatchContext.GATEWAY, patches));
    } else {
      // inbound first: its position is after the outbound one
      insert(out, inboundAdds, ListenerPatches.added(PatchContext.SIDECAR_INBOUND, patches));
      insert(out, outboundAdds, ListenerPatches.added(PatchContext.SIDECAR_OUTBOUND, patches));
    }
    List<XdsResource> result = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Listener l : out) {
      if ((names.isEmpty() || names.contains(l.getName())) && seen.add(l.getName())) {
        result.add(XdsResource.of(l.getName(), l));
      }
    }
    return result;
  }

  private static PatchContext context(Proxy proxy, Listener l) {
    if (gateway(proxy)) {
      return PatchContext.GATEWAY;
    }
    return l.getTrafficDirection() == TrafficDirection.INBOUND
            || l.getName().equals("virtualInbound")
        ? PatchContext.SIDECAR_INBOUND
        : PatchContext.SIDECAR_OUTBOUND;
  }

  private static <T> void insert(List<T> list, int at, List<T> items) {
    list.addAll(at < 0 ? list.size() : at, items);
  }

  // --- CDS --------------------------------------------------------------------------------------

  private static List<XdsResource> clusters(
      Proxy proxy,
      PushContext push,
      PatchSet patches,
      List<XdsResource> generated,
      Set<String> names) {
    List<Cluster> out = new ArrayList<>();
    int outboundAdds = -1;
    int inboundAdds = -1;
    Map<Integer, List<String>> inboundHosts = null;
    for (XdsResource r : generated) {
      Cluster c = unpack(r, Cluster.class);
      if (c == null) {
        continue;
      }
      if (UNPATCHED.contains(c.getName())) {
        // main_internal sits among a sidecar's inbound clusters, connect_originate after them all
        if (c.getName().equals("main_internal") && !gateway(proxy)) {
          outboundAdds = outboundAdds < 0 ? out.size() : outboundAdds;
        } else {
          outboundAdds = outboundAdds < 0 ? out.size() : outboundAdds;
          inboundAdds = inboundAdds < 0 ? out.size() : inboundAdds;
        }
        out.add(c);
        continue;
      }
      PatchContext context = clusterContext(proxy, c);
      List<String> hosts = List.of();
      if (context == PatchContext.SIDECAR_INBOUND) {
        outboundAdds = outboundAdds < 0 ? out.size() : outboundAdds;
        if (inboundHosts == null) {
          inboundHosts = inboundHosts(proxy, push);
        }
        hosts =
            inboundHosts.getOrDefault(
                ClusterPatches.SubsetKey.parse(c.getName()).port(), List.of());
      }
      Cluster patched = ClusterPatches.patch(context, patches, c, hosts);
      if (patched != null) {
        out.add(patched);
      }
      if (context == PatchContext.SIDECAR_INBOUND) {
        inboundAdds = out.size();
      }
    }
    if (gateway(proxy)) {
      insert(out, outboundAdds, ClusterPatches.added(PatchContext.GATEWAY, patches));
    } else {
      insert(out, inboundAdds, ClusterPatches.added(PatchContext.SIDECAR_INBOUND, patches));
      insert(out, outboundAdds, ClusterPatches.added(PatchContext.SIDECAR_OUTBOUND, patches));
    }
    // on a name clash (an added cluster named as a generated one) the first wins, as in istiod
    Map<String, Cluster> byName = new LinkedHashMap<>();
    for (Cluster c : out) {
      if (names.isEmpty() || names.contains(c.getName())) {
        byName.putIfAbsent(c.getName(), c);
      }
    }
    List<XdsResource> result = new ArrayList<>(byName.size());
    byName.values().forEach(c -> result.add(XdsResource.of(c.getName(), c)));
    return result;
  }

  private static PatchContext clusterContext(Proxy proxy, Cluster c) {
    if (gateway(proxy)) {
      return PatchContext.GATEWAY;
    }
    String n = c.getName();
    return n.startsWith("inbound|")
            || n.startsWith("inbound_.")
            || n.equals("InboundPassthroughCluster")
        ? PatchContext.SIDECAR_INBOUND
        : PatchContext.SIDECAR_OUTBOUND;
  }

  /** The hostnames of the services whose ports target each port of the proxy's workload. */
  private static Map<Integer, List<String>> inboundHosts(Proxy proxy, PushContext push) {
    Map<Integer, List<String>> out = new HashMap<>();
    for (PushContext.ServiceTarget t : push.serviceTargets(proxy)) {
      out.computeIfAbsent(t.endpoint().port(), k -> new ArrayList<>()).add(t.service().hostname());
    }
    return out;
  }

  // --- RDS --------------------------------------------------------------------------------------

  private static List<XdsResource> routes(
      Proxy proxy, PushContext push, PatchSet patches, List<XdsResource> generated) {
    PatchContext context = gateway(proxy) ? PatchContext.GATEWAY : PatchContext.SIDECAR_OUTBOUND;
    Map<Integer, Set<Integer>> portMap = gateway(proxy) ? portMap(proxy, push) : Map.of();
    List<XdsResource> out = new ArrayList<>(generated.size());
    for (XdsResource r : generated) {
      RouteConfiguration rc = unpack(r, RouteConfiguration.class);
      if (rc == null) {
        out.add(r);
        continue;
      }
      RouteConfiguration patched = RoutePatches.patch(context, patches, rc, portMap);
      // the name the proxy asked for stays the resource's name
      out.add(patched == rc ? r : XdsResource.of(r.name(), patched));
    }
    return out;
  }

  /** A gateway's listen ports with the server ports served on each (istiod's GatewayPortMap). */
  private static Map<Integer, Set<Integer>> portMap(Proxy proxy, PushContext push) {
    Map<Integer, Set<Integer>> out = new HashMap<>();
    for (var e : MergedGateway.of(proxy, push).serversByRouteName().entrySet()) {
      int port = RoutePatches.GatewayRouteName.parse(e.getKey()).port();
      Set<Integer> ports = out.computeIfAbsent(port, k -> new TreeSet<>());
      for (MergedGateway.GatewayServer s : e.getValue()) {
        ports.add(s.server().getPort().getNumber());
      }
    }
    return out;
  }

  private static <T extends com.google.protobuf.Message> T unpack(XdsResource r, Class<T> type) {
    try {
      return r.body().is(type) ? r.body().unpack(type) : null;
    } catch (InvalidProtocolBufferException e) {
      return null;
    }
  }
}
