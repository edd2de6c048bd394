package io.jistiod.galley.validation;

import io.jistiod.galley.api.networking.v1alpha3.ServiceEntry;
import io.jistiod.galley.api.networking.v1alpha3.ServiceEntry.Resolution;
import io.jistiod.galley.api.networking.v1alpha3.ServicePort;
import io.jistiod.galley.api.networking.v1alpha3.WorkloadEntry;
import io.jistiod.galley.config.Config;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Istio's rules for ServiceEntry. */
final class ServiceEntryValidator implements ConfigValidator {
  /** Label with which a ServiceEntry opts out of automatic IP allocation. */
  static final String AUTO_ALLOCATE_LABEL = "networking.istio.io/enable-autoallocate-ip";

  static final String USE_WAYPOINT_LABEL = "istio.io/use-waypoint";

  @Override
  public List<ValidationMessage> validate(Config config) {
    ServiceEntry se = config.spec(ServiceEntry.class);
    Findings f = new Findings();
    Resolution resolution = se.getResolution();
    if (se.hasWorkloadSelector()) {
      Labels.selector(
          true, se.getWorkloadSelector().getLabelsMap(), "spec.workloadSelector", "labels", f);
    }
    if (se.hasWorkloadSelector() && se.getEndpointsCount() > 0) {
      f.error("spec.endpoints", "workloadSelector and endpoints cannot be set together");
    }
    if (se.getHostsCount() == 0) {
      f.error("spec.hosts", "a service entry needs at least one host");
    }
    for (int i = 0; i < se.getHostsCount(); i++) {
      Deadline.check();
      String h = se.getHosts(i);
      String where = "spec.hosts[" + i + "]";
      if (h.equals("*")) {
        f.error(where, "the wildcard host \"*\" is not allowed in a service entry");
        continue;
      }
      f.errorIf(where, Hosts.wildcardDomainProblem(h));
      if (resolution != Resolution.DYNAMIC_DNS) {
        String partial = Hosts.partialWildcardProblem(h);
        if (partial != null) {
          f.warning(where, partial);
        }
      }
    }
    boolean cidr = false;
    for (int i = 0; i < se.getAddressesCount(); i++) {
      Deadline.check();
      String a = se.getAddresses(i);
      cidr |= a.contains("/");
      VirtualServiceValidator.subnet(a, "spec.addresses[" + i + "]", f);
    }
    if (cidr && resolution != Resolution.NONE && resolution != Resolution.STATIC) {
      f.error("spec.addresses", "CIDR addresses are allowed only with resolution NONE or STATIC");
    }
    boolean autoAllocation = autoAllocatesAddress(config, se);
    Set<Long> numbers = new HashSet<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < se.getPortsCount(); i++) {
      Deadline.check();
      ServicePort p = se.getPorts(i);
      String pp = "spec.ports[" + i + "]";
      if (!names.add(p.getName())) {
        f.error(pp + ".name", "port name \"" + p.getName() + "\" is already defined");
      }
      long number = Integer.toUnsignedLong(p.getNumber());
      if (!numbers.add(number)) {
        f.error(pp + ".number", "port " + number + " is already defined");
      }
      if (p.getTargetPort() != 0) {
        Ports.number(Integer.toUnsignedLong(p.getTargetPort()), pp + ".targetPort", f);
      }
      if (se.getAddressesCount() == 0
          && !autoAllocation
          && (p.getProtocol().isEmpty() || p.getProtocol().equals("TCP"))) {
        f.warning(
            pp + ".protocol",
            "ports serving TCP (or an unset protocol) need addresses when IP auto-allocation is"
                + " not enabled");
      }
      Ports.name(p.getName(), pp + ".name", f);
      Ports.protocol(p.getProtocol(), pp + ".protocol", f);
      Ports.number(number, pp + ".number", f);
    }
    switch (resolution) {
      case NONE:
        if (se.getEndpointsCount() > 0) {
          f.error("spec.endpoints", "resolution NONE takes no endpoints");
        }
        if (se.hasWorkloadSelector()) {
          f.warning("spec.workloadSelector", "workloadSelector has no effect with resolution NONE");
        }
        break;
      case STATIC:
        for (int i = 0; i < se.getEndpointsCount(); i++) {
          Deadline.check();
          WorkloadEntryValidator.check(
              se.getEndpoints(i), names, false, "spec.endpoints[" + i + "]", f);
        }
        break;
      case DNS:
      case DNS_ROUND_ROBIN:
        dns(se, names, f);
        break;
      case DYNAMIC_DNS:
        dynamicDns(config, se, f);
        break;
      default:
        f.error("spec.resolution", "unsupported resolution " + resolution);
    }
    if (resolution != Resolution.NONE && se.getHostsCount() > 1) {
      for (int i = 0; i < se.getPortsCount(); i++) {
        Deadline.check();
        Protocols p = Protocols.parse(se.getPorts(i).getProtocol());
        if (!p.isHttp() && !p.isTls()) {
          f.error(
              "spec.ports[" + i + "].protocol",
              "several hosts need HTTP or TLS ports (plain TCP cannot tell the hosts apart)");
          break;
        }
      }
    }
    Common.exportTo(config.namespace(), se.getExportToList(), true, false, "spec.exportTo", f);
    return f.messages();
  }

  /** Istio allocates addresses unless resolution is NONE, addresses are given, or opted out. */
  static boolean autoAllocatesAddress(Config config, ServiceEntry se) {
    if (se.getResolution() == Resolution.NONE || se.getAddressesCount() > 0) {
      return false;
    }
    String optOut = config.meta().labels().get(AUTO_ALLOCATE_LABEL);
    return optOut == null || !optOut.equalsIgnoreCase("false");
  }

  private static void dns(ServiceEntry se, Set<String> servicePorts, Findings f) {
    Resolution resolution = se.getResolution();
    if (se.getEndpointsCount() == 0) {
      for (int i = 0; i < se.getHostsCount(); i++) {
        Deadline.check();
        String problem = Hosts.fqdnProblem(se.getHosts(i));
        if (problem != null) {
          f.error(
              "spec.hosts[" + i + "]",
              "without endpoints, resolution "
                  + resolution
                  + " needs FQDN hosts (no wildcards): "
                  + problem);
          break;
        }
      }
    }
    if (resolution == Resolution.DNS_ROUND_ROBIN && se.getEndpointsCount() > 1) {
      f.error("spec.endpoints", "resolution DNS_ROUND_ROBIN takes at most one endpoint");
    }
    for (int i = 0; i < se.getEndpointsCount(); i++) {
      Deadline.check();
      WorkloadEntry e = se.getEndpoints(i);
      String path = "spec.endpoints[" + i + "]";
      if (!Ips.isAddress(e.getAddress()) && Hosts.fqdnProblem(e.getAddress()) != null) {
        f.error(
            path + ".address",
            "endpoint address \"" + e.getAddress() + "\" is not a valid FQDN or IP address");
      }
      Labels.check(e.getLabelsMap(), path + ".labels", f);
      e.getPortsMap()
          .forEach(
              (name, number) -> {
                String where = Findings.key(path + ".ports", name);
                if (!servicePorts.contains(name)) {
                  f.error(
                      where, "endpoint port \"" + name + "\" is not a port of the ServiceEntry");
                }
                Ports.name(name, where, f);
                Ports.number(Integer.toUnsignedLong(number), where, f);
              });
    }
    if (se.getAddressesCount() > 0) {
      for (int i = 0; i < se.getPortsCount(); i++) {
        Deadline.check();
        if (Protocols.parse(se.getPorts(i).getProtocol()).isTcp()) {
          if (se.getHostsCount() > 1) {
            f.warning(
                "spec.hosts",
                "a service entry with addresses and a TCP port should have only one host");
          }
          break;
        }
      }
    }
  }

  private static void dynamicDns(Config config, ServiceEntry se, Findings f) {
    if (se.getHostsCount() == 0) {
      f.error("spec.hosts", "resolution DYNAMIC_DNS needs at least one wildcard host");
    }
    for (int i = 0; i < se.getHostsCount(); i++) {
      Deadline.check();
      if (!Hosts.isWildcarded(se.getHosts(i))) {
        f.error("spec.hosts[" + i + "]", "resolution DYNAMIC_DNS needs wildcard hosts");
      }
    }
    if (se.getAddressesCount() > 0) {
      f.error(
          "spec.addresses",
          "resolution DYNAMIC_DNS takes no addresses: routes are built from the hosts");
    }
    if (se.getEndpointsCount() > 0) {
      f.error(
          "spec.endpoints",
          "resolution DYNAMIC_DNS takes no endpoints: destinations are resolved from the hosts");
    }
    for (int i = 0; i < se.getPortsCount(); i++) {
      Deadline.check();
      Protocols p = Protocols.parse(se.getPorts(i).getProtocol());
      if (p != Protocols.HTTP
          && p != Protocols.TLS
          && p != Protocols.GRPC
          && p != Protocols.HTTP2) {
        f.error(
            "spec.ports[" + i + "].protocol",
            "resolution DYNAMIC_DNS supports only HTTP, TLS, GRPC and HTTP2 ports");
      }
    }
    if (se.getLocation() == ServiceEntry.Location.MESH_INTERNAL) {
      String waypoint = config.meta().labels().get(USE_WAYPOINT_LABEL);
      if (waypoint != null && !waypoint.isEmpty() && !waypoint.equalsIgnoreCase("none")) {
        f.error(
            "spec.location",
            "location MESH_INTERNAL with resolution DYNAMIC_DNS is not supported with waypoints");
      }
    }
  }
}
