package io.jistiod.pilot.envoy.listener;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.jistiod.pilot.envoy.listener.HttpConnectionManagers.ListenerClass;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;

/**
 * The {@code connect_originate} internal listener of a sidecar or gateway that sends HBONE, and of
 * a waypoint: clusters hand it a tunneled endpoint's connection (their {@code hbone} transport
 * socket, a waypoint's {@code inbound-vip} endpoints and {@code encap}), and it sends the bytes in
 * an HTTP CONNECT to the destination the endpoint's metadata named, through the {@code
 * connect_originate} cluster. The CONNECT authority is that destination ({@code
 * %DOWNSTREAM_LOCAL_ADDRESS%}: what the original destination filter restored).
 */
final class ConnectOriginateListener {
  private ConnectOriginateListener() {}

  static final String NAME = "connect_originate";

  static Listener build(Proxy proxy, PushContext push) {
    // a waypoint's is part of its server side; a sidecar's or gateway's of its client side
    ListenerClass cls =
        proxy.type() == Proxy.NodeType.WAYPOINT
            ? ListenerClass.SIDECAR_INBOUND
            : AccessLogs.outboundClass(proxy);
    TcpProxy tcp =
        TcpProxy.newBuilder()
            .setStatPrefix(NAME)
            .setCluster(NAME)
            .setTunnelingConfig(
                TcpProxy.TunnelingConfig.newBuilder().setHostname("%DOWNSTREAM_LOCAL_ADDRESS%"))
            // the streams inside log elsewhere; here only failures to reach the peer
            .addAllAccessLog(AccessLogs.hboneOrigination(push, proxy, cls))
            .build();
    return Listener.newBuilder()
        .setName(NAME)
        .setUseOriginalDst(BoolValue.of(false))
        .setInternalListener(Listener.InternalListenerConfig.getDefaultInstance())
        .addListenerFilters(Filters.ORIGINAL_DST)
        .addAllAccessLog(AccessLogs.listener(push, proxy, cls))
        .addFilterChains(
            FilterChain.newBuilder()
                .addFilters(
                    Filter.newBuilder()
                        .setName("envoy.filters.network.tcp_proxy")
                        .setTypedConfig(Any.pack(tcp))))
        .build();
  }
}
