package io.jistiod.pilot.ambient;

import com.google.protobuf.ByteString;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.jistiod.pilot.api.workload.IPFamilies;
import io.jistiod.pilot.api.workload.LoadBalancing;
import io.jistiod.pilot.api.workload.NetworkAddress;
import io.jistiod.pilot.api.workload.Port;
import io.jistiod.pilot.api.workload.Service;
import io.jistiod.pilot.model.TrafficDistribution;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Kubernetes Service as the workload API describes it to ztunnel, following istiod 1.27: its
 * cluster IPs on this cluster's network, its ports (a named target port is 0 here, each workload
 * resolves it in its own {@code services} entry), its IP families and how to load balance
 * (internalTrafficPolicy Local first, else trafficDistribution or its annotation, plus
 * publishNotReadyAddresses).
 */
final class ServiceAddresses {

  private ServiceAddresses() {}

  /**
   * The Service's address ({@code waypoint}: where its traffic goes first, null if nowhere), or
   * empty for ExternalName Services (ztunnel resolves those by DNS) and Services whose cluster IPs
   * do not parse.
   */
  static Optional<Service> of(
      io.fabric8.kubernetes.api.model.Service k,
      AmbientSettings settings,
      String network,
      io.jistiod.pilot.api.workload.GatewayAddress waypoint) {
    ServiceSpec spec = k.getSpec() == null ? new ServiceSpec() : k.getSpec();
    if ("ExternalName".equals(spec.getType())) {
      return Optional.empty();
    }
    String name = k.getMetadata().getName();
    String namespace = k.getMetadata().getNamespace();
    Service.Builder out =
        Service.newBuilder()
            .setName(name)
            .setNamespace(namespace)
            .setHostname(hostname(name, namespace, settings.domainSuffix()));
    for (String vip : vips(spec)) {
      ByteString ip = IpBytes.parse(vip);
      if (ip == null) {
        return Optional.empty(); // istiod drops a Service it cannot parse, with a warning
      }
      out.addAddresses(NetworkAddress.newBuilder().setNetwork(network).setAddress(ip));
    }
    if (spec.getPorts() != null) {
      for (var p : spec.getPorts()) {
        int target =
            p.getTargetPort() == null || p.getTargetPort().getIntVal() == null
                ? 0
                : p.getTargetPort().getIntVal();
        out.addPorts(Port.newBuilder().setServicePort(p.getPort()).setTargetPort(target));
      }
    }
    if (waypoint != null) {
      out.setWaypoint(waypoint);
    }
    LoadBalancing lb = loadBalancing(spec, annotations(k));
    if (lb != null) {
      out.setLoadBalancing(lb);
    }
    out.setIpFamilies(ipFamilies(spec.getIpFamilies()));
    return Optional.of(out.build());
  }

  static String hostname(String name, String namespace, String domainSuffix) {
    return name + "." + namespace + ".svc." + domainSuffix;
  }

  /** The cluster IPs, none for a headless Service. */
  static List<String> vips(ServiceSpec spec) {
    List<String> ips = spec.getClusterIPs();
    if (ips == null || ips.isEmpty()) {
      ips = new ArrayList<>();
      ips.add(spec.getClusterIP());
    }
    List<String> out = new ArrayList<>();
    for (String ip : ips) {
      if (ip != null && !ip.isEmpty() && !ip.equals("None")) {
        out.add(ip);
      }
    }
    return out;
  }

  private static LoadBalancing loadBalancing(ServiceSpec spec, Map<String, String> annotations) {
    LoadBalancing.Builder lb = null;
    if ("Local".equals(spec.getInternalTrafficPolicy())) {
      // node-local only, as kube-proxy does for such a Service
      lb =
          LoadBalancing.newBuilder()
              .addRoutingPreference(LoadBalancing.Scope.NODE)
              .setMode(LoadBalancing.Mode.STRICT);
    } else {
      switch (trafficDistribution(spec.getTrafficDistribution(), annotations)) {
        case "zone" ->
            lb =
                LoadBalancing.newBuilder()
                    .addRoutingPreference(LoadBalancing.Scope.NETWORK)
                    .addRoutingPreference(LoadBalancing.Scope.REGION)
                    .addRoutingPreference(LoadBalancing.Scope.ZONE)
                    .setMode(LoadBalancing.Mode.FAILOVER);
        case "node" ->
            lb =
                LoadBalancing.newBuilder()
                    .addRoutingPreference(LoadBalancing.Scope.NETWORK)
                    .addRoutingPreference(LoadBalancing.Scope.REGION)
                    .addRoutingPreference(LoadBalancing.Scope.ZONE)
                    .addRoutingPreference(LoadBalancing.Scope.SUBZONE)
                    .addRoutingPreference(LoadBalancing.Scope.NODE)
                    .setMode(LoadBalancing.Mode.FAILOVER);
        default -> {}
      }
    }
    if (Boolean.TRUE.equals(spec.getPublishNotReadyAddresses())) {
      if (lb == null) {
        lb = LoadBalancing.newBuilder();
      }
      lb.setHealthPolicy(LoadBalancing.HealthPolicy.ALLOW_ALL);
    }
    return lb == null ? null : lb.build();
  }

  /**
   * {@code zone}, {@code node} or {@code any}: the field if it names a known value, else Istio's
   * annotation (case-insensitive), else any ({@link TrafficDistribution}).
   */
  static String trafficDistribution(String field, Map<String, String> annotations) {
    return switch (TrafficDistribution.of(field, annotations)) {
      case PREFER_SAME_ZONE -> "zone";
      case PREFER_SAME_NODE -> "node";
      case ANY -> "any";
    };
  }

  private static IPFamilies ipFamilies(List<String> families) {
    if (families == null || families.isEmpty()) {
      return IPFamilies.AUTOMATIC;
    }
    if (families.size() == 2) {
      return IPFamilies.DUAL;
    }
    return "IPv4".equals(families.get(0)) ? IPFamilies.IPV4_ONLY : IPFamilies.IPV6_ONLY;
  }

  private static Map<String, String> annotations(io.fabric8.kubernetes.api.model.Service k) {
    Map<String, String> a = k.getMetadata().getAnnotations();
    return a == null ? Map.of() : a;
  }
}
