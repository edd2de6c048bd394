package io.jistiod.pilot.envoy.listener;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.KeepaliveSettings;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.SubstitutionFormatString;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.common.set_filter_state.v3.FilterStateValue;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.ForwardClientCertDetails;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.SetCurrentClientCertDetails;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.UpgradeConfig;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.pilot.envoy.listener.HttpConnectionManagers.ListenerClass;
import io.jistiod.pilot.envoy.waypoint.HboneTls;
import io.jistiod.pilot.envoy.waypoint.WaypointNames;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;

/**
 * {@code connect_terminate} on port 15008, the HBONE listener of a waypoint and of a sidecar that
 * accepts HBONE: terminates the client's HTTP/2 CONNECT over mTLS, records the tunnel's destination
 * (its authority) and the peers' identities in the filter state, and hands each stream to the
 * {@code main_internal} listener through the cluster of that name. Identical for both, as in istiod
 * 1.27.
 */
final class ConnectTerminateListener {
  private static final String ORIGINAL_DST_KEY = "envoy.filters.listener.original_dst";

  private ConnectTerminateListener() {}

  static Listener build(Proxy proxy, PushContext push) {
    MeshConfig mesh = push.meshConfig();
    Route connect =
        Route.newBuilder()
            .setMatch(
                RouteMatch.newBuilder()
                    .setConnectMatcher(RouteMatch.ConnectMatcher.getDefaultInstance()))
            .setRoute(
                RouteAction.newBuilder()
                    .setCluster(WaypointNames.MAIN_INTERNAL)
                    .addUpgradeConfigs(
                        RouteAction.UpgradeConfig.newBuilder()
                            .setUpgradeType("CONNECT")
                            .setConnectConfig(
                                RouteAction.UpgradeConfig.ConnectConfig.getDefaultInstance())))
            .build();
    HttpConnectionManager hcm =
        HttpConnectionManager.newBuilder()
            .setStatPrefix(WaypointNames.CONNECT_TERMINATE)
            .setRouteConfig(
                RouteConfiguration.newBuilder()
                    .setName("default")
                    .addVirtualHosts(
                        VirtualHost.newBuilder()
                            .setName("default")
                            .addDomains("*")
                            .addRoutes(connect)))
            .setForwardClientCertDetails(ForwardClientCertDetails.APPEND_FORWARD)
            .setSetCurrentClientCertDetails(
                SetCurrentClientCertDetails.newBuilder()
                    .setSubject(BoolValue.of(true))
                    .setUri(true)
                    .setDns(true))
            .setServerName(HttpConnectionManagers.SERVER_NAME)
            .setUseRemoteAddress(BoolValue.of(false))
            // the streams inside log at main_internal; here only tunnels that failed
            .addAllAccessLog(AccessLogs.hboneTermination(push, proxy))
            .setStreamIdleTimeout(Duration.getDefaultInstance())
            .addUpgradeConfigs(UpgradeConfig.newBuilder().setUpgradeType("CONNECT"))
            .setHttp2ProtocolOptions(
                Http2ProtocolOptions.newBuilder()
                    .setAllowConnect(true)
                    // every stream of a tunnel lands on one worker: keep them few, and prune
                    // tunnels whose client stopped answering (ztunnel's own keepalive settings)
                    .setMaxConcurrentStreams(UInt32Value.of(100))
                    .setConnectionKeepalive(
                        KeepaliveSettings.newBuilder()
                            .setInterval(Duration.newBuilder().setSeconds(10))
                            .setTimeout(Duration.newBuilder().setSeconds(20))))
            .addHttpFilters(
                io.jistiod.pilot.envoy.telemetry.PeerMetadataFilters.WAYPOINT_DOWNSTREAM)
            .addHttpFilters(connectAuthority())
            .addHttpFilters(
                HttpConnectionManagers.httpFilter(
                    "envoy.filters.http.router",
                    io.envoyproxy.envoy.extensions.filters.http.router.v3.Router
                        .getDefaultInstance()))
            .build();
    FilterChain chain =
        FilterChain.newBuilder()
            .setName("default")
            .setTransportSocket(
                TransportSocket.newBuilder()
                    .setName("tls")
                    .setTypedConfig(
                        Any.pack(
                            DownstreamTlsContext.newBuilder()
                                .setCommonTlsContext(HboneTls.common(mesh))
                                .setRequireClientCertificate(BoolValue.of(true))
                                .build())))
            .addFilters(Filters.network(Filters.HTTP_CONNECTION_MANAGER, hcm))
            .build();
    boolean v6Only =
        !proxy.ipAddresses().isEmpty()
            && proxy.ipAddresses().stream().allMatch(ip -> ip.indexOf(':') >= 0);
    return Listener.newBuilder()
        .setName(WaypointNames.CONNECT_TERMINATE)
        .setAddress(
            Address.newBuilder()
                .setSocketAddress(
                    SocketAddress.newBuilder()
                        .setAddress(v6Only ? "::" : "0.0.0.0")
                        .setPortValue(WaypointNames.HBONE_PORT)))
        .addFilterChains(chain)
        // few long-lived tunnels, each carrying many streams: spread them over the workers
        .setConnectionBalanceConfig(
            Listener.ConnectionBalanceConfig.newBuilder()
                .setExactBalance(
                    Listener.ConnectionBalanceConfig.ExactBalance.getDefaultInstance()))
        .addAllAccessLog(AccessLogs.listener(push, proxy, ListenerClass.SIDECAR_INBOUND))
        .build();
  }

  /**
   * Saves the tunnel's destination (the CONNECT authority), its source and the peers' identities in
   * the filter state, shared with the upstream connection (main_internal reads them).
   */
  private static HttpFilter connectAuthority() {
    var cfg =
        io.envoyproxy.envoy.extensions.filters.http.set_filter_state.v3.Config.newBuilder()
            .addOnRequestHeaders(state(ORIGINAL_DST_KEY + ".local_ip", "%REQ(:AUTHORITY)%", false))
            .addOnRequestHeaders(state("io.istio.connect_authority", "%REQ(:AUTHORITY)%", true))
            .addOnRequestHeaders(
                state(ORIGINAL_DST_KEY + ".remote_ip", "%DOWNSTREAM_REMOTE_ADDRESS%", false))
            .addOnRequestHeaders(
                state("io.istio.peer_principal", "%DOWNSTREAM_PEER_URI_SAN%", true))
            .addOnRequestHeaders(
                state("io.istio.local_principal", "%DOWNSTREAM_LOCAL_URI_SAN%", true))
            .build();
    return HttpConnectionManagers.httpFilter("connect_authority", cfg);
  }

  private static FilterStateValue state(String key, String format, boolean string) {
    FilterStateValue.Builder v =
        FilterStateValue.newBuilder()
            .setObjectKey(key)
            .setFormatString(
                SubstitutionFormatString.newBuilder()
                    .setTextFormatSource(DataSource.newBuilder().setInlineString(format)))
            .setSharedWithUpstream(FilterStateValue.SharedWithUpstream.ONCE);
    if (string) {
      v.setFactoryKey("envoy.string");
    }
    return v.build();
  }
}
