package io.jistiod.pilot.envoy.listener;

import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.networking.v1alpha3.Sidecar;
import io.jistiod.pilot.ambient.AmbientInterop;
import io.jistiod.pilot.envoy.telemetry.StatsFilters;
import io.jistiod.pilot.model.ClusterName;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.ArrayList;
import java.util.List;

/**
 * Every listener of a sidecar: the outbound ones, {@code virtualOutbound} (15001) that receives all
 * redirected outbound connections and hands them over by original destination, {@code
 * virtualInbound} (15006), and for a sidecar that accepts HBONE {@code connect_terminate} (15008)
 * and {@code main_internal}.
 */
final class SidecarListeners {
  static final String VIRTUAL_OUTBOUND = "virtualOutbound";

  private SidecarListeners() {}

  static List<Listener> build(Proxy proxy, PushContext push) {
    List<Listener> out = new ArrayList<>();
    List<Filter> fallthrough = catchAll(proxy, push);
    for (OutboundEntry e : new OutboundListenerBuilder(proxy, push).build()) {
      out.add(e.toListener(proxy, push, fallthrough));
    }
    if (!proxy.noInterception() || hasIngress(proxy, push)) {
      // without capture there are no capture listeners, and without a Sidecar ingress no inbound
      out.add(virtualOutbound(proxy, push));
      out.add(new InboundListenerBuilder(proxy, push).build());
    }
    if (AmbientInterop.of(push).listensHbone(proxy)) {
      // HBONE is received on a port of its own, captured or not
      out.addAll(SidecarHboneListeners.build(proxy, push));
    }
    return out;
  }

  private static boolean hasIngress(Proxy proxy, PushContext push) {
    return push.sidecarFor(proxy)
        .map(c -> c.spec(Sidecar.class))
        .map(s -> s.getIngressCount() > 0)
        .orElse(false);
  }

  static Listener virtualOutbound(Proxy proxy, PushContext push) {
    int port = push.meshConfig().getProxyListenPort();
    FilterChain blackhole =
        FilterChain.newBuilder()
            .setName("virtualOutbound-blackhole")
            .setFilterChainMatch(
                FilterChainMatch.newBuilder().setDestinationPort(UInt32Value.of(port)))
            .addAllFilters(outboundStats(proxy, push))
            .addFilters(Filters.tcpProxy(Filters.BLACKHOLE_CLUSTER, Filters.BLACKHOLE_CLUSTER))
            .build();
    FilterChain catchAll =
        FilterChain.newBuilder()
            .setName("virtualOutbound-catchall-tcp")
            .addAllFilters(catchAll(proxy, push))
            .build();
    Listener.Builder l =
        Listener.newBuilder()
            .setName(VIRTUAL_OUTBOUND)
            .setAddress(InboundListenerBuilder.address(OutboundListenerBuilder.WILDCARD, port))
            .setUseOriginalDst(BoolValue.of(true))
            .addFilterChains(blackhole)
            .addFilterChains(catchAll)
            .setTrafficDirection(TrafficDirection.OUTBOUND)
            .setMaxConnectionsToAcceptPerSocketEvent(UInt32Value.of(1))
            .addAllAccessLog(AccessLogs.listener(push, proxy, AccessLogs.outboundClass(proxy)));
    if (proxy.tproxyInterception()) {
      l.setTransparent(BoolValue.of(true)); // TPROXY keeps the original destination and source
    }
    return l.build();
  }

  /**
   * Where traffic to unknown destinations goes: through (ALLOW_ANY, the default; to the Sidecar's
   * egressProxy if it names one) or nowhere (REGISTRY_ONLY). A Sidecar's own outboundTrafficPolicy
   * wins over the mesh's.
   */
  static List<Filter> catchAll(Proxy proxy, PushContext push) {
    MeshConfig.OutboundTrafficPolicy.Mode mode =
        push.meshConfig().getOutboundTrafficPolicy().getMode();
    Sidecar sidecar = push.sidecarFor(proxy).map(c -> c.spec(Sidecar.class)).orElse(null);
    if (sidecar != null && sidecar.hasOutboundTrafficPolicy()) {
      mode =
          sidecar.getOutboundTrafficPolicy().getMode().getNumber() == 0
              ? MeshConfig.OutboundTrafficPolicy.Mode.REGISTRY_ONLY
              : MeshConfig.OutboundTrafficPolicy.Mode.ALLOW_ANY;
    }
    String cluster =
        mode == MeshConfig.OutboundTrafficPolicy.Mode.REGISTRY_ONLY
            ? Filters.BLACKHOLE_CLUSTER
            : Filters.PASSTHROUGH_CLUSTER;
    if (cluster.equals(Filters.PASSTHROUGH_CLUSTER)
        && sidecar != null
        && sidecar.getOutboundTrafficPolicy().hasEgressProxy()) {
      // the Sidecar names where traffic to unknown destinations goes instead: the egress proxy's
      // cluster, its port as given (istiod looks up no service for it)
      var egress = sidecar.getOutboundTrafficPolicy().getEgressProxy();
      cluster =
          ClusterName.outbound(egress.getHost(), egress.getPort().getNumber(), egress.getSubset())
              .toString();
    }
    List<Filter> out = new ArrayList<>(outboundStats(proxy, push));
    out.add(
        Filters.tcpProxy(
            TcpProxy.newBuilder()
                .setStatPrefix(cluster)
                .setCluster(cluster)
                .addAllAccessLog(AccessLogs.tcp(push, proxy, AccessLogs.outboundClass(proxy)))
                .build()));
    return out;
  }

  /** istio.stats ahead of the outbound side's catch-all TCP proxies, as istiod. */
  private static List<Filter> outboundStats(Proxy proxy, PushContext push) {
    return StatsFilters.network(
        push, proxy, HttpConnectionManagers.statsClass(AccessLogs.outboundClass(proxy)));
  }
}
