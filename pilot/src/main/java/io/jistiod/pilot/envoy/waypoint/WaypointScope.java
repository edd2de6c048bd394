package io.jistiod.pilot.envoy.waypoint;

import io.jistiod.pilot.ambient.WaypointMembers;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.push.PushContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What one waypoint proxy serves in one push: the services that use it (their ports get the {@code
 * main_internal} chains and the {@code inbound-vip} clusters) and the IPs of the workloads that use
 * it (the direct chains). The proxy is known by its own Services (the ones whose endpoints are its
 * pod), as istiod's WaypointKey: their hostnames and cluster IPs.
 *
 * @param services by hostname, in istiod's order: creation time, then name, then namespace
 */
public record WaypointScope(Map<String, Service> services, List<String> workloadIps) {
  public WaypointScope {
    services = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(services));
    workloadIps = List.copyOf(workloadIps);
  }

  /** The scope of {@code proxy}, computed once per push for every proxy of the same waypoint. */
  public static WaypointScope of(Proxy proxy, PushContext push) {
    TreeSet<String> hostnames = new TreeSet<>();
    TreeSet<String> ips = new TreeSet<>();
    for (PushContext.ServiceTarget t : push.serviceTargets(proxy)) {
      hostnames.add(t.service().hostname());
      ips.addAll(t.service().addresses());
    }
    String network = proxy.metadata().network() == null ? "" : proxy.metadata().network();
    String key = proxy.configNamespace() + "|" + network + "|" + hostnames + "|" + ips;
    return push.index(Cache.class, p -> new Cache())
        .scopes
        .computeIfAbsent(key, k -> build(push, proxy.configNamespace(), network, hostnames, ips));
  }

  /** Whether the waypoint serves {@code hostname} (routes to it stay on the waypoint). */
  public boolean serves(String hostname) {
    return services.containsKey(hostname);
  }

  public Optional<Service> service(String hostname) {
    return Optional.ofNullable(services.get(hostname));
  }

  private static WaypointScope build(
      PushContext push,
      String namespace,
      String network,
      java.util.Set<String> hostnames,
      java.util.Set<String> ips) {
    WaypointMembers members =
        WaypointMembers.of(push.addresses(), namespace, network, hostnames, ips);
    List<Service> found = new ArrayList<>();
    for (String name : members.services()) {
      int slash = name.indexOf('/');
      String ns = name.substring(0, slash);
      push.service(name.substring(slash + 1))
          .filter(s -> s.namespace().equals(ns))
          .ifPresent(found::add);
    }
    found.sort(
        Comparator.comparing((Service s) -> s.attributes().creationTime())
            .thenComparing(s -> s.attributes().name())
            .thenComparing(Service::namespace));
    Map<String, Service> byHost = new LinkedHashMap<>();
    for (Service s : found) {
      byHost.putIfAbsent(s.hostname(), s);
    }
    return new WaypointScope(byHost, members.workloadIps());
  }

  /** The push's scopes, by waypoint key. */
  private static final class Cache {
    final Map<String, WaypointScope> scopes = new ConcurrentHashMap<>();
  }
}
