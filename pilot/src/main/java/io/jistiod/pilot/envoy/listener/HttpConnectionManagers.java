package io.jistiod.pilot.envoy.listener;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.Duration;
import com.google.protobuf.Message;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.grpc_stats.v3.FilterConfig;
import io.envoyproxy.envoy.extensions.filters.http.grpc_web.v3.GrpcWeb;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.ForwardClientCertDetails;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.PathWithEscapedSlashesAction;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.SetCurrentClientCertDetails;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.UpgradeConfig;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.pilot.envoy.telemetry.PeerMetadataFilters;
import io.jistiod.pilot.envoy.telemetry.StatsFilters;
import io.jistiod.pilot.model.Protocol;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.ArrayList;
import java.util.List;

/**
 * The HTTP connection manager istiod puts on every HTTP filter chain. Its settings depend on where
 * the chain is: a sidecar's outbound side, its inbound side, or a gateway (which faces clients
 * directly, so it trusts the peer address and sanitizes client certificate headers).
 *
 * <p>Like istiod it adds the telemetry filters of Istio's Envoy build: metadata exchange first (so
 * RBAC denials already know the peer), istio.alpn on every chain but the inbound side, istio.stats
 * ({@link StatsFilters}) after CORS.
 */
final class HttpConnectionManagers {
  private HttpConnectionManagers() {}

  /** Where an HTTP chain sits: it decides headers, address trust and client cert handling. */
  enum ListenerClass {
    SIDECAR_OUTBOUND,
    SIDECAR_INBOUND,
    GATEWAY
  }

  static final String SERVER_NAME = "istio-envoy";

  private static final HttpFilter GRPC_WEB =
      httpFilter("envoy.filters.http.grpc_web", GrpcWeb.getDefaultInstance());
  private static final HttpFilter GRPC_STATS =
      httpFilter(
          "envoy.filters.http.grpc_stats",
          FilterConfig.newBuilder()
              .setEmitFilterState(true)
              .setStatsForAllMethods(BoolValue.of(false))
              .build());
  private static final HttpFilter FAULT =
      httpFilter("envoy.filters.http.fault", HTTPFault.getDefaultInstance());
  private static final HttpFilter CORS =
      httpFilter("envoy.filters.http.cors", Cors.getDefaultInstance());
  private static final HttpFilter ROUTER =
      httpFilter("envoy.filters.http.router", Router.getDefaultInstance());

  /** The ADS config source with istiod's settings (no initial fetch timeout). */
  static final ConfigSource ADS =
      ConfigSource.newBuilder()
          .setAds(AggregatedConfigSource.getDefaultInstance())
          .setInitialFetchTimeout(Duration.getDefaultInstance())
          .setResourceApiVersion(ApiVersion.V3)
          .build();

  static HttpFilter httpFilter(String name, Message config) {
    return HttpFilter.newBuilder().setName(name).setTypedConfig(Any.pack(config)).build();
  }

  /** An HCM whose routes come over RDS as {@code routeConfigName}. */
  static Filter withRds(
      ListenerClass cls,
      String statPrefix,
      String routeConfigName,
      Protocol protocol,
      Proxy proxy,
      PushContext push) {
    HttpConnectionManager.Builder b = base(cls, statPrefix, protocol, proxy, push);
    b.setRds(Rds.newBuilder().setConfigSource(ADS).setRouteConfigName(routeConfigName));
    return Filters.network(Filters.HTTP_CONNECTION_MANAGER, b.build());
  }

  /** An HCM carrying its routes inline, as istiod does for inbound chains. */
  static Filter withRouteConfig(
      ListenerClass cls,
      String statPrefix,
      RouteConfiguration routes,
      Protocol protocol,
      Proxy proxy,
      PushContext push) {
    HttpConnectionManager.Builder b = base(cls, statPrefix, protocol, proxy, push);
    b.setRouteConfig(routes);
    return Filters.network(Filters.HTTP_CONNECTION_MANAGER, b.build());
  }

  /**
   * An inbound HCM with inline routes and the given security filters in place of the workload's
   * own: a waypoint's chains apply the policies of the service they serve.
   */
  static HttpConnectionManager.Builder inboundWithSecurity(
      String statPrefix,
      RouteConfiguration routes,
      Protocol protocol,
      Proxy proxy,
      PushContext push,
      List<HttpFilter> security) {
    HttpConnectionManager.Builder b =
        base(ListenerClass.SIDECAR_INBOUND, statPrefix, protocol, proxy, push, security);
    return b.setRouteConfig(routes);
  }

