package io.jistiod.pilot.push;

import io.jistiod.galley.api.networking.v1alpha3.Sidecar;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.model.Hosts;
import io.jistiod.pilot.model.Service;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
   * The scope of {@code sidecar} (null: none applies) for proxies in {@code namespace}, from the
   * services exported to that namespace (hostname order).
   */
  static SidecarScope of(String namespace, Config sidecar, List<Service> exported) {
    if (sidecar == null) {
      return new SidecarScope(namespace, null, exported);
    }
    List<String[]> hosts = egressHosts(sidecar);
    List<Service> in = new ArrayList<>();
    for (Service s : exported) {
      // istiod looks at the hosts imported from the service's own namespace first, then at the
      // */host imports; the aliases kept are those the same imports name
      Service kept = imported(hosts, s, s.namespace(), namespace);
      if (kept == null) {
        kept = imported(hosts, s, "*", namespace);
      }
      if (kept != null) {
        in.add(kept);
      }
    }
    return new SidecarScope(namespace, sidecar, in);
  }

  /** {namespace, host pattern} of each {@code ns/host} egress host of the Sidecar. */
  private static List<String[]> egressHosts(Config c) {
    List<String[]> hosts = new ArrayList<>();
    for (var egress : c.spec(Sidecar.class).getEgressList()) {
      for (String h : egress.getHostsList()) {
        int slash = h.indexOf('/');
        if (slash > 0) {
          hosts.add(new String[] {h.substring(0, slash), h.substring(slash + 1)});
        }
      }
    }
    return hosts;
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
