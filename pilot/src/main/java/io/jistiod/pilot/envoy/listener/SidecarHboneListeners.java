package io.jistiod.pilot.envoy.listener;

import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.jistiod.pilot.envoy.listener.HttpConnectionManagers.ListenerClass;
import io.jistiod.pilot.envoy.waypoint.WaypointNames;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.ArrayList;
import java.util.List;

/**
 * The HBONE side of a sidecar that accepts it (its agent sends {@code ENABLE_HBONE}), as istiod
 * 1.27 builds it: {@code connect_terminate} on 15008, shared with waypoints, and an internal {@code
 * main_internal} listener that receives each terminated tunnel's stream and runs the workload's
 * ordinary inbound chains on it (by the original destination the tunnel named), as plaintext: the
 * tunnel itself was the mutual TLS.
 */
final class SidecarHboneListeners {
  private SidecarHboneListeners() {}

  /** {@code connect_terminate}, then {@code main_internal}. */
  static List<Listener> build(Proxy proxy, PushContext push) {
    return List.of(ConnectTerminateListener.build(proxy, push), mainInternal(proxy, push));
  }

  private static Listener mainInternal(Proxy proxy, PushContext push) {
    List<FilterChain> chains = new InboundListenerBuilder(proxy, push).tunnelChains();
    Listener.Builder l =
        Listener.newBuilder()
            .setName(WaypointNames.MAIN_INTERNAL)
            .setInternalListener(Listener.InternalListenerConfig.getDefaultInstance())
            .setTrafficDirection(TrafficDirection.INBOUND)
            .setContinueOnListenerFiltersTimeout(true)
            .addAllFilterChains(chains)
            .addListenerFilters(Filters.ORIGINAL_DST)
            .addAllAccessLog(AccessLogs.listener(push, proxy, ListenerClass.SIDECAR_INBOUND));
    // no chain matches on TLS any more (all plaintext), so at most the HTTP inspector remains
    l.addAllListenerFilters(Inspectors.forChains(new ArrayList<>(chains)));
    return l.build();
  }
}