  /**
   * A waypoint chain's HCM: its service's policies, no metadata exchange (the tunnel's peer
   * metadata came through connect_terminate), and before the router the upstream peer metadata
   * filter and the stats filter (istiod puts them there for waypoints only).
   */
  static HttpConnectionManager.Builder waypoint(
      String statPrefix,
      RouteConfiguration routes,
      Protocol protocol,
      Proxy proxy,
      PushContext push,
      List<HttpFilter> security,
      List<HttpFilter> stats) {
    HttpConnectionManager.Builder b =
        inboundWithSecurity(statPrefix, routes, protocol, proxy, push, security);
    List<HttpFilter> filters = new ArrayList<>(b.getHttpFiltersList());
    HttpFilter router = filters.remove(filters.size() - 1);
    filters.add(PeerMetadataFilters.WAYPOINT_UPSTREAM);
    filters.addAll(stats);
    filters.add(router);
    return b.clearHttpFilters().addAllHttpFilters(filters);
  }

  private static HttpConnectionManager.Builder base(
      ListenerClass cls, String statPrefix, Protocol protocol, Proxy proxy, PushContext push) {
    return base(
        cls,
        statPrefix,
        protocol,
        proxy,
        push,
        cls == ListenerClass.SIDECAR_INBOUND || cls == ListenerClass.GATEWAY
            ? SecurityFilters.http(push, proxy)
            : List.of());
  }

  private static HttpConnectionManager.Builder base(
      ListenerClass cls,
      String statPrefix,
      Protocol protocol,
      Proxy proxy,
      PushContext push,
      List<HttpFilter> security) {
    return base(cls, statPrefix, protocol, proxy, push, security, mxFor(cls, proxy, push));
  }

  /**
   * The metadata exchange HTTP filter of a sidecar or gateway HCM; none for waypoints, whose chains
   * sit behind HBONE termination.
   */
  private static HttpFilter mxFor(ListenerClass cls, Proxy proxy, PushContext push) {
    if (proxy.type() == Proxy.NodeType.WAYPOINT) {
      return null;
    }
    if (cls == ListenerClass.SIDECAR_INBOUND) {
      return PeerMetadataFilters.SIDECAR_INBOUND;
    }
    return mxHeadersInMeshOnly(proxy, push)
        ? PeerMetadataFilters.SIDECAR_OUTBOUND_SKIP_EXTERNAL
        : PeerMetadataFilters.SIDECAR_OUTBOUND;
  }

  /**
   * Whether the proxy's ProxyConfig (PROXY_CONFIG from pilot-agent, else the mesh's defaultConfig)
   * sets proxyHeaders.metadataExchangeHeaders.mode IN_MESH: no MX headers to external services.
   */
  private static boolean mxHeadersInMeshOnly(Proxy proxy, PushContext push) {
    var pc = proxy.metadata().raw().getFieldsOrDefault("PROXY_CONFIG", null);
    if (pc != null && pc.hasStructValue()) {
      var headers = pc.getStructValue().getFieldsOrDefault("proxyHeaders", null);
      if (headers == null || !headers.hasStructValue()) {
        return false;
      }
      var mx = headers.getStructValue().getFieldsOrDefault("metadataExchangeHeaders", null);
      return mx != null
          && mx.hasStructValue()
          && "IN_MESH"
              .equals(
                  mx.getStructValue()
                      .getFieldsOrDefault("mode", Value.getDefaultInstance())
                      .getStringValue());
    }
    return push.meshConfig()
            .getDefaultConfig()
            .getProxyHeaders()
            .getMetadataExchangeHeaders()
            .getMode()
        == io.jistiod.galley.api.mesh.v1alpha1.ProxyConfig.ProxyHeaders.MetadataExchangeMode
            .IN_MESH;
  }

  static io.jistiod.pilot.telemetry.TelemetryMetrics.ListenerClass statsClass(ListenerClass cls) {
    return switch (cls) {
      case SIDECAR_INBOUND ->
          io.jistiod.pilot.telemetry.TelemetryMetrics.ListenerClass.SIDECAR_INBOUND;
      case SIDECAR_OUTBOUND ->
          io.jistiod.pilot.telemetry.TelemetryMetrics.ListenerClass.SIDECAR_OUTBOUND;
      case GATEWAY -> io.jistiod.pilot.telemetry.TelemetryMetrics.ListenerClass.GATEWAY;
    };
  }

