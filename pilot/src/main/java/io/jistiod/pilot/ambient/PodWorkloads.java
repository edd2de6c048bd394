package io.jistiod.pilot.ambient;

import com.google.protobuf.ByteString;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodIP;
import io.jistiod.pilot.api.workload.ApplicationTunnel;
import io.jistiod.pilot.api.workload.GatewayAddress;
import io.jistiod.pilot.api.workload.Locality;
import io.jistiod.pilot.api.workload.NetworkMode;
import io.jistiod.pilot.api.workload.Port;
import io.jistiod.pilot.api.workload.PortList;
import io.jistiod.pilot.api.workload.TunnelProtocol;
import io.jistiod.pilot.api.workload.Workload;
import io.jistiod.pilot.api.workload.WorkloadStatus;
import io.jistiod.pilot.api.workload.WorkloadType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A pod as a workload of the workload API, following istiod 1.27: every pod with an IP that has not
 * finished (Succeeded/Failed) is one, enrolled in ambient or not; what enrollment changes is its
 * tunnel protocol (HBONE once the CNI has marked it redirected).
 */
final class PodWorkloads {
  /** Set on a pod by Istio's CNI once its traffic is redirected to ztunnel. */
  static final String REDIRECTION_ANNOTATION = "ambient.istio.io/redirection";

  /** A pod that terminates HBONE itself lists {@code http} in this label. */
  static final String TUNNEL_LABEL = "networking.istio.io/tunnel";

  static final String REGION_LABEL = "topology.kubernetes.io/region";
  static final String ZONE_LABEL = "topology.kubernetes.io/zone";
  static final String SUBZONE_LABEL = "topology.istio.io/subzone";

  private PodWorkloads() {}

  /** istiod's uid of a pod's workload: {@code CLUSTER//Pod/NAMESPACE/NAME}. */
  static String uid(String clusterId, String namespace, String name) {
    return clusterId + "//Pod/" + namespace + "/" + name;
  }

