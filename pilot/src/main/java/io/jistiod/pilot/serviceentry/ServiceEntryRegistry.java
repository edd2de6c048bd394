package io.jistiod.pilot.serviceentry;

import io.jistiod.galley.api.networking.v1alpha3.ServiceEntry;
import io.jistiod.galley.api.networking.v1alpha3.WorkloadEntry;
import io.jistiod.galley.api.networking.v1alpha3.WorkloadSelector;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigStore;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.pilot.model.Endpoint;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Protocol;
import io.jistiod.pilot.model.Resolution;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServiceAttributes;
import io.jistiod.pilot.model.ServiceDiscovery;
import io.jistiod.pilot.model.ServicePort;
import io.jistiod.pilot.model.WorkloadInstance;
import io.jistiod.pilot.networking.EnvoyEndpoints;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Services and endpoints from ServiceEntries, with endpoints inline or selected by {@code
 * workloadSelector} in the same namespace: WorkloadEntries, and the workloads (pods) of another
 * registry, as istiod's ServiceEntry controller takes Kubernetes pods as workload instances.
 */
public final class ServiceEntryRegistry implements ServiceDiscovery {
  private final ConfigStore store;
  private final String trustDomain;
  private final WorkloadInstance.Source instances;

  /** A registry for the default trust domain, {@code cluster.local}. */
  public ServiceEntryRegistry(ConfigStore store) {
    this(store, "cluster.local");
  }

  /** A registry whose WorkloadEntry service accounts become identities in {@code trustDomain}. */
  public ServiceEntryRegistry(ConfigStore store, String trustDomain) {
    this(store, trustDomain, WorkloadInstance.Source.NONE);
  }

  /**
   * @param workloads the pods (or other registries' workloads) a {@code workloadSelector} may also
   *     select
   */
  public ServiceEntryRegistry(
      ConfigStore store, String trustDomain, WorkloadInstance.Source workloads) {
    this.store = store;
    this.trustDomain = trustDomain;
    this.instances = java.util.Objects.requireNonNull(workloads, "workloads");
  }

  @Override
  public List<Service> services() {
    List<Service> out = new ArrayList<>();
    for (Config c : store.list(IstioKinds.SERVICE_ENTRY, null)) {
      out.addAll(servicesOf(c));
    }
    return out;
  }

  /** The services one ServiceEntry defines: one per host. */
  static List<Service> servicesOf(Config c) {
    List<Service> out = new ArrayList<>();
    ServiceEntry se = c.spec(ServiceEntry.class);
    List<ServicePort> ports = ports(se);
    for (String host : se.getHostsList()) {
      out.add(
          new Service(
              host,
              c.namespace(),
              ports,
              se.getAddressesList(),
              resolution(se.getResolution()),
              new HashSet<>(se.getExportToList()),
              new ServiceAttributes(
                  ServiceAttributes.EXTERNAL,
                  c.name(),
                  c.meta().labels(),
                  se.getWorkloadSelector().getLabelsMap(),
                  se.getLocation() == ServiceEntry.Location.MESH_EXTERNAL,
                  // orders the entries that define one host, as istiod (ServiceChoice)
                  c.meta().creationTimestamp().equals(java.time.Instant.EPOCH)
                      ? ""
                      : c.meta().creationTimestamp().toString(),
                  se.getSubjectAltNamesList())));
    }
    return out;
  }

  /** Only the ServiceEntries that define one of {@code hostnames} are read. */
  @Override
  public List<Endpoint> endpoints(Set<String> hostnames) {
    List<Endpoint> out = new ArrayList<>();
    for (Config c : store.list(IstioKinds.SERVICE_ENTRY, null)) {
      for (String host : c.spec(ServiceEntry.class).getHostsList()) {
        if (hostnames.contains(host)) {
          for (Endpoint e : endpointsOf(c)) {
            if (hostnames.contains(e.hostname())) {
              out.add(e);
            }
          }
          break;
        }
      }
    }
    return out;
  }

