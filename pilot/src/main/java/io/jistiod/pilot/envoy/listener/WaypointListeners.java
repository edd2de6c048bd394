package io.jistiod.pilot.envoy.listener;

import com.github.xds.core.v3.CidrRange;
import com.github.xds.type.matcher.v3.IPMatcher;
import com.github.xds.type.matcher.v3.Matcher;
import com.google.protobuf.Any;
import com.google.protobuf.StringValue;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.SubstitutionFormatString;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.common.set_filter_state.v3.FilterStateValue;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.matching.common_inputs.network.v3.ApplicationProtocolInput;
import io.envoyproxy.envoy.extensions.matching.common_inputs.network.v3.DestinationIPInput;
import io.envoyproxy.envoy.extensions.matching.common_inputs.network.v3.DestinationPortInput;
import io.jistiod.pilot.envoy.listener.HttpConnectionManagers.ListenerClass;
import io.jistiod.pilot.envoy.route.InboundRouteConfigs;
import io.jistiod.pilot.envoy.route.WaypointRoutes;
import io.jistiod.pilot.envoy.telemetry.PeerMetadataFilters;
import io.jistiod.pilot.envoy.telemetry.StatsFilters;
import io.jistiod.pilot.envoy.waypoint.WaypointNames;
import io.jistiod.pilot.envoy.waypoint.WaypointScope;
import io.jistiod.pilot.model.Protocol;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServicePort;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.security.RequestAuthentications;
import io.jistiod.pilot.security.authz.AuthzFilters;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A waypoint proxy's listeners, as istiod 1.27 builds them:
 *
 * <ul>
 *   <li>{@code connect_terminate} on 15008: terminates the clients' HBONE (HTTP/2 CONNECT over
 *       mTLS), records the tunnel's destination and peer identity in the filter state, and hands
 *       each stream to {@code main_internal};
 *   <li>{@code main_internal}, an internal listener that picks a filter chain by destination: a
 *       served service's VIP and port select its {@code inbound-vip|PORT|http|HOST} chain (its
 *       routes and policies) or its {@code tcp} chain (sniffed ports get both); a served workload's
 *       own IP selects {@code direct-http} or {@code direct-tcp};
 *   <li>{@code connect_originate}, an internal listener that tunnels to the chosen endpoint over
 *       HBONE (cluster {@code connect_originate}).
 * </ul>
 *
 * Istio-only filters (peer metadata discovery, metadata exchange) are left out, as everywhere.
 */
public final class WaypointListeners {
  private static final String ORIGINAL_DST_KEY = "envoy.filters.listener.original_dst";

  private final Proxy proxy;
  private final PushContext push;
  private final WaypointScope scope;

  private WaypointListeners(Proxy proxy, PushContext push) {
    this.proxy = proxy;
    this.push = push;
    this.scope = WaypointScope.of(proxy, push);
  }

  /** The listeners of {@code proxy}, in istiod's order. */
  public static List<Listener> build(Proxy proxy, PushContext push) {
    WaypointListeners b = new WaypointListeners(proxy, push);
    return List.of(
        ConnectTerminateListener.build(proxy, push),
        b.mainInternal(),
        ConnectOriginateListener.build(proxy, push));
  }

  // ---- main_internal -----------------------------------------------------------------------

