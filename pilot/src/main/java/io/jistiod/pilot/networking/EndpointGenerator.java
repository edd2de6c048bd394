package io.jistiod.pilot.networking;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.jistiod.galley.api.networking.v1alpha3.Subset;
import io.jistiod.pilot.model.ClusterName;
import io.jistiod.pilot.model.Endpoint;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
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
 * grouped by locality. Each locality carries the sum of its endpoints' weights, which gRPC requires
 * (it ignores a locality without a weight). A cluster with no endpoints, or one istiod does not
 * know, gets an empty assignment, so the client stops using stale endpoints.
 */
public final class EndpointGenerator implements XdsGenerator {
  private static final String TYPE = "eds";

  @Override
  public List<XdsResource> generate(Proxy proxy, PushContext push, Set<String> names) {
    List<XdsResource> out = new ArrayList<>();
    for (String name : new TreeSet<>(names)) {
      out.add(
          push.cache()
              .get(TYPE, name, proxy, () -> XdsResource.of(name, assignment(name, proxy, push))));
    }
    return out;
  }

  static ClusterLoadAssignment assignment(String name, Proxy proxy, PushContext push) {
    ClusterLoadAssignment.Builder cla = ClusterLoadAssignment.newBuilder().setClusterName(name);
    ClusterName key = ClusterName.parse(name);
    if (key == null || !ClusterName.OUTBOUND.equals(key.direction())) {
      return cla.build();
    }
    Map<String, String> subsetLabels = Map.of();
    if (!key.subset().isEmpty()) {
      Subset subset =
          push.destinationRuleFor(proxy, key.hostname()).stream()
              .flatMap(dr -> dr.spec().getSubsetsList().stream())
              .filter(s -> s.getName().equals(key.subset()))
              .findFirst()
              .orElse(null);
      if (subset == null) {
        return cla.build();
      }
      subsetLabels = subset.getLabelsMap();
    }
    // Istio fails over by locality only when outlier detection can eject the failing endpoints.
    boolean failover =
        DestinationPolicies.of(push, proxy)
            .policy(key.hostname(), key.subset(), key.port())
            .map(p -> p.hasOutlierDetection())
            .orElse(false);
    Map<String, List<Endpoint>> byLocality = new TreeMap<>();
    for (Endpoint e : push.endpoints(key.hostname(), key.port())) {
      if (e.healthy() && e.matches(subsetLabels)) {
        byLocality.computeIfAbsent(e.locality().toString(), l -> new ArrayList<>()).add(e);
      }
    }
    List<LocalityLbEndpoints.Builder> groups = new ArrayList<>();
    for (List<Endpoint> endpoints : byLocality.values()) {
      endpoints.sort(Comparator.comparing(Endpoint::address).thenComparingInt(Endpoint::port));
      Locality l = endpoints.get(0).locality();
      LocalityLbEndpoints.Builder group =
          LocalityLbEndpoints.newBuilder()
              .setLocality(
                  io.envoyproxy.envoy.config.core.v3.Locality.newBuilder()
                      .setRegion(l.region())
                      .setZone(l.zone())
                      .setSubZone(l.subzone()));
      int total = 0;
      for (Endpoint e : endpoints) {
        total += e.weight();
        group.addLbEndpoints(
            LbEndpoint.newBuilder()
                .setEndpoint(
                    io.envoyproxy.envoy.config.endpoint.v3.Endpoint.newBuilder()
                        .setAddress(
                            Address.newBuilder()
                                .setSocketAddress(
                                    SocketAddress.newBuilder()
                                        .setAddress(e.address())
                                        .setPortValue(e.port()))))
                .setHealthStatus(HealthStatus.HEALTHY)
                .setLoadBalancingWeight(UInt32Value.of(e.weight())));
      }
      group.setLoadBalancingWeight(UInt32Value.of(total));
      if (failover) {
        group.setPriority(priority(proxy.locality(), l));
      }
      groups.add(group);
    }
    if (failover) {
      compactPriorities(groups);
    }
    groups.forEach(cla::addEndpoints);
    return cla.build();
  }

  /**
   * Istio's failover order: same region, zone and sub-zone first (0), then same zone (1), same
   * region (2), anything else (3).
   */
  static int priority(Locality proxy, Locality endpoints) {
    if (!proxy.region().equals(endpoints.region())) {
      return 3;
    }
    if (!proxy.zone().equals(endpoints.zone())) {
      return 2;
    }
    return proxy.subzone().equals(endpoints.subzone()) ? 0 : 1;
  }

  /** Renumbers priorities 0, 1, 2... keeping their order: Envoy and gRPC reject gaps. */
  static void compactPriorities(List<LocalityLbEndpoints.Builder> groups) {
    TreeSet<Integer> used = new TreeSet<>();
    groups.forEach(g -> used.add(g.getPriority()));
    List<Integer> order = new ArrayList<>(used);
    groups.forEach(g -> g.setPriority(order.indexOf(g.getPriority())));
  }
}
