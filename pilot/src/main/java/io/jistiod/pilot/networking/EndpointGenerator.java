package io.jistiod.pilot.networking;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.galley.api.networking.v1alpha3.Subset;
import io.jistiod.galley.api.networking.v1alpha3.TrafficPolicy;
import io.jistiod.pilot.ambient.AmbientInterop;
import io.jistiod.pilot.model.ClusterName;
import io.jistiod.pilot.model.Endpoint;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServiceAttributes;
import io.jistiod.pilot.push.GenerationCache;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.xds.XdsGenerator;
import io.jistiod.pilot.xds.XdsResource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * EDS, shared by every kind of proxy: one ClusterLoadAssignment per requested cluster, endpoints
 * grouped by locality with the metadata istiod writes (see {@link EnvoyEndpoints}). Each locality
 * carries the sum of its endpoints' weights, which gRPC requires (it ignores a locality without a
 * weight). Locality load balancing (distribute weights, failover priorities) is applied relative to
 * the asking proxy. A cluster with no endpoints, or one istiod does not know, gets an empty
 * assignment, so the client stops using stale endpoints.
 *
 * <p>Names may also be in the SNI form {@code outbound_.PORT_.SUBSET_.HOST} (a gateway's
 * AUTO_PASSTHROUGH clusters): those only get endpoints that accept Istio mTLS.
 */
public final class EndpointGenerator implements XdsGenerator {
  private static final String NODE_LABEL = "kubernetes.io/hostname";

  private static final String TYPE = "eds";

  @Override
  public List<XdsResource> generate(Proxy proxy, PushContext push, Set<String> names) {
    List<XdsResource> out = new ArrayList<>(names.size());
    String locality = proxy.locality().toString();
    boolean meshFailoverPriority =
        push.meshConfig().getLocalityLbSetting().getFailoverPriorityCount() > 0;
    GenerationCache cache = push.cache();
    GenerationCache.Scope scope = cache.scope(proxy);
    for (String name : new TreeSet<>(names)) {
      out.add(
          cache.getSharedInScope(
              TYPE,
              name,
              scope,
              () -> variant(name, proxy, push, locality, meshFailoverPriority),
              () -> XdsResource.of(name, assignment(name, proxy, push))));
    }
    return out;
  }

  /**
   * What {@link #assignment} reads of the proxy, so that every proxy with the same answer shares
   * one assignment: the DestinationRule that applies (it depends on the proxy's namespace), the
   * locality, and the labels only where a failoverPriority may compare them. Keyed by the whole
   * scope instead (namespace, labels, locality), 500 proxies of 20 apps in 50 namespaces held 500
   * copies of each of 10,000 assignments.
   */
  private static GenerationCache.Variant variant(
      String name, Proxy proxy, PushContext push, String locality, boolean meshFailoverPriority) {
    if (name.startsWith(WaypointEndpoints.PREFIX)) {
      // a waypoint's: the subset's DestinationRule and which endpoints take HBONE on its network
      String[] parts = name.split("\\|", -1);
      String rule =
          parts.length == 4
              ? push.destinationRuleFor(proxy, parts[3])
                  .map(PushContext.ResolvedDestinationRule::key)
                  .orElse("")
              : "";
      return new GenerationCache.Variant(
          "waypoint|" + proxy.type() + "|" + rule + "|" + proxy.metadata().network(), true);
    }
    ClusterName key = ClusterName.parse(name);
    if (key == null || !ClusterName.OUTBOUND.equals(key.direction())) {
      return new GenerationCache.Variant("", true);
    }
    Service service = push.serviceFor(proxy, key.hostname()).orElse(null);
    if (service == null) {
      // a service the proxy does not see: an empty assignment, as istiod sends
      return new GenerationCache.Variant("-", true);
    }
    PushContext.ResolvedDestinationRule rule =
        push.destinationRuleFor(proxy, key.hostname()).orElse(null);
    String variant = rule == null ? "|" + locality : rule.key() + "|" + locality;
    if (push.pushIndex().services().isShared(service.hostname())) {
      // several namespaces define the host: proxies seeing different ones get different endpoints
      variant += "|ns=" + service.namespace();
    }
    if (service.attributes().nodeLocal()) {
      variant += "|node=" + nodeName(proxy); // node-local endpoints differ per node
    }
    AmbientInterop ambient = AmbientInterop.of(push);
    if (ambient != AmbientInterop.OFF) {
      // ambient endpoints are tunneled for Envoy clients that send HBONE, and gateways may go
      // through a service's waypoint
      variant +=
          "|hbone="
              + AmbientInterop.clientTunnels(proxy)
              + "|router="
              + (proxy.type() == Proxy.NodeType.ROUTER);
    }
    if (meshFailoverPriority
        || (rule != null && hasFailoverPriority(rule.spec()))
        || EnvoyEndpoints.sendsUnhealthy(service)) {
      // the scope keeps only the labels that select config: these may compare any label
      return new GenerationCache.Variant(
          variant + "|" + new TreeMap<>(failoverLabels(proxy)), false);
    }
    return new GenerationCache.Variant(variant, true);
  }

