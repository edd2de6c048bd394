package io.jistiod.pilot.ambient;

import com.google.protobuf.ByteString;
import com.google.protobuf.UInt32Value;
import io.jistiod.galley.api.networking.v1alpha3.ServiceEntry;
import io.jistiod.galley.api.networking.v1alpha3.ServiceEntryAddress;
import io.jistiod.galley.api.networking.v1alpha3.ServiceEntryStatus;
import io.jistiod.galley.api.networking.v1alpha3.ServicePort;
import io.jistiod.galley.api.networking.v1alpha3.WorkloadEntry;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.api.workload.ApplicationTunnel;
import io.jistiod.pilot.api.workload.GatewayAddress;
import io.jistiod.pilot.api.workload.LoadBalancing;
import io.jistiod.pilot.api.workload.Locality;
import io.jistiod.pilot.api.workload.NetworkAddress;
import io.jistiod.pilot.api.workload.Port;
import io.jistiod.pilot.api.workload.PortList;
import io.jistiod.pilot.api.workload.Service;
import io.jistiod.pilot.api.workload.TunnelProtocol;
import io.jistiod.pilot.api.workload.Workload;
import io.jistiod.pilot.api.workload.WorkloadStatus;
import io.jistiod.pilot.api.workload.WorkloadType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ServiceEntries and WorkloadEntries as the workload API describes them, following istiod 1.27: a
 * service per ServiceEntry host, a workload per inline endpoint (or, for a DNS ServiceEntry with
 * neither endpoints nor selector, per host), a workload per WorkloadEntry.
 */
final class EntryAddresses {
  static final String AUTOALLOCATE_LABEL = "networking.istio.io/enable-autoallocate-ip";
  static final String AUTO_REGISTRATION_GROUP = "istio.io/autoRegistrationGroup";

  private EntryAddresses() {}

  /**
   * One service of a ServiceEntry (one host).
   *
   * @param portNames service port number to its name (a WorkloadEntry names its own ports so)
   * @param selector the ServiceEntry's workloadSelector labels, empty if none
   */
  record EntryService(
      String namespace,
      Service service,
      Map<Integer, String> portNames,
      Map<String, String> selector) {
    String key() {
      return namespace + "/" + service.getHostname();
    }
  }

  /**
   * The services of a ServiceEntry; none if one of its addresses is not a single IP (istiod drops
   * it whole).
   */
  static List<EntryService> services(Config c, String network, GatewayAddress waypoint) {
    ServiceEntry se = c.spec(ServiceEntry.class);
    List<NetworkAddress> addresses = new ArrayList<>();
    for (String a : se.getAddressesList()) {
      ByteString ip = singleIp(a);
      if (ip == null) {
        return List.of();
      }
      addresses.add(NetworkAddress.newBuilder().setNetwork(network).setAddress(ip).build());
    }
    Map<String, List<NetworkAddress>> allocated = allocated(c, se, network);
    List<Port> ports = new ArrayList<>();
    Map<Integer, String> portNames = new HashMap<>();
    for (ServicePort p : se.getPortsList()) {
      ports.add(
          Port.newBuilder()
              .setServicePort(p.getNumber())
              .setTargetPort(p.getTargetPort() == 0 ? p.getNumber() : p.getTargetPort())
              .build());
      portNames.put(p.getNumber(), p.getName());
    }
    LoadBalancing lb = null;
    switch (ServiceAddresses.trafficDistribution(null, annotations(c))) {
      case "zone" ->
          lb =
              LoadBalancing.newBuilder()
                  .addRoutingPreference(LoadBalancing.Scope.NETWORK)
                  .addRoutingPreference(LoadBalancing.Scope.REGION)
                  .addRoutingPreference(LoadBalancing.Scope.ZONE)
                  .setMode(LoadBalancing.Mode.FAILOVER)
                  .build();
      case "node" ->
          lb =
              LoadBalancing.newBuilder()
                  .addRoutingPreference(LoadBalancing.Scope.NETWORK)
                  .addRoutingPreference(LoadBalancing.Scope.REGION)
                  .addRoutingPreference(LoadBalancing.Scope.ZONE)
                  .addRoutingPreference(LoadBalancing.Scope.SUBZONE)
                  .addRoutingPreference(LoadBalancing.Scope.NODE)
                  .setMode(LoadBalancing.Mode.FAILOVER)
                  .build();
      default -> {}
    }
    Map<String, String> selector =
        se.hasWorkloadSelector() ? Map.copyOf(se.getWorkloadSelector().getLabelsMap()) : Map.of();
    List<EntryService> out = new ArrayList<>();
    for (String host : se.getHostsList()) {
      List<NetworkAddress> hostAddresses = addresses;
      if (hostAddresses.isEmpty()
          && !host.startsWith("*")
          && se.getResolution() != ServiceEntry.Resolution.NONE) {
        hostAddresses = allocated.getOrDefault(host, List.of());
      }
      Service.Builder s =
          Service.newBuilder()
              .setName(c.name())
              .setNamespace(c.namespace())
              .setHostname(host)
              .addAllAddresses(hostAddresses)
              .addAllPorts(ports)
              .addAllSubjectAltNames(se.getSubjectAltNamesList());
      if (waypoint != null) {
        s.setWaypoint(waypoint);
      }
      if (lb != null) {
        s.setLoadBalancing(lb);
      }
      out.add(new EntryService(c.namespace(), s.build(), portNames, selector));
    }
    return out;
  }

