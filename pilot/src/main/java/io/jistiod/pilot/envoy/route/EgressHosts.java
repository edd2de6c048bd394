package io.jistiod.pilot.envoy.route;

import io.jistiod.galley.api.networking.v1alpha3.IstioEgressListener;
import io.jistiod.galley.api.networking.v1alpha3.Sidecar;
import io.jistiod.pilot.model.Hosts;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushContext.ResolvedVirtualService;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code namespace/host} imports of the Sidecar egress listener istiod uses for one route
 * configuration: the listener for that port if the Sidecar declares one, else its catch-all
 * listener (the one without a port). Without a Sidecar everything is imported.
 */
final class EgressHosts {
  /** Everything: no Sidecar applies. */
  static final EgressHosts ALL = new EgressHosts(List.<String[]>of(new String[] {"*", "*"}));

  /** Nothing: the Sidecar has no listener for the port and no catch-all. */
  static final EgressHosts NONE = new EgressHosts(List.of());

  private final List<String[]> hosts; // {namespace, host pattern}

  private EgressHosts(List<String[]> hosts) {
    this.hosts = hosts;
  }

  static EgressHosts forPort(Proxy proxy, PushContext push, int port) {
    Sidecar sidecar = push.sidecarFor(proxy).map(c -> c.spec(Sidecar.class)).orElse(null);
    if (sidecar == null || sidecar.getEgressCount() == 0) {
      return ALL;
    }
    for (IstioEgressListener e : sidecar.getEgressList()) {
      if (!e.hasPort() || e.getPort().getNumber() == 0 || e.getPort().getNumber() == port) {
        List<String[]> hosts = new ArrayList<>();
        for (String h : e.getHostsList()) {
          int slash = h.indexOf('/');
          if (slash > 0) {
            String ns = h.substring(0, slash);
            hosts.add(
                new String[] {
                  ns.equals(".") ? proxy.configNamespace() : ns, h.substring(slash + 1)
                });
          }
        }
        return new EgressHosts(hosts);
      }
    }
    return NONE;
  }

  boolean imports(Service s) {
    for (String[] h : hosts) {
      if ((h[0].equals("*") || h[0].equals(s.namespace())) && Hosts.matches(h[1], s.hostname())) {
        return true;
      }
    }
    return false;
  }

  /** A VirtualService is imported when one of its hosts meets an import of its namespace. */
  boolean imports(ResolvedVirtualService vs) {
    String ns = vs.config().namespace();
    for (String[] h : hosts) {
      if (!h[0].equals("*") && !h[0].equals(ns)) {
        continue;
      }
      for (String vsHost : vs.hosts()) {
        if (Hosts.matches(h[1], vsHost) || Hosts.matches(vsHost, h[1])) {
          return true;
        }
      }
    }
    return false;
  }
}
