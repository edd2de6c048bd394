package io.jistiod.pilot.networking;

import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.networking.v1alpha3.LoadBalancerSettings;
import io.jistiod.galley.api.networking.v1alpha3.LocalityLoadBalancerSetting;
import io.jistiod.pilot.model.Endpoint;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.TrafficDistribution;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Locality-aware load balancing as istiod applies it to a cluster's endpoints, relative to the
 * calling proxy: either {@code distribute} weights per locality, or failover priorities (by {@code
 * failoverPriority} labels, then by region/zone/sub-zone with the {@code failover} region pairs).
 * Failover needs outlier detection, or Envoy would never leave priority 0.
 */
public final class LocalityLoadBalancing {
  private LocalityLoadBalancing() {}

  /** Mesh-wide default when MeshConfig does not say: istiod's default is enabled. */
  private static final LocalityLoadBalancerSetting MESH_DEFAULT =
      LocalityLoadBalancerSetting.newBuilder().setEnabled(BoolValue.of(true)).build();

  /** One locality group of endpoints, with the model endpoints behind its LbEndpoints. */
  public record Group(LocalityLbEndpoints.Builder envoy, List<Endpoint> endpoints) {}

  /**
   * The locality setting in force: the DestinationRule's if it has one (null if it disables it),
   * else the mesh's (null if disabled).
   */
  public static LocalityLoadBalancerSetting effectiveSetting(
      MeshConfig mesh, LoadBalancerSettings lb) {
    if (lb != null && lb.hasLocalityLbSetting()) {
      LocalityLoadBalancerSetting dr = lb.getLocalityLbSetting();
      if (dr.hasEnabled() && !dr.getEnabled().getValue()) {
        return null;
      }
      return dr;
    }
    LocalityLoadBalancerSetting m =
        mesh.hasLocalityLbSetting() ? mesh.getLocalityLbSetting() : MESH_DEFAULT;
    if (m.hasEnabled() && !m.getEnabled().getValue()) {
      return null;
    }
    return m;
  }

  /** A locality setting and whether it fails over without outlier detection. */
  public record Effective(LocalityLoadBalancerSetting setting, boolean forceFailover) {}

  /**
   * As {@link #effectiveSetting(MeshConfig, LoadBalancerSettings)}, for {@code service}: without a
   * DestinationRule setting, a Service's traffic distribution stands in for the mesh's, as failover
   * by network, region and zone (then sub-zone and node for PreferSameNode), forced: the proxies
   * see unready endpoints, so they need no outlier detection to leave a locality.
   */
  public static Effective effective(MeshConfig mesh, LoadBalancerSettings lb, Service service) {
    if ((lb == null || !lb.hasLocalityLbSetting())
        && service != null
        && service.attributes().trafficDistribution() != TrafficDistribution.ANY) {
      LocalityLoadBalancerSetting.Builder b =
          LocalityLoadBalancerSetting.newBuilder()
              .setEnabled(BoolValue.of(true))
              .addFailoverPriority("topology.istio.io/network")
              .addFailoverPriority("topology.kubernetes.io/region")
              .addFailoverPriority("topology.kubernetes.io/zone");
      if (service.attributes().trafficDistribution() == TrafficDistribution.PREFER_SAME_NODE) {
        b.addFailoverPriority("topology.istio.io/subzone")
            .addFailoverPriority("kubernetes.io/hostname");
      }
      return new Effective(b.build(), true);
    }
    return new Effective(effectiveSetting(mesh, lb), false);
  }

  /**
   * Applies {@code setting} to the groups in place (and may split groups by failover priority
   * labels, so the list itself may change).
   */
  public static void apply(
      List<Group> groups,
      Locality proxy,
      Map<String, String> proxyLabels,
      LocalityLoadBalancerSetting setting,
      boolean enableFailover) {
    if (setting == null) {
      return;
    }
    if (setting.getDistributeCount() > 0) {
      applyWeights(groups, proxy, setting);
    } else if (enableFailover) {
      if (setting.getFailoverPriorityCount() > 0) {
        applyFailoverPriorities(groups, proxyLabels, setting.getFailoverPriorityList());
        if (setting.getFailoverCount() > 0) {
          applyFailover(groups, proxy, setting);
        }
      } else {
        applyFailover(groups, proxy, setting);
      }
    }
  }

  private static void applyWeights(
      List<Group> groups, Locality proxy, LocalityLoadBalancerSetting setting) {
    for (var rule : setting.getDistributeList()) {
      if (!matches(proxy, rule.getFrom())) {
        continue;
      }
      Set<Integer> unmatched = new TreeSet<>();
      for (int i = 0; i < groups.size(); i++) {
        unmatched.add(i);
      }
      for (var to : new TreeMap<>(rule.getToMap()).entrySet()) {
        Map<Integer, Long> original = new TreeMap<>();
        long total = 0;
        for (int i = 0; i < groups.size(); i++) {
          if (unmatched.contains(i) && matches(locality(groups.get(i)), to.getKey())) {
            unmatched.remove(i);
            LocalityLbEndpoints.Builder g = groups.get(i).envoy();
            long w = g.hasLoadBalancingWeight() ? g.getLoadBalancingWeight().getValue() : 1;
            original.put(i, w);
            total += w;
          }
        }
        for (var e : original.entrySet()) {
          double weight = (double) (e.getValue() * to.getValue()) / total;
          if (weight > 0) {
            groups
                .get(e.getKey())
                .envoy()
                .setLoadBalancingWeight(UInt32Value.of((int) Math.ceil(weight)));
          }
        }
      }
      // localities the rule does not send to keep their place but lose their endpoints
      for (int i : unmatched) {
        groups.get(i).envoy().clearLbEndpoints();
      }
      return;
    }
  }

