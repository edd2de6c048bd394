package io.jistiod.galley.validation;

import io.jistiod.galley.api.networking.v1alpha3.WorkloadEntry;
import io.jistiod.galley.config.Config;
import java.util.List;
import java.util.Set;

/** Istio's rules for WorkloadEntry, also used for ServiceEntry STATIC endpoints. */
final class WorkloadEntryValidator implements ConfigValidator {
  @Override
  public List<ValidationMessage> validate(Config config) {
    Findings f = new Findings();
    // A standalone entry may use a DNS name; its ports cannot be checked against a service.
    check(config.spec(WorkloadEntry.class), null, true, "spec", f);
    return f.messages();
  }

  /**
   * @param servicePorts port names of the enclosing ServiceEntry, or null for a standalone entry
   * @param allowFqdn whether the address may be a DNS name (it must be an IP for STATIC)
   */
  static void check(
      WorkloadEntry we, Set<String> servicePorts, boolean allowFqdn, String path, Findings f) {
    String addr = we.getAddress();
    if (addr.isEmpty()) {
      if (we.getNetwork().isEmpty()) {
        f.error(path + ".address", "address is required (unless a network is set)");
        return;
      }
      f.warning(path + ".address", "address is unset; network \"" + we.getNetwork() + "\" is set");
    }
    boolean unix = addr.startsWith(Common.UNIX_PREFIX);
    if (unix) {
      f.errorIf(
          path + ".address",
          Common.unixAddressProblem(addr.substring(Common.UNIX_PREFIX.length())));
      if (we.getPortsCount() > 0) {
        f.error(path + ".ports", "a unix domain socket endpoint " + addr + " cannot have ports");
      }
    } else if (!addr.isEmpty() && !Ips.isAddress(addr)) {
      if (!allowFqdn) {
        f.error(path + ".address", "endpoint address \"" + addr + "\" is not a valid IP address");
      } else if (Hosts.fqdnProblem(addr) != null) {
        f.error(
            path + ".address",
            "endpoint address \"" + addr + "\" is not a valid FQDN or IP address");
      }
    }
    we.getPortsMap()
        .forEach(
            (name, number) -> {
              String where = Findings.key(path + ".ports", name);
              if (servicePorts != null && !servicePorts.contains(name)) {
                f.error(where, "endpoint port \"" + name + "\" is not a port of the ServiceEntry");
              }
              Ports.name(name, where, f);
              Ports.number(Integer.toUnsignedLong(number), where, f);
            });
    Labels.check(we.getLabelsMap(), path + ".labels", f);
    if (unix && servicePorts != null && servicePorts.size() != 1) {
      f.error(path + ".address", "a unix domain socket endpoint needs exactly one service port");
    }
  }
}
