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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

/**
 * Services and endpoints from ServiceEntries, with endpoints inline or selected from
 * WorkloadEntries in the same namespace by {@code workloadSelector}.
 */
public final class ServiceEntryRegistry implements ServiceDiscovery {
  private final ConfigStore store;

  public ServiceEntryRegistry(ConfigStore store) {
    this.store = store;
  }

  @Override
  public List<Service> services() {
    List<Service> out = new ArrayList<>();
    for (Config c : store.list(IstioKinds.SERVICE_ENTRY, null)) {
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
                    "",
                    se.getSubjectAltNamesList())));
      }
    }
    return out;
  }

  @Override
  public List<Endpoint> endpoints() {
    List<Endpoint> out = new ArrayList<>();
    for (Config c : store.list(IstioKinds.SERVICE_ENTRY, null)) {
      ServiceEntry se = c.spec(ServiceEntry.class);
      List<WorkloadEntry> workloads = new ArrayList<>(se.getEndpointsList());
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
        List<WorkloadEntry> hostWorkloads =
            dnsByHost ? List.of(WorkloadEntry.newBuilder().setAddress(host).build()) : workloads;
        for (var port : se.getPortsList()) {
          for (WorkloadEntry we : hostWorkloads) {
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
                    we.getServiceAccount(),
                    c.namespace(),
                    ""));
          }
        }
      }
    }
    return out;
  }

  private List<WorkloadEntry> selected(String namespace, WorkloadSelector selector) {
    Map<String, String> labels = selector.getLabelsMap();
    List<WorkloadEntry> out = new ArrayList<>();
    for (Config c : store.list(IstioKinds.WORKLOAD_ENTRY, namespace)) {
      WorkloadEntry we = c.spec(WorkloadEntry.class);
      if (we.getLabelsMap().entrySet().containsAll(labels.entrySet())) {
        out.add(we);
      }
    }
    return out;
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