  private Listener mainInternal() {
    List<FilterChain> chains = new ArrayList<>();
    IPMatcher.Builder ips = IPMatcher.newBuilder();
    // per port: the protocol istiod records for the HTTP inspector (UNSUPPORTED = must sniff)
    Map<Integer, Protocol> portProtocols = new TreeMap<>();
    for (Service s : scope.services().values()) {
      Map<String, Matcher.OnMatch> ports = new TreeMap<>();
      for (ServicePort port : s.ports()) {
        if (port.protocol() == Protocol.UDP) {
          continue;
        }
        String tcpName = WaypointNames.inboundVip(port.port(), "tcp", s.hostname());
        String httpName = WaypointNames.inboundVip(port.port(), "http", s.hostname());
        String key = Integer.toString(port.port());
        Protocol before = portProtocols.get(port.port());
        if (port.protocol() == Protocol.UNSUPPORTED) {
          chains.add(tcpChain(s, port, tcpName));
          chains.add(httpChain(s, port, httpName));
          ports.put(key, toMatcher(appProtocol(httpName, tcpName)));
          portProtocols.put(port.port(), Protocol.UNSUPPORTED);
        } else if (port.protocol().isHttp()) {
          chains.add(httpChain(s, port, httpName));
          ports.put(key, toChain(httpName));
          portProtocols.put(
              port.port(),
              before != null && before != Protocol.HTTP ? Protocol.UNSUPPORTED : Protocol.HTTP);
        } else {
          chains.add(tcpChain(s, port, tcpName));
          ports.put(key, toChain(tcpName));
          portProtocols.put(
              port.port(),
              before != null && !isTcp(before) ? Protocol.UNSUPPORTED : port.protocol());
        }
      }
      if (!ports.isEmpty() && !s.addresses().isEmpty()) {
        IPMatcher.IPRangeMatcher.Builder range = IPMatcher.IPRangeMatcher.newBuilder();
        s.addresses().forEach(a -> range.addRanges(cidr(a)));
        range.setOnMatch(
            toMatcher(exactMap("port", DestinationPortInput.getDefaultInstance(), ports)));
        ips.addRangeMatchers(range);
      }
    }
    FilterChain directTcp =
        FilterChain.newBuilder()
            .setName(WaypointNames.DIRECT_TCP)
            .addFilters(connectAuthorityNetwork())
            .addFilters(PeerMetadataFilters.TCP_LISTENER_MX)
            .addAllFilters(networkAuthz(null))
            .addFilters(
                Filters.tcpProxy(
                    TcpProxy.newBuilder()
                        .setStatPrefix(WaypointNames.ENCAP)
                        .setCluster(WaypointNames.ENCAP)
                        .addAllAccessLog(AccessLogs.tcp(push, proxy, ListenerClass.SIDECAR_INBOUND))
                        .build()))
            .build();
    FilterChain directHttp =
        FilterChain.newBuilder()
            .setName(WaypointNames.DIRECT_HTTP)
            .addFilters(connectAuthorityNetwork())
            .addFilters(
                hcm(
                    "inbound_0.0.0.0_0;",
                    InboundRouteConfigs.build(WaypointNames.ENCAP, "", 0, Protocol.TCP),
                    Protocol.TCP,
                    null))
            .build();
    chains.add(directTcp);
    chains.add(directHttp);
    if (!scope.workloadIps().isEmpty()) {
      IPMatcher.IPRangeMatcher.Builder range = IPMatcher.IPRangeMatcher.newBuilder();
      scope.workloadIps().forEach(ip -> range.addRanges(cidr(ip)));
      range.setOnMatch(toMatcher(appProtocol(WaypointNames.DIRECT_HTTP, WaypointNames.DIRECT_TCP)));
      ips.addRangeMatchers(range);
    }
    Listener.Builder l =
        Listener.newBuilder()
            .setName(WaypointNames.MAIN_INTERNAL)
            .setInternalListener(Listener.InternalListenerConfig.getDefaultInstance())
            .addListenerFilters(Filters.ORIGINAL_DST)
            .addListenerFilters(httpInspector(portProtocols))
            .setTrafficDirection(TrafficDirection.INBOUND)
            .addAllFilterChains(chains)
            .addAllAccessLog(AccessLogs.listener(push, proxy, ListenerClass.SIDECAR_INBOUND))
            .setFilterChainMatcher(
                Matcher.newBuilder()
                    .setMatcherTree(
                        Matcher.MatcherTree.newBuilder()
                            .setInput(typed("ip", DestinationIPInput.getDefaultInstance()))
                            .setCustomMatch(typed("ip", ips.build()))));
    ListenerFilter tls = tlsInspector();
    if (tls != null) {
      l.addListenerFilters(tls);
    }
    return l.build();
  }

  private FilterChain tcpChain(Service s, ServicePort port, String cluster) {
    return FilterChain.newBuilder()
        .setName(cluster)
        .addFilters(PeerMetadataFilters.TCP_LISTENER_MX)
        .addAllFilters(networkAuthz(s))
        .addAllFilters(
            StatsFilters.network(
                push,
                proxy,
                io.jistiod.pilot.telemetry.TelemetryMetrics.ListenerClass.SIDECAR_INBOUND))
        .addFilters(Filters.tcpProxy(WaypointTcpProxy.build(proxy, push, scope, s, port, cluster)))
        .build();
  }

  private FilterChain httpChain(Service s, ServicePort port, String cluster) {
    RouteConfiguration routes = WaypointRoutes.build(proxy, push, s, port, cluster, scope::serves);
    return FilterChain.newBuilder()
        .setName(cluster)
        .addFilters(hcm("inbound_0.0.0.0_" + port.port() + ";", routes, port.protocol(), s))
        .build();
  }

  /** The inbound HCM of a waypoint chain, with the policies of {@code s} (null: a workload's). */
  private Filter hcm(String statPrefix, RouteConfiguration routes, Protocol protocol, Service s) {
    AuthzFilters authz = AuthzFilters.forWaypoint(push, proxy, s);
    // istiod's order: CUSTOM authorization, then JWT authentication, then the other actions
    List<HttpFilter> security = new ArrayList<>(authz.customHttp());
    security.addAll(RequestAuthentications.waypointHttpFilters(push, proxy, s));
    security.addAll(authz.localHttp());
    HttpConnectionManager.Builder b =
        HttpConnectionManagers.waypoint(
                statPrefix,
                routes,
                protocol,
                proxy,
                push,
                security,
                StatsFilters.http(
                    push,
                    proxy,
                    io.jistiod.pilot.telemetry.TelemetryMetrics.ListenerClass.SIDECAR_INBOUND))
            // the client's certificate ended at connect_terminate: nothing to forward or describe
            .clearForwardClientCertDetails()
            .clearSetCurrentClientCertDetails();
    return Filters.network(Filters.HTTP_CONNECTION_MANAGER, b.build());
  }