  /**
   * The addresses Istio's IP autoallocation wrote in the ServiceEntry's status, by host; none when
   * it does not apply (resolution NONE, addresses of its own, opted out by label).
   */
  private static Map<String, List<NetworkAddress>> allocated(
      Config c, ServiceEntry se, String network) {
    if (se.getResolution() == ServiceEntry.Resolution.NONE
        || se.getAddressesCount() > 0
        || "false".equals(labels(c).get(AUTOALLOCATE_LABEL))
        || c.status() == null) {
      return Map.of();
    }
    Map<String, List<NetworkAddress>> out = new HashMap<>();
    for (ServiceEntryAddress a : c.status(ServiceEntryStatus.class).getAddressesList()) {
      ByteString ip = IpBytes.parse(a.getValue());
      if (ip != null) {
        out.computeIfAbsent(a.getHost(), h -> new ArrayList<>())
            .add(NetworkAddress.newBuilder().setNetwork(network).setAddress(ip).build());
      }
    }
    return out;
  }

  /** An IP, or a CIDR of exactly one IP; null otherwise. */
  private static ByteString singleIp(String s) {
    int slash = s.indexOf('/');
    if (slash < 0) {
      return IpBytes.parse(s);
    }
    ByteString ip = IpBytes.parse(s.substring(0, slash));
    String len = s.substring(slash + 1);
    if (ip == null
        || len.isEmpty()
        || len.length() > 3
        || !len.chars().allMatch(Character::isDigit)) {
      return null;
    }
    return Integer.parseInt(len) == ip.size() * 8 ? ip : null;
  }

  /** What every entry workload shares with a pod's: identity, policies, waypoint. */
  record Common(
      String clusterId,
      String domainSuffix,
      String network,
      String trustDomain,
      List<String> policies,
      GatewayAddress waypoint,
      ApplicationTunnel tunnel) {}

  /**
   * A workload of a ServiceEntry endpoint (or of a host, {@code implicit}).
   *
   * @param services the services it backs, with their port names
   */
  static Workload serviceEntryWorkload(
      Config se, WorkloadEntry e, List<EntryService> services, Common common, String network) {
    Workload.Builder w =
        base(
            common.clusterId()
                + "/networking.istio.io/ServiceEntry/"
                + se.namespace()
                + "/"
                + se.name()
                + "/"
                + e.getAddress(),
            se.name(),
            se.namespace(),
            e,
            common,
            network);
    w.putAllServices(entryPorts(e, List.of(), services, common.domainSuffix()));
    w.setWorkloadName(se.name());
    canonical(w, labels(se), se.name());
    tunnel(w, labels(se), annotations(se));
    return w.build();
  }

  /** A WorkloadEntry's workload; its labels are the spec's and the metadata's (which win). */
  static Workload workloadEntryWorkload(
      Config we,
      Map<String, String> labels,
      List<io.fabric8.kubernetes.api.model.Service> kube,
      List<EntryService> services,
      Common common) {
    WorkloadEntry e = we.spec(WorkloadEntry.class);
    Workload.Builder w =
        base(
            common.clusterId()
                + "/networking.istio.io/WorkloadEntry/"
                + we.namespace()
                + "/"
                + we.name(),
            we.name(),
            we.namespace(),
            e,
            common,
            e.getNetwork().isEmpty() ? common.network() : e.getNetwork());
    w.putAllServices(entryPorts(e, kube, services, common.domainSuffix()));
    String name = annotations(we).get(AUTO_REGISTRATION_GROUP);
    if (name == null) {
      name = labels.getOrDefault(WorkloadNames.WORKLOAD_NAME_LABEL, we.name());
    }
    w.setWorkloadName(name);
    canonical(w, labels, name);
    tunnel(w, labels, annotations(we));
    return w.build();
  }