  private static boolean hasFailoverPriority(DestinationRule rule) {
    if (hasFailoverPriority(rule.getTrafficPolicy())) {
      return true;
    }
    for (Subset s : rule.getSubsetsList()) {
      if (hasFailoverPriority(s.getTrafficPolicy())) {
        return true;
      }
    }
    return false;
  }

  private static boolean hasFailoverPriority(TrafficPolicy policy) {
    if (policy.getLoadBalancer().getLocalityLbSetting().getFailoverPriorityCount() > 0) {
      return true;
    }
    for (var port : policy.getPortLevelSettingsList()) {
      if (port.getLoadBalancer().getLocalityLbSetting().getFailoverPriorityCount() > 0) {
        return true;
      }
    }
    return false;
  }

  static ClusterLoadAssignment assignment(String name, Proxy proxy, PushContext push) {
    if (proxy.type() == Proxy.NodeType.WAYPOINT && name.startsWith(WaypointEndpoints.PREFIX)) {
      return WaypointEndpoints.assignment(name, proxy, push);
    }
    ClusterLoadAssignment.Builder cla = ClusterLoadAssignment.newBuilder().setClusterName(name);
    ClusterName key = ClusterName.parse(name);
    if (key == null || !ClusterName.OUTBOUND.equals(key.direction())) {
      return cla.build();
    }
    Service service = push.serviceFor(proxy, key.hostname()).orElse(null);
    if (service == null || service.port(key.port()).isEmpty()) {
      return cla.build();
    }
    DestinationRule rule =
        push.destinationRuleFor(proxy, key.hostname()).map(r -> r.spec()).orElse(null);
    Map<String, String> subsetLabels = Map.of();
    TrafficPolicy subsetPolicy = null;
    if (!key.subset().isEmpty()) {
      Subset subset =
          rule == null
              ? null
              : rule.getSubsetsList().stream()
                  .filter(s -> s.getName().equals(key.subset()))
                  .findFirst()
                  .orElse(null);
      if (subset == null) {
        return cla.build();
      }
      subsetLabels = subset.getLabelsMap();
      subsetPolicy = subset.hasTrafficPolicy() ? subset.getTrafficPolicy() : null;
    }
    if (proxy.type() == Proxy.NodeType.ROUTER && name.indexOf('|') >= 0) {
      var waypoint =
          AmbientInterop.of(push).ingressWaypoint(service.namespace(), service.hostname());
      if (waypoint.isPresent() && hasVip(service)) {
        return throughWaypoint(cla, service, key.port(), waypoint.get(), push);
      }
    }
    List<LocalityLoadBalancing.Group> groups =
        EnvoyEndpoints.groups(
            push,
            service,
            key.port(),
            key.subset(),
            subsetLabels,
            rule,
            /* ipOnly= */ true,
            AmbientInterop.clientTunnels(proxy));
    if (name.indexOf('|') < 0) {
      onlyMtls(groups);
    }
    if (service.attributes().nodeLocal()) {
      onlyOnNode(groups, nodeName(proxy));
    }
    if (groups.isEmpty()) {
      return cla.build();
    }
    TrafficPolicy policy =
        rule == null
            ? null
            : TrafficPolicies.forCluster(
                rule.hasTrafficPolicy() ? rule.getTrafficPolicy() : null, subsetPolicy, key.port());
    LocalityLoadBalancing.Effective locality =
        LocalityLoadBalancing.effective(
            push.meshConfig(), policy == null ? null : policy.getLoadBalancer(), service);
    // Istio fails over by locality only when outlier detection can eject the failing endpoints
    // (or, for a Service's traffic distribution, when the proxy sees the unready ones).
    boolean failover = (policy != null && policy.hasOutlierDetection()) || locality.forceFailover();
    LocalityLoadBalancing.apply(
        groups, proxy.locality(), failoverLabels(proxy), locality.setting(), failover);
    for (LocalityLoadBalancing.Group g : groups) {
      cla.addEndpoints(g.envoy());
    }
    return cla.build();
  }

  /** Whether the service has a virtual IP: a waypoint only takes traffic addressed to one. */
  private static boolean hasVip(Service service) {
    return service.addresses().stream().anyMatch(a -> !a.equals("0.0.0.0") && !a.equals("::"));
  }