  /**
   * The pod's workload, or empty if it has none (finished, no IP yet, or an IP that does not
   * parse).
   *
   * @param services the Services selecting the pod
   * @param node the pod's node, null if unknown
   * @param network this cluster's network
   * @param trustDomain the mesh's trust domain
   * @param policies names of the authorization policies selecting the pod
   * @param waypoint where the pod's traffic goes first; null if nowhere
   * @param applicationTunnel how the pod, a waypoint, takes inbound traffic; null: plain HBONE
   * @param entryServices the ServiceEntry services whose workloadSelector selects the pod
   */
  static Optional<Workload> of(
      Pod pod,
      List<io.fabric8.kubernetes.api.model.Service> services,
      Node node,
      AmbientSettings settings,
      String network,
      String trustDomain,
      List<String> policies,
      GatewayAddress waypoint,
      ApplicationTunnel applicationTunnel,
      List<EntryAddresses.EntryService> entryServices) {
    var status = pod.getStatus();
    String phase = status == null ? null : status.getPhase();
    if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
      return Optional.empty();
    }
    List<ByteString> ips = new ArrayList<>();
    for (String ip : podIps(pod)) {
      ByteString b = IpBytes.parse(ip);
      if (b == null) {
        return Optional.empty(); // istiod drops a pod whose IPs do not parse
      }
      ips.add(b);
    }
    if (ips.isEmpty()) {
      return Optional.empty();
    }
    var meta = pod.getMetadata();
    var spec = pod.getSpec();
    Map<String, String> labels = WorkloadNames.labels(pod);
    Map<String, String> annotations =
        meta.getAnnotations() == null ? Map.of() : meta.getAnnotations();
    String workloadName = WorkloadNames.of(pod);
    Workload.Builder w =
        Workload.newBuilder()
            .setUid(uid(settings.clusterId(), meta.getNamespace(), meta.getName()))
            .setName(meta.getName())
            .setNamespace(meta.getNamespace())
            .addAllAddresses(ips)
            .setNetwork(network)
            .setServiceAccount(nonNull(spec == null ? null : spec.getServiceAccountName()))
            .setNode(nonNull(spec == null ? null : spec.getNodeName()))
            .setClusterId(settings.clusterId())
            .setTrustDomain(trustDomain.equals("cluster.local") ? "" : trustDomain)
            .setWorkloadName(workloadName)
            .setWorkloadType(WorkloadType.POD)
            .setCanonicalName(
                first(
                    labels,
                    workloadName,
                    "service.istio.io/canonical-name",
                    "app.kubernetes.io/name",
                    "app"))
            .setCanonicalRevision(
                first(
                    labels,
                    "latest",
                    "service.istio.io/canonical-revision",
                    "app.kubernetes.io/version",
                    "version"))
            .setStatus(
                ready(pod) && meta.getDeletionTimestamp() == null
                    ? WorkloadStatus.HEALTHY
                    : WorkloadStatus.UNHEALTHY);
    for (var s : services) {
      w.putServices(
          s.getMetadata().getNamespace()
              + "/"
              + ServiceAddresses.hostname(
                  s.getMetadata().getName(),
                  s.getMetadata().getNamespace(),
                  settings.domainSuffix()),
          ports(pod, s));
    }
    for (EntryAddresses.EntryService s : entryServices) {
      // a ServiceEntry names no target port: its ports map as they are
      w.putServices(s.key(), PortList.newBuilder().addAllPorts(s.service().getPortsList()).build());
    }
    w.addAllAuthorizationPolicies(policies);
    if (waypoint != null) {
      w.setWaypoint(waypoint);
    }
    if (applicationTunnel != null) {
      w.setApplicationTunnel(applicationTunnel);
    }
    Locality locality = locality(node);
    if (locality != null) {
      w.setLocality(locality);
    }
    if (spec != null && Boolean.TRUE.equals(spec.getHostNetwork())) {
      w.setNetworkMode(NetworkMode.HOST_NETWORK);
    }
    if ("enabled".equals(annotations.get(REDIRECTION_ANNOTATION))) {
      w.setTunnelProtocol(TunnelProtocol.HBONE);
    }
    if (List.of(labels.getOrDefault(TUNNEL_LABEL, "").split(",", -1)).contains("http")) {
      w.setTunnelProtocol(TunnelProtocol.HBONE).setNativeTunnel(true);
    }
    return Optional.of(w.build());
  }

  /** status.podIPs, else status.podIP. */
  static List<String> podIps(Pod pod) {
    var status = pod.getStatus();
    if (status == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    if (status.getPodIPs() != null && !status.getPodIPs().isEmpty()) {
      for (PodIP ip : status.getPodIPs()) {
        out.add(ip.getIp());
      }
    } else if (status.getPodIP() != null && !status.getPodIP().isEmpty()) {
      out.add(status.getPodIP());
    }
    return out;
  }

  /**
   * The Service's ports as this pod serves them: a named target port is looked up among the pod's
   * TCP container ports, and a port the pod does not name is left out.
   */
  private static PortList ports(Pod pod, io.fabric8.kubernetes.api.model.Service s) {
    PortList.Builder out = PortList.newBuilder();
    if (s.getSpec() == null || s.getSpec().getPorts() == null) {
      return out.build();
    }
    for (var p : s.getSpec().getPorts()) {
      var tp = p.getTargetPort();
      int target = tp == null || tp.getIntVal() == null ? 0 : tp.getIntVal();
      String named = tp == null ? null : tp.getStrVal();
      if (named != null && !named.isEmpty()) {
        Integer found = containerPort(pod, named);
        if (found == null) {
          continue;
        }
        target = found;
      }
      out.addPorts(Port.newBuilder().setServicePort(p.getPort()).setTargetPort(target));
    }
    return out.build();
  }

  private static Integer containerPort(Pod pod, String name) {
    if (pod.getSpec() == null || pod.getSpec().getContainers() == null) {
      return null;
    }
    for (var c : pod.getSpec().getContainers()) {
      if (c.getPorts() == null) {
        continue;
      }
      for (var p : c.getPorts()) {
        // the API server defaults the protocol to TCP
        String protocol = p.getProtocol() == null ? "TCP" : p.getProtocol();
        if (name.equals(p.getName()) && protocol.equals("TCP")) {
          return p.getContainerPort();
        }
      }
    }
    return null;
  }

  /** The Ready condition is True. */
  static boolean ready(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return false;
    }
    for (PodCondition c : pod.getStatus().getConditions()) {
      if ("Ready".equals(c.getType())) {
        return "True".equals(c.getStatus());
      }
    }
    return false;
  }

  /** The node's region, zone and subzone labels; null if it has none (or is unknown). */
  static Locality locality(Node node) {
    if (node == null) {
      return null;
    }
    Map<String, String> l =
        node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
    String region = l.getOrDefault(REGION_LABEL, "");
    String zone = l.getOrDefault(ZONE_LABEL, "");
    String subzone = l.getOrDefault(SUBZONE_LABEL, "");
    if (region.isEmpty() && zone.isEmpty() && subzone.isEmpty()) {
      return null;
    }
    return Locality.newBuilder().setRegion(region).setZone(zone).setSubzone(subzone).build();
  }

  private static String first(Map<String, String> labels, String fallback, String... keys) {
    for (String k : keys) {
      String v = labels.get(k);
      if (v != null) {
        return v;
      }
    }
    return fallback;
  }

  private static String nonNull(String s) {
    return s == null ? "" : s;
  }
}