  private static void applyFailover(
      List<Group> groups, Locality proxy, LocalityLoadBalancerSetting setting) {
    Map<Integer, List<Integer>> byPriority = new TreeMap<>();
    for (int i = 0; i < groups.size(); i++) {
      Locality l = locality(groups.get(i));
      int p = priority(proxy, l);
      if (p == 3) {
        for (var f : setting.getFailoverList()) {
          if (f.getFrom().equals(proxy.region())) {
            if (!l.region().equals(f.getTo())) {
              p = 4;
            }
            break;
          }
        }
      }
      // priorities already set by failoverPriority labels keep their order: five slots each
      int combined = groups.get(i).envoy().getPriority() * 5 + p;
      groups.get(i).envoy().setPriority(combined);
      byPriority.computeIfAbsent(combined, k -> new ArrayList<>()).add(i);
    }
    compact(groups, byPriority);
  }

  private static void applyFailoverPriorities(
      List<Group> groups, Map<String, String> proxyLabels, List<String> priorities) {
    if (proxyLabels.isEmpty() || groups.isEmpty()) {
      return;
    }
    List<String> labels = new ArrayList<>();
    Map<String, String> overrides = new TreeMap<>();
    for (String p : priorities) {
      String[] kv = p.split("=", -1);
      labels.add(kv[0]);
      if (kv.length == 2) {
        overrides.put(kv[0], kv[1]);
      }
    }
    List<Group> split = new ArrayList<>();
    for (Group g : groups) {
      Map<Integer, List<Integer>> byPriority = new TreeMap<>();
      for (int i = 0; i < g.endpoints().size(); i++) {
        int priority = 0;
        Map<String, String> epLabels = g.endpoints().get(i).labels();
        for (int j = 0; j < labels.size(); j++) {
          String label = labels.get(j);
          String want =
              overrides.containsKey(label)
                  ? overrides.get(label)
                  : proxyLabels.getOrDefault(label, "");
          if (!want.equals(epLabels.getOrDefault(label, ""))) {
            priority = labels.size() - j;
            break;
          }
        }
        byPriority.computeIfAbsent(priority, k -> new ArrayList<>()).add(i);
      }
      for (var e : byPriority.entrySet()) {
        LocalityLbEndpoints.Builder b = g.envoy().clone().clearLbEndpoints();
        b.setPriority(e.getKey());
        List<Endpoint> eps = new ArrayList<>();
        long weight = 0;
        for (int i : e.getValue()) {
          LbEndpoint lb = g.envoy().getLbEndpoints(i);
          b.addLbEndpoints(lb);
          eps.add(g.endpoints().get(i));
          weight += lb.getLoadBalancingWeight().getValue();
        }
        b.setLoadBalancingWeight(UInt32Value.of((int) weight));
        split.add(new Group(b, eps));
      }
    }
    Map<Integer, List<Integer>> byPriority = new TreeMap<>();
    for (int i = 0; i < split.size(); i++) {
      byPriority.computeIfAbsent(split.get(i).envoy().getPriority(), k -> new ArrayList<>()).add(i);
    }
    compact(split, byPriority);
    groups.clear();
    groups.addAll(split);
  }

  /** Renumbers priorities 0..N in order: Envoy rejects gaps. */
  private static void compact(List<Group> groups, Map<Integer, List<Integer>> byPriority) {
    int next = 0;
    for (List<Integer> members : byPriority.values()) {
      for (int i : members) {
        groups.get(i).envoy().setPriority(next);
      }
      next++;
    }
  }

  /** 0 same sub-zone, 1 same zone, 2 same region, 3 elsewhere. */
  static int priority(Locality proxy, Locality endpoints) {
    if (!proxy.region().equals(endpoints.region())) {
      return 3;
    }
    if (!proxy.zone().equals(endpoints.zone())) {
      return 2;
    }
    return proxy.subzone().equals(endpoints.subzone()) ? 0 : 1;
  }

  /** Istio's locality pattern match: {@code region/zone/subzone}, each part may be {@code *}. */
  static boolean matches(Locality l, String pattern) {
    String[] parts = pattern.split("/", 3);
    String region = parts[0];
    String zone = parts.length > 1 ? parts[1] : "";
    String subzone = parts.length > 2 ? parts[2] : "";
    return (region.equals("*") || region.equals(l.region()))
        && (zone.equals("*") || zone.isEmpty() || zone.equals(l.zone()))
        && (subzone.equals("*") || subzone.isEmpty() || subzone.equals(l.subzone()));
  }

  private static Locality locality(Group g) {
    var l = g.envoy().getLocality();
    return new Locality(l.getRegion(), l.getZone(), l.getSubZone());
  }
}