  @Override
  public List<Endpoint> endpoints() {
    List<Endpoint> out = new ArrayList<>();
    for (Config c : store.list(IstioKinds.SERVICE_ENTRY, null)) {
      out.addAll(endpointsOf(c));
    }
    return out;
  }

  private List<Endpoint> endpointsOf(Config c) {
    List<Endpoint> out = new ArrayList<>();
    ServiceEntry se = c.spec(ServiceEntry.class);
    List<Member> workloads = new ArrayList<>();
    for (WorkloadEntry inline : se.getEndpointsList()) {
      workloads.add(new Member(inline, "", c.namespace()));
    }
    if (se.hasWorkloadSelector()) {
      workloads.addAll(selected(c.namespace(), se.getWorkloadSelector()));
    }
    boolean dnsByHost =
        workloads.isEmpty()
            && !se.hasWorkloadSelector()
            && (se.getResolution() == ServiceEntry.Resolution.DNS
                || se.getResolution() == ServiceEntry.Resolution.DNS_ROUND_ROBIN);
    for (String host : se.getHostsList()) {
      // a DNS entry without endpoints resolves its own host name, as in istiod
      List<Member> hostWorkloads =
          dnsByHost
              ? List.of(new Member(WorkloadEntry.newBuilder().setAddress(host).build(), "", ""))
              : workloads;
      for (var port : se.getPortsList()) {
        for (Member m : hostWorkloads) {
          WorkloadEntry we = m.entry();
          int target =
              we.getPortsOrDefault(
                  port.getName(),
                  port.getTargetPort() != 0 ? port.getTargetPort() : port.getNumber());
          out.add(
              new Endpoint(
                  host,
                  port.getNumber(),
                  port.getName(),
                  we.getAddress(),
                  target,
                  we.getLabelsMap(),
                  Locality.parse(we.getLocality()),
                  we.getWeight() > 0 ? we.getWeight() : 1,
                  true,
                  identity(c.namespace(), we.getServiceAccount()),
                  tlsMode(we),
                  m.namespace(),
                  m.workloadName()));
        }
      }
      if (se.hasWorkloadSelector()) {
        out.addAll(selectedInstances(c, se, host));
      }
    }
    return out;
  }

  /**
   * Endpoints of {@code host} on the other registry's workloads the entry selects: each entry port
   * goes to the workload's container port of the same name, else the port's targetPort, else its
   * number, as istiod converts a workload instance.
   */
  private List<Endpoint> selectedInstances(Config c, ServiceEntry se, String host) {
    Map<String, String> selector = se.getWorkloadSelector().getLabelsMap();
    List<Endpoint> out = new ArrayList<>();
    for (WorkloadInstance wi : instances.inNamespace(c.namespace())) {
      Endpoint e = wi.endpoint();
      if (!e.matches(selector)) {
        continue;
      }
      for (var port : se.getPortsList()) {
        Integer named = wi.portMap().get(port.getName());
        int target =
            named != null && named > 0
                ? named
                : port.getTargetPort() != 0 ? port.getTargetPort() : port.getNumber();
        out.add(
            new Endpoint(
                host,
                port.getNumber(),
                port.getName(),
                e.address(),
                target,
                e.labels(),
                e.locality(),
                e.weight(),
                e.healthy(),
                e.serviceAccount(),
                e.tlsMode(),
                e.namespace(),
                e.workloadName(),
                e.healthKnown()));
      }
    }
    return out;
  }

