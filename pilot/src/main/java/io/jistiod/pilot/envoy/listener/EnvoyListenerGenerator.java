package io.jistiod.pilot.envoy.listener;

import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.jistiod.pilot.ambient.AmbientInterop;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.xds.XdsGenerator;
import io.jistiod.pilot.xds.XdsResource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * LDS for Envoy: a sidecar's outbound listeners with virtualOutbound and virtualInbound, or a
 * gateway's listeners from the Gateways that select it. Listeners are a wildcard type, so Envoy
 * normally asks for all of them; a named request gets just those names.
 */
public final class EnvoyListenerGenerator implements XdsGenerator {

  @Override
  public List<XdsResource> generate(Proxy proxy, PushContext push, Set<String> names) {
    List<Listener> listeners =
        switch (proxy.type()) {
          case SIDECAR -> SidecarListeners.build(proxy, push);
          case ROUTER -> new GatewayListenerBuilder(proxy, push).build();
          case WAYPOINT -> WaypointListeners.build(proxy, push);
          default -> List.of();
        };
    if (proxy.type() == Proxy.NodeType.SIDECAR || proxy.type() == Proxy.NodeType.ROUTER) {
      listeners = withConnectOriginate(proxy, push, listeners);
    }
    List<XdsResource> out = new ArrayList<>();
    for (Listener l : listeners) {
      if (names.isEmpty() || names.contains(l.getName())) {
        out.add(XdsResource.of(l.getName(), l));
      }
    }
    return out;
  }

  /**
   * With ambient mode's HBONE sending, every sidecar and gateway (not a waypoint, which has its
   * own) gets the internal listener that originates the tunnels, after its other listeners.
   */
  private static List<Listener> withConnectOriginate(
      Proxy proxy, PushContext push, List<Listener> listeners) {
    if (!AmbientInterop.of(push).sendHbone() || AmbientInterop.isWaypoint(proxy)) {
      return listeners;
    }
    List<Listener> out = new ArrayList<>(listeners);
    out.add(ConnectOriginateListener.build(proxy, push));
    return out;
  }
}