  /** An HCM's base; {@code mx} the metadata exchange filter, or null for none. */
  static HttpConnectionManager.Builder base(
      ListenerClass cls,
      String statPrefix,
      Protocol protocol,
      Proxy proxy,
      PushContext push,
      List<HttpFilter> security,
      HttpFilter mx) {
    MeshConfig mesh = push.meshConfig();
    HttpConnectionManager.Builder b =
        HttpConnectionManager.newBuilder()
            .setStatPrefix(statPrefix)
            .setUseRemoteAddress(BoolValue.of(cls == ListenerClass.GATEWAY))
            .addUpgradeConfigs(UpgradeConfig.newBuilder().setUpgradeType("websocket"))
            .setStreamIdleTimeout(Duration.getDefaultInstance())
            .setPathWithEscapedSlashesAction(PathWithEscapedSlashesAction.KEEP_UNCHANGED)
            .setProxy100Continue(true);
    normalizePath(b, mesh);
    b.addAllAccessLog(AccessLogs.http(push, proxy, cls));
    switch (cls) {
      case SIDECAR_INBOUND -> {
        b.setServerName(SERVER_NAME)
            .setForwardClientCertDetails(ForwardClientCertDetails.APPEND_FORWARD)
            .setSetCurrentClientCertDetails(
                SetCurrentClientCertDetails.newBuilder()
                    .setSubject(BoolValue.of(true))
                    .setDns(true)
                    .setUri(true));
        if (protocol == Protocol.HTTP2 || protocol == Protocol.GRPC) {
          b.setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance());
        }
      }
      case GATEWAY ->
          b.setServerName(SERVER_NAME)
              .setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance())
              .setForwardClientCertDetails(ForwardClientCertDetails.SANITIZE_SET)
              .setSetCurrentClientCertDetails(
                  SetCurrentClientCertDetails.newBuilder()
                      .setSubject(BoolValue.of(true))
                      .setCert(true)
                      .setDns(true)
                      .setUri(true));
      default -> {}
    }
    HcmTracing.apply(b, cls, proxy, push);
    if (mx != null) {
      b.addHttpFilters(mx);
    }
    b.addAllHttpFilters(security);
    if (protocol == Protocol.GRPC_WEB) {
      b.addHttpFilters(GRPC_WEB);
    }
    b.addHttpFilters(GRPC_STATS);
    if (cls != ListenerClass.SIDECAR_INBOUND) {
      b.addHttpFilters(PeerMetadataFilters.ALPN_FILTER);
    }
    b.addHttpFilters(FAULT).addHttpFilters(CORS);
    if (proxy.type() != Proxy.NodeType.WAYPOINT) {
      // istiod leaves stats out of the HCMs it builds for waypoints (added before their router)
      b.addAllHttpFilters(StatsFilters.http(push, proxy, statsClass(cls)));
    }
    b.addHttpFilters(ROUTER);
    return b;
  }

  private static void normalizePath(HttpConnectionManager.Builder b, MeshConfig mesh) {
    switch (mesh.getPathNormalization().getNormalization()) {
      case NONE -> b.setNormalizePath(BoolValue.of(false));
      case MERGE_SLASHES -> b.setNormalizePath(BoolValue.of(true)).setMergeSlashes(true);
      case DECODE_AND_MERGE_SLASHES ->
          b.setNormalizePath(BoolValue.of(true))
              .setMergeSlashes(true)
              .setPathWithEscapedSlashesAction(PathWithEscapedSlashesAction.UNESCAPE_AND_FORWARD);
      default -> b.setNormalizePath(BoolValue.of(true));
    }
  }

  static String metadataString(Proxy proxy, String key, String fallback) {
    var v = proxy.metadata().raw().getFieldsMap().get(key);
    return v != null && v.hasStringValue() && !v.getStringValue().isEmpty()
        ? v.getStringValue()
        : fallback;
  }

  /** The typed extension config wrapper some Envoy fields take. */
  static TypedExtensionConfig extension(String name, Message config) {
    return TypedExtensionConfig.newBuilder().setName(name).setTypedConfig(Any.pack(config)).build();
  }
}