  private static Workload.Builder base(
      String uid, String name, String namespace, WorkloadEntry e, Common common, String network) {
    Workload.Builder w =
        Workload.newBuilder()
            .setUid(uid)
            .setName(name)
            .setNamespace(namespace)
            .setNetwork(network)
            .setClusterId(common.clusterId())
            .setServiceAccount(e.getServiceAccount())
            .addAllAuthorizationPolicies(common.policies())
            .setStatus(WorkloadStatus.HEALTHY)
            .setTrustDomain(
                common.trustDomain().equals("cluster.local") ? "" : common.trustDomain())
            .setWorkloadType(WorkloadType.POD);
    if (common.waypoint() != null) {
      w.setWaypoint(common.waypoint());
    }
    if (common.tunnel() != null) {
      w.setApplicationTunnel(common.tunnel());
    }
    Locality l = locality(e.getLocality());
    if (l != null) {
      w.setLocality(l);
    }
    if (e.getWeight() > 0) {
      w.setCapacity(UInt32Value.of(e.getWeight()));
    }
    ByteString ip = IpBytes.parse(e.getAddress());
    if (ip != null) {
      w.addAddresses(ip);
    } else {
      w.setHostname(e.getAddress());
    }
    return w;
  }

  /**
   * The port mapping of each service for an entry: a Kubernetes Service's named target port is
   * looked up in the entry's ports (left out if absent); a ServiceEntry's port takes the entry's
   * port of the same name if it has one.
   */
  private static Map<String, PortList> entryPorts(
      WorkloadEntry e,
      List<io.fabric8.kubernetes.api.model.Service> kube,
      List<EntryService> services,
      String domainSuffix) {
    Map<String, PortList> out = new LinkedHashMap<>();
    for (var s : kube) {
      PortList.Builder pl = PortList.newBuilder();
      if (s.getSpec() != null && s.getSpec().getPorts() != null) {
        for (var p : s.getSpec().getPorts()) {
          var tp = p.getTargetPort();
          int target = tp == null || tp.getIntVal() == null ? 0 : tp.getIntVal();
          String named = tp == null ? null : tp.getStrVal();
          if (named != null && !named.isEmpty()) {
            Integer v = e.getPortsMap().get(named);
            if (v == null) {
              continue;
            }
            target = v;
          }
          pl.addPorts(Port.newBuilder().setServicePort(p.getPort()).setTargetPort(target));
        }
      }
      String ns = s.getMetadata().getNamespace();
      out.put(
          ns + "/" + ServiceAddresses.hostname(s.getMetadata().getName(), ns, domainSuffix),
          pl.build());
    }
    for (EntryService s : services) {
      PortList.Builder pl = PortList.newBuilder();
      for (Port p : s.service().getPortsList()) {
        int target = p.getTargetPort();
        String name = s.portNames().get(p.getServicePort());
        if (name != null) {
          Integer v = e.getPortsMap().get(name);
          if (v != null) {
            target = v;
          } else if (target == 0) {
            target = p.getServicePort();
          }
        }
        pl.addPorts(Port.newBuilder().setServicePort(p.getServicePort()).setTargetPort(target));
      }
      out.put(s.key(), pl.build());
    }
    return out;
  }

  private static void canonical(Workload.Builder w, Map<String, String> labels, String fallback) {
    w.setCanonicalName(
        first(
            labels, fallback, "service.istio.io/canonical-name", "app.kubernetes.io/name", "app"));
    w.setCanonicalRevision(
        first(
            labels,
            "latest",
            "service.istio.io/canonical-revision",
            "app.kubernetes.io/version",
            "version"));
  }

  private static void tunnel(
      Workload.Builder w, Map<String, String> labels, Map<String, String> annotations) {
    if ("enabled".equals(annotations.get(PodWorkloads.REDIRECTION_ANNOTATION))) {
      w.setTunnelProtocol(TunnelProtocol.HBONE);
    }
    if (List.of(labels.getOrDefault(PodWorkloads.TUNNEL_LABEL, "").split(",", -1))
        .contains("http")) {
      w.setTunnelProtocol(TunnelProtocol.HBONE).setNativeTunnel(true);
    }
  }

  /** {@code region/zone/subzone}, any prefix of it; null if empty. */
  static Locality locality(String s) {
    if (s.isEmpty()) {
      return null;
    }
    String[] p = s.split("/", -1);
    String region = p[0];
    String zone = p.length > 1 ? p[1] : "";
    String subzone = p.length > 2 ? p[2] : "";
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

  static Map<String, String> labels(Config c) {
    return c.meta().labels() == null ? Map.of() : c.meta().labels();
  }

  static Map<String, String> annotations(Config c) {
    return c.meta().annotations() == null ? Map.of() : c.meta().annotations();
  }
}
