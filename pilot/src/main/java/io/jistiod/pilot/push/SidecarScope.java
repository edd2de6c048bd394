package io.jistiod.pilot.push;

import io.jistiod.galley.api.networking.v1alpha3.HTTPMatchRequest;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRoute;
import io.jistiod.galley.api.networking.v1alpha3.IstioEgressListener;
import io.jistiod.galley.api.networking.v1alpha3.Sidecar;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.model.Hosts;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServicePort;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the proxies of one namespace and label set may reach, per the Sidecar resource that applies
 * to them (see {@link SidecarIndex} for the choice): the services exported to their namespace that
 * the Sidecar's egress hosts name, or all of them without a Sidecar. Computed once per (namespace,
 * labels) per push and shared by every such proxy.
 */
public final class SidecarScope {
  private final String namespace;
  private final Config sidecar;
  private final List<Service> services;
  private final Map<String, Service> byHost;

  private SidecarScope(String namespace, Config sidecar, List<Service> services) {
    this.namespace = namespace;
    this.sidecar = sidecar;
    this.services = List.copyOf(services);
    Map<String, Service> m = new HashMap<>();
    for (Service s : services) {
      m.put(s.hostname(), s);
    }
    this.byHost = Map.copyOf(m);
  }

  /**
   * The scope of {@code sidecar} (null: none applies) for proxies in {@code namespace}, as istiod
   * collects it per egress listener: the exported services its hosts import (only those with the
   * listener's port, trimmed to it, for a port-specific listener), then the destinations of the
   * mesh VirtualServices its hosts import (their ports only, when every destination names one), a
   * host imported twice keeping the ports of both.
   *
   * @param exported the services exported to {@code namespace}, in hostname order
   * @param meshVirtualServices the VirtualServices bound to the mesh that {@code namespace} sees
   */
  static SidecarScope of(
      String namespace,
      Config sidecar,
      List<Service> exported,
      List<PushContext.ResolvedVirtualService> meshVirtualServices,
      String domainSuffix) {
    if (sidecar == null) {
      return new SidecarScope(namespace, null, exported);
    }
    Map<String, Service> exportedByHost = new HashMap<>();
    exported.forEach(s -> exportedByHost.put(s.hostname(), s));
    List<IstioEgressListener> egress = sidecar.spec(Sidecar.class).getEgressList();
    if (egress.isEmpty()) {
      egress = List.of(IstioEgressListener.newBuilder().addHosts("*/*").build());
    }
    Map<String, Service> added = new java.util.TreeMap<>();
    for (IstioEgressListener e : egress) {
      List<String[]> hosts = egressHosts(e);
      int port =
          e.hasPort() && !"HTTP_PROXY".equalsIgnoreCase(e.getPort().getProtocol())
              ? e.getPort().getNumber()
              : 0;
      for (Service s : exported) {
        // istiod looks at the hosts imported from the service's own namespace first, then at the
        // */host imports; the aliases kept are those the same imports name
        Service kept = imported(hosts, s, s.namespace(), namespace);
        if (kept == null) {
          kept = imported(hosts, s, "*", namespace);
        }
        if (kept != null) {
          merge(added, port == 0 ? kept : withPorts(kept, Set.of(port)));
        }
      }
      for (PushContext.ResolvedVirtualService vs : meshVirtualServices) {
        if (vs.hosts().stream()
            .noneMatch(h -> includes(hosts, vs.config().namespace(), h, namespace))) {
          continue;
        }
        destinations(vs, namespace, domainSuffix)
            .forEach(
                (host, ports) -> {
                  Service s = exportedByHost.get(host);
                  if (s != null) {
                    merge(added, withPorts(s, port == 0 ? ports : Set.of(port)));
                  }
                });
      }
    }
    return new SidecarScope(namespace, sidecar, List.copyOf(added.values()));
  }

  /** {namespace, host pattern} of each {@code ns/host} host of one egress listener. */
  private static List<String[]> egressHosts(IstioEgressListener egress) {
    List<String[]> hosts = new ArrayList<>();
    for (String h : egress.getHostsList()) {
      int slash = h.indexOf('/');
      if (slash > 0) {
        hosts.add(new String[] {h.substring(0, slash), h.substring(slash + 1)});
      }
    }
    return hosts;
  }

  /** Whether an egress host imports {@code host} of {@code namespace} (a VirtualService's). */
  private static boolean includes(
      List<String[]> egressHosts, String namespace, String host, String proxyNamespace) {
    for (String[] h : egressHosts) {
      String ns = h[0].equals(".") ? proxyNamespace : h[0];
      if ((ns.equals("*") || ns.equals(namespace))
          && (Hosts.matches(h[1], host) || Hosts.matches(host, h[1]))) {
        return true;
      }
    }
    return false;
  }