  private List<Filter> networkAuthz(Service s) {
    AuthzFilters authz = AuthzFilters.forWaypoint(push, proxy, s);
    List<Filter> out = new ArrayList<>(authz.customTcp());
    out.addAll(authz.localTcp());
    return out;
  }

  /** Carries the tunnel's destination on to the connection to connect_originate. */
  private static Filter connectAuthorityNetwork() {
    var cfg =
        io.envoyproxy.envoy.extensions.filters.network.set_filter_state.v3.Config.newBuilder()
            .addOnNewConnection(
                FilterStateValue.newBuilder()
                    .setObjectKey(ORIGINAL_DST_KEY + ".local_ip")
                    .setFormatString(
                        SubstitutionFormatString.newBuilder()
                            .setTextFormatSource(
                                DataSource.newBuilder()
                                    .setInlineString(
                                        "%FILTER_STATE(" + ORIGINAL_DST_KEY + ".local_ip:PLAIN)%")))
                    .setSharedWithUpstream(FilterStateValue.SharedWithUpstream.ONCE))
            .build();
    return Filters.network("connect_authority", cfg);
  }

  /**
   * The HTTP inspector, off for the ports known to carry only HTTP or only TCP (sniffing a
   * server-first protocol would wait for a timeout). A served workload takes any port, so with
   * workloads it is never off.
   */
  private ListenerFilter httpInspector(Map<Integer, Protocol> portProtocols) {
    if (!scope.workloadIps().isEmpty()) {
      return Filters.HTTP_INSPECTOR;
    }
    List<Integer> known = new ArrayList<>();
    portProtocols.forEach(
        (p, proto) -> {
          if (proto != Protocol.UNSUPPORTED) {
            known.add(p);
          }
        });
    if (known.isEmpty()) {
      return Filters.HTTP_INSPECTOR;
    }
    return Filters.HTTP_INSPECTOR.toBuilder()
        .setFilterDisabled(Filters.destinationPorts(known))
        .build();
  }

  /** The TLS inspector, off for the ports no served service carries TLS on; none if no such. */
  private ListenerFilter tlsInspector() {
    TreeSet<Integer> tls = new TreeSet<>();
    TreeSet<Integer> plain = new TreeSet<>();
    for (Service s : scope.services().values()) {
      for (ServicePort p : s.ports()) {
        if (p.protocol() == Protocol.HTTPS || p.protocol() == Protocol.TLS) {
          tls.add(p.port());
        } else {
          plain.add(p.port());
        }
      }
    }
    plain.removeAll(tls);
    if (plain.isEmpty()) {
      return null;
    }
    return Filters.TLS_INSPECTOR.toBuilder()
        .setFilterDisabled(Filters.destinationPorts(List.copyOf(plain)))
        .build();
  }

  private static boolean isTcp(Protocol p) {
    return switch (p) {
      case TCP, HTTPS, TLS, MONGO, REDIS, MYSQL -> true;
      default -> false;
    };
  }

  // ---- matchers ----------------------------------------------------------------------------

  private static com.github.xds.core.v3.TypedExtensionConfig typed(
      String name, com.google.protobuf.Message config) {
    return com.github.xds.core.v3.TypedExtensionConfig.newBuilder()
        .setName(name)
        .setTypedConfig(Any.pack(config))
        .build();
  }

  /** Selects the filter chain {@code name}. */
  static Matcher.OnMatch toChain(String name) {
    return Matcher.OnMatch.newBuilder().setAction(typed(name, StringValue.of(name))).build();
  }

  private static Matcher.OnMatch toMatcher(Matcher m) {
    return Matcher.OnMatch.newBuilder().setMatcher(m).build();
  }

  private static Matcher exactMap(
      String inputName, com.google.protobuf.Message input, Map<String, Matcher.OnMatch> map) {
    return Matcher.newBuilder()
        .setMatcherTree(
            Matcher.MatcherTree.newBuilder()
                .setInput(typed(inputName, input))
                .setExactMatchMap(Matcher.MatcherTree.MatchMap.newBuilder().putAllMap(map)))
        .build();
  }

  /** HTTP/1.1 and h2c (as the HTTP inspector reports them) to {@code http}, the rest to tcp. */
  private static Matcher appProtocol(String http, String tcp) {
    Map<String, Matcher.OnMatch> m = new TreeMap<>();
    m.put("'h2c'", toChain(http));
    m.put("'http/1.1'", toChain(http));
    return exactMap("application-protocol", ApplicationProtocolInput.getDefaultInstance(), m)
        .toBuilder()
        .setOnNoMatch(toChain(tcp))
        .build();
  }

  private static CidrRange cidr(String ip) {
    return CidrRange.newBuilder()
        .setAddressPrefix(ip)
        .setPrefixLen(UInt32Value.of(ip.indexOf(':') >= 0 ? 128 : 32))
        .build();
  }
}
