package io.jistiod.pilot.grpcgen;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.NonForwardingAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.security.Authorizations;
import io.jistiod.pilot.security.MtlsMode;
import io.jistiod.pilot.security.PeerAuthentications;
import io.jistiod.pilot.xds.XdsResource;
import java.util.List;
import java.util.Map;

/**
 * The listener of a proxyless gRPC server ({@code xds.istio.io/grpc/lds/inbound/HOST:PORT}, named
 * by gRPC's server template), as Istio's grpcgen builds it: one filter chain, mutual TLS or
 * plaintext by the port's PeerAuthentication mode, whose HTTP connection manager runs the
 * AuthorizationPolicies as gRPC's RBAC filters, then the router over an inline route that accepts
 * every request.
 */
final class GrpcServerListeners {
  /** Prefix of the listener names gRPC's xDS servers ask for. */
  static final String PREFIX = "xds.istio.io/grpc/lds/inbound/";

  /** The pod label with which the injector marks workloads whose clients send Istio mTLS. */
  static final String TLS_MODE_LABEL = "security.istio.io/tlsMode";

  private static final HttpFilter ROUTER =
      HttpFilter.newBuilder()
          .setName("envoy.filters.http.router")
          .setTypedConfig(Any.pack(Router.getDefaultInstance()))
          .build();

  private static final RouteConfiguration ACCEPT_ALL =
      RouteConfiguration.newBuilder()
          .setName("inbound")
          .addVirtualHosts(
              VirtualHost.newBuilder()
                  // Istio leaves the name out; Envoy's API requires one.
                  .setName("inbound")
                  .addDomains("*")
                  .addRoutes(
                      Route.newBuilder()
                          .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                          .setNonForwardingAction(NonForwardingAction.getDefaultInstance())))
          .build();

  private GrpcServerListeners() {}

  /** The listener {@code name} asks for, or null if the name carries no port. */
  static XdsResource build(String name, Proxy proxy, PushContext push) {
    HostPort hp = HostPort.parse(name.substring(PREFIX.length()));
    if (hp.port() == 0) {
      return null;
    }
    MtlsMode mode =
        grpcMode(
            PeerAuthentications.inboundMode(push, proxy, hp.port()), proxy.metadata().labels());
    return XdsResource.of(
        name, listener(name, hp, mode, Authorizations.grpcServerFilters(push, proxy)));
  }

  /** The listener for a server mode (STRICT or DISABLE) and its authorization filters. */
  static Listener listener(String name, HostPort hp, MtlsMode mode, List<HttpFilter> authz) {
    String suffix = mode == MtlsMode.STRICT ? "mtls" : "plaintext";
    HttpConnectionManager hcm =
        HttpConnectionManager.newBuilder()
            // gRPC ignores stat_prefix, but Envoy's API requires one.
            .setStatPrefix("inbound_" + hp.port())
            .setRouteConfig(ACCEPT_ALL)
            .addAllHttpFilters(authz)
            // The router must be last.
            .addHttpFilters(ROUTER)
            .build();
    FilterChain.Builder chain =
        FilterChain.newBuilder()
            .setName("inbound-" + suffix)
            .addFilters(
                Filter.newBuilder()
                    // Istio's name: "inbound-hcm" and the suffix, without a separator.
                    .setName("inbound-hcm" + suffix)
                    .setTypedConfig(Any.pack(hcm)));
    if (mode == MtlsMode.STRICT) {
      chain.setTransportSocket(GrpcTls.server());
    }
    return Listener.newBuilder()
        .setName(name)
        .setAddress(
            Address.newBuilder()
                .setSocketAddress(
                    SocketAddress.newBuilder().setAddress(hp.host()).setPortValue(hp.port())))
        .addFilterChains(chain)
        .build();
  }

  /**
   * STRICT or DISABLE: gRPC's filter chain match cannot tell TLS from plaintext, so a server has
   * one chain. As istiod: PERMISSIVE becomes STRICT on a workload labelled {@code
   * security.istio.io/tlsMode: istio} (Envoy clients' auto mTLS sends mTLS to such workloads), else
   * plaintext.
   */
  static MtlsMode grpcMode(MtlsMode peerAuthentication, Map<String, String> labels) {
    if (peerAuthentication != MtlsMode.PERMISSIVE) {
      return peerAuthentication;
    }
    return "istio".equals(labels.get(TLS_MODE_LABEL)) ? MtlsMode.STRICT : MtlsMode.DISABLE;
  }
}
