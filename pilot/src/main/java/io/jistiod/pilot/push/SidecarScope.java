package io.jistiod.pilot.push;

import io.jistiod.galley.api.networking.v1alpha3.Sidecar;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.model.Hosts;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Service;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Which services a proxy may reach, per the Sidecar resource that applies to it. Istio's choice: a
 * Sidecar in the proxy's namespace whose workloadSelector matches the proxy's labels, else the one
 * in its namespace without a selector, else the root namespace's one without a selector; with none,
 * every exported service is visible.
 */
final class SidecarScope {
  /** Visible-to-everyone scope, used when no Sidecar applies. */
  static final SidecarScope DEFAULT = new SidecarScope(null, List.of());

  private final Config sidecar;
  private final List<String[]> egressHosts; // {namespace, host pattern}

  private SidecarScope(Config sidecar, List<String[]> egressHosts) {
    this.sidecar = sidecar;
    this.egressHosts = egressHosts;
  }

  static SidecarScope select(List<Config> sidecars, String rootNamespace, Proxy proxy) {
    Map<String, String> labels = proxy.metadata().labels();
    Config namespaceDefault = null;
    Config rootDefault = null;
    for (Config c : sidecars) {
      Sidecar s = c.spec(Sidecar.class);
      if (c.namespace().equals(proxy.configNamespace())) {
        if (s.hasWorkloadSelector() && !s.getWorkloadSelector().getLabelsMap().isEmpty()) {
          if (labels.entrySet().containsAll(s.getWorkloadSelector().getLabelsMap().entrySet())) {
            return of(c);
          }
        } else if (namespaceDefault == null) {
          namespaceDefault = c;
        }
      } else if (c.namespace().equals(rootNamespace)
          && !(s.hasWorkloadSelector() && !s.getWorkloadSelector().getLabelsMap().isEmpty())
          && rootDefault == null) {
        rootDefault = c;
      }
    }
    if (namespaceDefault != null) {
      return of(namespaceDefault);
    }
    return rootDefault != null ? of(rootDefault) : DEFAULT;
  }

  private static SidecarScope of(Config c) {
    List<String[]> hosts = new ArrayList<>();
    for (var egress : c.spec(Sidecar.class).getEgressList()) {
      for (String h : egress.getHostsList()) {
        int slash = h.indexOf('/');
        if (slash > 0) {
          hosts.add(new String[] {h.substring(0, slash), h.substring(slash + 1)});
        }
      }
    }
    return new SidecarScope(c, hosts);
  }

  /** The Sidecar resource this scope comes from; empty when none applies. */
  java.util.Optional<Config> sidecar() {
    return java.util.Optional.ofNullable(sidecar);
  }

  /** Whether {@code service} is in this scope for a proxy in {@code proxyNamespace}. */
  boolean includes(Service service, String proxyNamespace) {
    if (sidecar == null) {
      return true;
    }
    for (String[] h : egressHosts) {
      String ns = h[0];
      boolean namespaceMatches =
          ns.equals("*")
              || (ns.equals(".") && service.namespace().equals(proxyNamespace))
              || ns.equals(service.namespace());
      if (namespaceMatches && Hosts.matches(h[1], service.hostname())) {
        return true;
      }
    }
    return false;
  }
}
