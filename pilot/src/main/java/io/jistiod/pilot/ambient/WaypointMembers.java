package io.jistiod.pilot.ambient;

import io.jistiod.pilot.api.workload.Address;
import io.jistiod.pilot.api.workload.GatewayAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What a waypoint proxy serves, as istiod 1.27 looks it up for the proxy (its {@code WaypointKey}):
 * the services and workloads whose waypoint is one of the proxy's own Services, named either by
 * hostname (in the proxy's namespace) or by one of their cluster IPs (on the proxy's network).
 *
 * @param services the served services' {@code namespace/hostname} names, in name order
 * @param workloadIps the served workloads' IPs (text form), in workload name order
 */
public record WaypointMembers(List<String> services, List<String> workloadIps) {
  public static final WaypointMembers NONE = new WaypointMembers(List.of(), List.of());

  public WaypointMembers {
    services = List.copyOf(services);
    workloadIps = List.copyOf(workloadIps);
  }

  /**
   * The members of the waypoint whose own Services are {@code hostnames} (with cluster IPs {@code
   * ips}) in {@code namespace}, on {@code network}.
   */
  public static WaypointMembers of(
      AddressIndex index,
      String namespace,
      String network,
      Set<String> hostnames,
      Set<String> ips) {
    Objects.requireNonNull(index, "index");
    if (hostnames.isEmpty() && ips.isEmpty()) {
      return NONE;
    }
    Collection<Address> all = index.addresses();
    List<String> services = new ArrayList<>();
    List<String> workloadIps = new ArrayList<>();
    for (Address a : all) {
      if (a.hasService()) {
        var s = a.getService();
        if (s.hasWaypoint() && serves(s.getWaypoint(), namespace, network, hostnames, ips)) {
          services.add(AddressIndex.name(s));
        }
      } else if (a.hasWorkload()) {
        var w = a.getWorkload();
        if (w.hasWaypoint() && serves(w.getWaypoint(), namespace, network, hostnames, ips)) {
          w.getAddressesList().forEach(ip -> workloadIps.add(IpBytes.format(ip)));
        }
      }
    }
    return new WaypointMembers(services, workloadIps);
  }

  private static boolean serves(
      GatewayAddress w, String namespace, String network, Set<String> hostnames, Set<String> ips) {
    if (w.hasHostname()) {
      return w.getHostname().getNamespace().equals(namespace)
          && hostnames.contains(w.getHostname().getHostname());
    }
    if (w.hasAddress()) {
      return w.getAddress().getNetwork().equals(network)
          && ips.contains(IpBytes.format(w.getAddress().getAddress()));
    }
    return false;
  }
}