  /**
   * A gateway's endpoints for a service that opted into ingress waypoint routing: the waypoint's
   * pods, each a tunnel through {@code connect_originate} to the waypoint's HBONE port carrying the
   * service's VIP and port as the destination; no subset filtering and no locality load balancing,
   * as istiod. A waypoint without endpoints leaves the cluster empty.
   */
  private static ClusterLoadAssignment throughWaypoint(
      ClusterLoadAssignment.Builder cla,
      Service service,
      int port,
      io.jistiod.pilot.ambient.AddressIndex.ServiceWaypoint waypoint,
      PushContext push) {
    Service waypointService = push.service(waypoint.hostname()).orElse(null);
    if (waypointService == null || waypointService.port(waypoint.hbonePort()).isEmpty()) {
      return cla.build();
    }
    boolean external = ServiceAttributes.EXTERNAL.equals(waypointService.attributes().registry());
    String vip = service.addresses().get(0);
    Map<String, List<Endpoint>> byLocality = new TreeMap<>();
    for (Endpoint e : push.endpoints(waypoint.hostname(), waypoint.hbonePort())) {
      if (e.healthy() && EnvoyEndpoints.isIp(e.address())) {
        byLocality
            .computeIfAbsent(EnvoyEndpoints.label(e.locality()), l -> new ArrayList<>())
            .add(e);
      }
    }
    for (List<Endpoint> endpoints : byLocality.values()) {
      endpoints.sort(Comparator.comparing(Endpoint::address).thenComparingInt(Endpoint::port));
      LocalityLbEndpoints.Builder group =
          LocalityLbEndpoints.newBuilder().setLocality(EnvoyEndpoints.locality(endpoints.get(0)));
      long total = 0;
      for (Endpoint e : endpoints) {
        total += e.weight();
        LbEndpoint lb = EnvoyEndpoints.lbEndpoint(e, external, false);
        group.addLbEndpoints(
            EnvoyEndpoints.tunneled(lb, vip, port, EnvoyEndpoints.hostPort(e.address(), e.port())));
      }
      group.setLoadBalancingWeight(UInt32Value.of((int) Math.min(total, 0xFFFFFFFFL)));
      cla.addEndpoints(group);
    }
    return cla.build();
  }

  /** The proxy's node (NODE_NAME), or empty when the agent did not say. */
  /**
   * The proxy's labels as istiod compares them with failoverPriority: its own, with its locality's
   * region, zone and sub-zone, its cluster, its node and its network added as the topology labels
   * endpoints carry (istiod's AugmentLabels).
   */
  static Map<String, String> failoverLabels(Proxy proxy) {
    Map<String, String> out = new java.util.HashMap<>(proxy.metadata().labels());
    io.jistiod.pilot.model.Locality l = proxy.locality();
    putIfSet(out, io.jistiod.pilot.model.Locality.REGION_LABEL, l.region());
    putIfSet(out, io.jistiod.pilot.model.Locality.ZONE_LABEL, l.zone());
    putIfSet(out, io.jistiod.pilot.model.Locality.SUBZONE_LABEL, l.subzone());
    putIfSet(out, "topology.istio.io/cluster", proxy.metadata().clusterId());
    putIfSet(out, NODE_LABEL, nodeName(proxy));
    if (out.getOrDefault("topology.istio.io/network", "").isEmpty()) {
      putIfSet(out, "topology.istio.io/network", proxy.metadata().network());
    }
    return out;
  }

  private static void putIfSet(Map<String, String> labels, String key, String value) {
    if (value != null && !value.isEmpty()) {
      labels.put(key, value);
    }
  }

  private static String nodeName(Proxy proxy) {
    var v = proxy.metadata().raw().getFieldsMap().get("NODE_NAME");
    return v == null ? "" : v.getStringValue();
  }

  /**
   * internalTrafficPolicy Local: only the endpoints on the proxy's own node (the registry's
   * kubernetes.io/hostname label, the pod's node). istiod filters them before grouping by locality,
   * so a locality left empty disappears.
   */
  private static void onlyOnNode(List<LocalityLoadBalancing.Group> groups, String node) {
    keepOnly(groups, (e, ep) -> node.equals(ep.labels().get(NODE_LABEL)));
    groups.removeIf(g -> g.endpoints().isEmpty());
  }

  /** Passthrough at a gateway must only reach workloads that terminate Istio mTLS. */
  private static void onlyMtls(List<LocalityLoadBalancing.Group> groups) {
    keepOnly(groups, (e, ep) -> EnvoyEndpoints.isMtls(e));
  }

  private static void keepOnly(
      List<LocalityLoadBalancing.Group> groups,
      java.util.function.BiPredicate<LbEndpoint, Endpoint> keep) {
    List<LocalityLoadBalancing.Group> kept = new ArrayList<>();
    for (LocalityLoadBalancing.Group g : groups) {
      LocalityLbEndpoints.Builder b = g.envoy().clone().clearLbEndpoints();
      List<Endpoint> endpoints = new ArrayList<>();
      long weight = 0;
      for (int i = 0; i < g.endpoints().size(); i++) {
        LbEndpoint e = g.envoy().getLbEndpoints(i);
        if (keep.test(e, g.endpoints().get(i))) {
          b.addLbEndpoints(e);
          endpoints.add(g.endpoints().get(i));
          weight += e.getLoadBalancingWeight().getValue();
        }
      }
      // istiod keeps the emptied locality, without a weight
      if (endpoints.isEmpty()) {
        b.clearLoadBalancingWeight();
      } else {
        b.setLoadBalancingWeight(UInt32Value.of((int) weight));
      }
      kept.add(new LocalityLoadBalancing.Group(b, endpoints));
    }
    groups.clear();
    groups.addAll(kept);
  }
}
