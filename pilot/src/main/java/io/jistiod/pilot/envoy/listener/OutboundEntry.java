package io.jistiod.pilot.envoy.listener;

import com.google.protobuf.BoolValue;
import com.google.protobuf.Duration;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.jistiod.pilot.envoy.listener.HttpConnectionManagers.ListenerClass;
import io.jistiod.pilot.envoy.listener.OutboundListenerBuilder.Bind;
import io.jistiod.pilot.model.Protocol;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.ServicePort;
import io.jistiod.pilot.push.PushContext;
import java.util.ArrayList;
import java.util.List;

/**
 * An outbound listener while services are merged into it. Lives only inside one generation (one
 * thread); {@link #toListener} turns it into the immutable Envoy resource.
 */
final class OutboundEntry {
  /** istiod gives every chain of an outbound or gateway listener 15 s for the TLS handshake. */
  static final Duration TRANSPORT_SOCKET_CONNECT_TIMEOUT =
      Duration.newBuilder().setSeconds(15).build();

  private final Bind bind;
  private final ServicePort port;
  private Protocol protocol;
  private final List<OutboundChain> chains;
  private boolean locked;

  OutboundEntry(Bind bind, ServicePort port, Protocol protocol, List<OutboundChain> chains) {
    this.bind = bind;
    this.port = port;
    this.protocol = protocol;
    this.chains = new ArrayList<>(chains);
  }

  String name() {
    return bind.address() + "_" + port.port();
  }

  Protocol protocol() {
    return protocol;
  }

  void setProtocol(Protocol protocol) {
    this.protocol = protocol;
  }

  boolean locked() {
    return locked;
  }

  void lock() {
    locked = true;
  }

  /** Adds the chains that do not match the same traffic as one already here. */
  void merge(List<OutboundChain> incoming) {
    for (OutboundChain c : incoming) {
      if (chains.stream().noneMatch(existing -> existing.conflictsWith(c))) {
        chains.add(c);
      }
    }
  }

  Listener toListener(Proxy proxy, PushContext push, List<Filter> fallthrough) {
    String name = name();
    Listener.Builder l =
        Listener.newBuilder()
            .setName(name)
            .setAddress(InboundListenerBuilder.address(bind.address(), port.port()))
            .setTrafficDirection(TrafficDirection.OUTBOUND)
            .setContinueOnListenerFiltersTimeout(true);
    if (!bind.bindToPort()) {
      l.setBindToPort(BoolValue.of(false));
    }
    boolean tlsInspector = chains.stream().anyMatch(c -> !c.sniHosts().isEmpty());
    boolean httpInspector = chains.stream().anyMatch(c -> !c.applicationProtocols().isEmpty());
    if (tlsInspector) {
      l.addListenerFilters(Filters.TLS_INSPECTOR);
    }
    if (httpInspector) {
      l.addListenerFilters(Filters.HTTP_INSPECTOR);
      l.setListenerFiltersTimeout(
          push.meshConfig().hasProtocolDetectionTimeout()
              ? push.meshConfig().getProtocolDetectionTimeout()
              : Duration.getDefaultInstance());
    } else {
      l.setListenerFiltersTimeout(Duration.getDefaultInstance());
    }
    FilterChain defaultChain = null;
    for (OutboundChain c : chains) {
      FilterChain.Builder fc =
          FilterChain.newBuilder()
              .setTransportSocketConnectTimeout(TRANSPORT_SOCKET_CONNECT_TIMEOUT);
      if (c.metadata() != null) {
        fc.setMetadata(c.metadata());
      }
      if (c.isHttp()) {
        fc.addFilters(
            HttpConnectionManagers.withRds(
                ListenerClass.SIDECAR_OUTBOUND,
                "outbound_" + name + ";",
                c.rds(),
                c.httpProtocol(),
                proxy,
                push));
      } else {
        // istiod runs the proxy's own authorization filters on outbound TCP chains too
        // (buildCompleteNetworkFilters has no listener-class check for TCP); HTTP chains are exempt
        fc.addAllFilters(SecurityFilters.network(push, proxy));
        fc.addAllFilters(c.networkFilters());
      }
      if (c.matchesAll()) {
        defaultChain = fc.build();
      } else {
        l.addFilterChains(fc.setFilterChainMatch(c.toMatch()));
      }
    }
    if (defaultChain != null && l.getFilterChainsCount() == 0) {
      l.addFilterChains(defaultChain);
    } else if (defaultChain != null) {
      l.setDefaultFilterChain(defaultChain);
    } else {
      l.setDefaultFilterChain(
          FilterChain.newBuilder()
              .setFilterChainMatch(FilterChainMatch.getDefaultInstance())
              .setName(Filters.PASSTHROUGH_FILTER_CHAIN)
              .addAllFilters(fallthrough));
    }
    return l.build();
  }
}
