package io.jistiod.pilot.envoy.listener;

import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.List;

/** A gateway's listeners. */
final class GatewayListenerBuilder {
  private final Proxy proxy;
  private final PushContext push;

  GatewayListenerBuilder(Proxy proxy, PushContext push) {
    this.proxy = proxy;
    this.push = push;
  }

  List<Listener> build() {
    return List.of();
  }
}
