package io.jistiod.pilot.envoy.listener;

import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The TLS and HTTP inspectors a listener with original-destination chains needs, enabled only on
 * the destination ports whose chains match on what they detect. Inspecting costs a read of the
 * first bytes and breaks server-first protocols, so istiod turns them off per port where it can.
 */
final class Inspectors {
  private Inspectors() {}

  private static final class Needs {
    boolean tls;
    boolean http;
  }

  /** The inspectors for {@code chains}, keyed by each chain's destination port (0 = any). */
  static List<ListenerFilter> forChains(List<FilterChain> chains) {
    Map<Integer, Needs> byPort = new TreeMap<>();
    for (FilterChain fc : chains) {
      int port = fc.getFilterChainMatch().getDestinationPort().getValue();
      Needs n = byPort.computeIfAbsent(port, p -> new Needs());
      n.tls |= Filters.TLS.equals(fc.getFilterChainMatch().getTransportProtocol());
      for (String ap : fc.getFilterChainMatch().getApplicationProtocolsList()) {
        n.http |= ap.equals("http/1.1") || ap.equals("h2c");
      }
    }
    List<ListenerFilter> out = new ArrayList<>();
    if (byPort.values().stream().anyMatch(n -> n.tls)) {
      out.add(tlsInspector(byPort));
    }
    if (byPort.values().stream().anyMatch(n -> n.http)) {
      List<Integer> off = new ArrayList<>();
      byPort.forEach(
          (p, n) -> {
            if (!n.http) {
              off.add(p);
            }
          });
      out.add(
          off.isEmpty()
              ? Filters.HTTP_INSPECTOR
              : Filters.HTTP_INSPECTOR.toBuilder()
                  .setFilterDisabled(Filters.destinationPorts(off))
                  .build());
    }
    return out;
  }

  /**
   * On by default (when the any-port chains need it) with the ports that do not turned off; else
   * off by default with only the ports that need it turned on.
   */
  private static ListenerFilter tlsInspector(Map<Integer, Needs> byPort) {
    Needs any = byPort.get(0);
    boolean defaultOn = any != null && any.tls;
    List<Integer> ports = new ArrayList<>();
    byPort.forEach(
        (p, n) -> {
          if (p != 0 && n.tls != defaultOn) {
            ports.add(p);
          }
        });
    if (ports.isEmpty()) {
      return Filters.TLS_INSPECTOR;
    }
    return Filters.TLS_INSPECTOR.toBuilder()
        .setFilterDisabled(
            defaultOn ? Filters.destinationPorts(ports) : Filters.notDestinationPorts(ports))
        .build();
  }
}