  /**
   * The hosts a VirtualService routes or mirrors to (short names resolved in its namespace), each
   * with the ports its destinations name; 0 for a destination without one. HTTP routes matching
   * only other source namespaces are left out, as istiod does.
   */
  private static Map<String, Set<Integer>> destinations(
      PushContext.ResolvedVirtualService vs, String proxyNamespace, String domainSuffix) {
    Map<String, Set<Integer>> out = new java.util.LinkedHashMap<>();
    String ns = vs.config().namespace();
    java.util.function.Consumer<io.jistiod.galley.api.networking.v1alpha3.Destination> add =
        d ->
            out.computeIfAbsent(
                    Hosts.resolveShortName(d.getHost(), ns, domainSuffix),
                    h -> new java.util.HashSet<>())
                .add(d.hasPort() ? d.getPort().getNumber() : 0);
    VirtualService spec = vs.spec();
    for (HTTPRoute h : spec.getHttpList()) {
      boolean matched = true;
      for (HTTPMatchRequest m : h.getMatchList()) {
        if (!m.getSourceNamespace().isEmpty()) {
          matched = m.getSourceNamespace().equals(proxyNamespace);
          if (matched) {
            break;
          }
        }
      }
      if (!matched) {
        continue;
      }
      h.getRouteList().forEach(r -> add.accept(r.getDestination()));
      if (h.hasMirror()) {
        add.accept(h.getMirror());
      }
      h.getMirrorsList().forEach(m -> add.accept(m.getDestination()));
    }
    spec.getTcpList().forEach(t -> t.getRouteList().forEach(r -> add.accept(r.getDestination())));
    spec.getTlsList().forEach(t -> t.getRouteList().forEach(r -> add.accept(r.getDestination())));
    return out;
  }

  /**
   * {@code service} with only the ports in {@code ports} (all of them if {@code ports} holds 0 or
   * is empty); null if it has none of them.
   */
  private static Service withPorts(Service service, Set<Integer> ports) {
    if (ports.isEmpty() || ports.contains(0)) {
      return service;
    }
    List<ServicePort> kept =
        service.ports().stream().filter(p -> ports.contains(p.port())).toList();
    if (kept.isEmpty()) {
      return null;
    }
    return kept.size() == service.ports().size() ? service : withPortList(service, kept);
  }

  private static Service withPortList(Service s, List<ServicePort> ports) {
    return new Service(
        s.hostname(),
        s.namespace(),
        ports,
        s.addresses(),
        s.resolution(),
        s.exportTo(),
        s.attributes());
  }

  /** Adds {@code s}, or the ports it has that the one already added lacks (istiod's merge). */
  private static void merge(Map<String, Service> added, Service s) {
    if (s == null) {
      return;
    }
    Service existing = added.get(s.hostname());
    if (existing == null) {
      added.put(s.hostname(), s);
      return;
    }
    if (existing == s || existing.ports().equals(s.ports())) {
      return;
    }
    List<ServicePort> ports = new ArrayList<>(existing.ports());
    for (ServicePort p : s.ports()) {
      if (ports.stream().noneMatch(q -> q.port() == p.port())) {
        ports.add(p);
      }
    }
    added.put(s.hostname(), withPortList(existing, ports));
  }

  /**
   * {@code service} if an egress host of namespace {@code importNamespace} ({@code *}, or the
   * service's namespace, {@code .} standing for the proxy's) names it, with only the aliases those
   * hosts name too; null if none names it.
   */
  private static Service imported(
      List<String[]> egressHosts, Service service, String importNamespace, String namespace) {
    List<String> patterns = new ArrayList<>();
    for (String[] h : egressHosts) {
      String ns = h[0].equals(".") ? namespace : h[0];
      if (ns.equals(importNamespace)) {
        patterns.add(h[1]);
      }
    }
    if (patterns.stream().noneMatch(p -> Hosts.matches(p, service.hostname()))) {
      return null;
    }
    List<String> aliases = service.attributes().aliases();
    List<String> kept =
        aliases.stream().filter(a -> patterns.stream().anyMatch(p -> Hosts.matches(p, a))).toList();
    if (kept.size() == aliases.size()) {
      return service;
    }
    return new Service(
        service.hostname(),
        service.namespace(),
        service.ports(),
        service.addresses(),
        service.resolution(),
        service.exportTo(),
        service.attributes().withAliases(kept));
  }

  /** The namespace of the proxies this scope is for. */
  public String namespace() {
    return namespace;
  }

  /** The Sidecar resource this scope comes from; empty when none applies. */
  public Optional<Config> sidecar() {
    return Optional.ofNullable(sidecar);
  }

  /** The services in scope, in hostname order. */
  public List<Service> services() {
    return services;
  }

  /** The service {@code hostname} if it is in scope. */
  public Optional<Service> service(String hostname) {
    return Optional.ofNullable(byHost.get(hostname));
  }
}