  /**
   * The WorkloadEntries of {@code namespace} as workload instances a Kubernetes Service's selector
   * may select, as istiod's ServiceEntry controller hands them to the Kubernetes registry: those
   * with an IP address (not a host name or a Unix socket), their own ports as the port map.
   */
  public List<WorkloadInstance> workloadEntryInstances(String namespace) {
    List<WorkloadInstance> out = new ArrayList<>();
    for (Config c : store.list(IstioKinds.WORKLOAD_ENTRY, namespace)) {
      WorkloadEntry we = c.spec(WorkloadEntry.class);
      if (!isIp(we.getAddress()) || !WorkloadEntryHealth.served(c)) {
        continue;
      }
      out.add(
          new WorkloadInstance(
              new Endpoint(
                  "",
                  0,
                  "",
                  we.getAddress(),
                  0,
                  we.getLabelsMap(),
                  Locality.parse(we.getLocality()),
                  we.getWeight() > 0 ? we.getWeight() : 1,
                  true,
                  identity(c.namespace(), we.getServiceAccount()),
                  tlsMode(we),
                  c.namespace(),
                  workloadName(c)),
              we.getPortsMap()));
    }
    return out;
  }

  private static boolean isIp(String address) {
    return address.matches("\\d{1,3}(\\.\\d{1,3}){3}")
        || (address.indexOf(':') >= 0 && !address.startsWith("unix://"));
  }

  /**
   * A WorkloadEntry names a service account of the ServiceEntry's namespace; istiod turns it into
   * the SPIFFE identity clients then expect in the server's certificate.
   */
  private String identity(String namespace, String serviceAccount) {
    if (serviceAccount.isEmpty()) {
      return "";
    }
    return "spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
  }

  /** istiod: the entry's tlsMode label, else {@code istio} when it has an identity. */
  private static String tlsMode(WorkloadEntry we) {
    String label = we.getLabelsMap().get(EnvoyEndpoints.TLS_MODE_LABEL);
    if (label != null) {
      return label;
    }
    return we.getServiceAccount().isEmpty() ? "disabled" : "istio";
  }

  /**
   * An endpoint's source: inline ServiceEntry endpoints belong to no workload (no name; their
   * telemetry metadata leaves the namespace out too, see EnvoyEndpoints.workload) and are looked up
   * in the ServiceEntry's namespace for PeerAuthentication; a selected WorkloadEntry is a workload
   * of its namespace, named as istiod names it in telemetry metadata.
   */
  private record Member(WorkloadEntry entry, String workloadName, String namespace) {}

  private List<Member> selected(String namespace, WorkloadSelector selector) {
    Map<String, String> labels = selector.getLabelsMap();
    List<Member> out = new ArrayList<>();
    for (Config c : store.list(IstioKinds.WORKLOAD_ENTRY, namespace)) {
      WorkloadEntry we = c.spec(WorkloadEntry.class);
      if (we.getLabelsMap().entrySet().containsAll(labels.entrySet())
          && WorkloadEntryHealth.served(c)) {
        out.add(new Member(we, workloadName(c), c.namespace()));
      }
    }
    return out;
  }

  /**
   * As istiod: the entry's auto-registration group annotation, else its own (metadata) {@code
   * service.istio.io/workload-name} label, else its name.
   */
  private static String workloadName(Config c) {
    String group = c.meta().annotations().get("istio.io/autoRegistrationGroup");
    if (group != null) {
      return group;
    }
    return c.meta().labels().getOrDefault("service.istio.io/workload-name", c.name());
  }

  private static List<ServicePort> ports(ServiceEntry se) {
    List<ServicePort> out = new ArrayList<>();
    for (var p : se.getPortsList()) {
      Protocol protocol =
          p.getProtocol().isEmpty()
              ? Protocol.fromPortName(p.getName())
              : Protocol.parse(p.getProtocol());
      out.add(new ServicePort(p.getName(), p.getNumber(), protocol));
    }
    return out;
  }

  private static Resolution resolution(ServiceEntry.Resolution r) {
    switch (r) {
      case STATIC:
        return Resolution.STATIC;
      case DNS:
        return Resolution.DNS;
      case DNS_ROUND_ROBIN:
        return Resolution.DNS_ROUND_ROBIN;
      default:
        return Resolution.PASSTHROUGH;
    }
  }
}
