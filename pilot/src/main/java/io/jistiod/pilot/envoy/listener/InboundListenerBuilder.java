package io.jistiod.pilot.envoy.listener;

import com.google.protobuf.BoolValue;
import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.jistiod.galley.api.networking.v1alpha3.IstioIngressListener;
import io.jistiod.galley.api.networking.v1alpha3.ServerTLSSettings;
import io.jistiod.galley.api.networking.v1alpha3.Sidecar;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.envoy.listener.HttpConnectionManagers.ListenerClass;
import io.jistiod.pilot.envoy.route.InboundRouteConfigs;
import io.jistiod.pilot.envoy.telemetry.PeerMetadataFilters;
import io.jistiod.pilot.envoy.telemetry.StatsFilters;
import io.jistiod.pilot.model.Protocol;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushContext.ServiceTarget;
import io.jistiod.pilot.security.EffectivePeerAuthentication;
import io.jistiod.pilot.security.MtlsMode;
import io.jistiod.pilot.security.PeerAuthentications;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A sidecar's {@code virtualInbound} listener (15006): iptables sends every inbound connection
 * there, and original_dst restores the port it was meant for. Filter chains match that port: one
 * set per port the workload serves (its service targets, or the Sidecar's ingress listeners), then
 * passthrough chains for every other port.
 *
 * <p>Each port's chains follow its PeerAuthentication mode ({@link InboundChainOptions}): STRICT
 * takes Istio mutual TLS only, PERMISSIVE (the default) also plaintext, told apart by the TLS
 * inspector and ALPN, DISABLE plaintext only. The passthrough chains take the workload's mode.
 */
final class InboundListenerBuilder {
  static final String NAME = "virtualInbound";
  static final String BLACKHOLE_CHAIN = "virtualInbound-blackhole";
  static final String CATCHALL_HTTP_CHAIN = "virtualInbound-catchall-http";

  private final Proxy proxy;
  private final PushContext push;

  InboundListenerBuilder(Proxy proxy, PushContext push) {
    this.proxy = proxy;
    this.push = push;
  }

  /**
   * A port the workload accepts on, and what it is.
   *
   * @param bind the address in the chain's name: the wildcard, or the pod IP for a Sidecar ingress
   *     listener
   * @param metadata the Sidecar the port comes from, or null
   * @param tls the Sidecar ingress listener's own TLS termination, or null
   */
  record InboundPort(
      int targetPort,
      int servicePort,
      String hostname,
      Protocol protocol,
      String bind,
      Metadata metadata,
      ServerTLSSettings tls) {}

  Listener build() {
    int inboundPort = push.meshConfig().getProxyInboundListenPort();
    List<FilterChain> chains = new ArrayList<>();
    chains.add(
        FilterChain.newBuilder()
            .setName(BLACKHOLE_CHAIN)
            .setFilterChainMatch(
                FilterChainMatch.newBuilder().setDestinationPort(UInt32Value.of(inboundPort)))
            .addFilters(PeerMetadataFilters.TCP_LISTENER_MX)
            .addAllFilters(stats())
            .addFilters(Filters.tcpProxy(Filters.BLACKHOLE_CLUSTER, Filters.BLACKHOLE_CLUSTER))
            .build());
    EffectivePeerAuthentication peer = PeerAuthentications.forProxy(push, proxy);
    List<InboundPort> ports = ports();
    chains.addAll(passthroughChains(0, peer.forPort(0), false));
    // a port-level mode for a port no service declares still applies: it gets passthrough chains
    // of its own (istiod builds these in map order; sorted here so the output is stable)
    java.util.Set<Integer> served = new java.util.HashSet<>();
    ports.forEach(p -> served.add(p.targetPort()));
    for (var e : peer.perPort().entrySet()) {
      if (!served.contains(e.getKey())) {
        chains.addAll(passthroughChains(e.getKey(), e.getValue(), false));
      }
    }
    for (InboundPort p : ports) {
      chains.addAll(portChains(p, peer.forPort(p.targetPort()), false));
    }
    Listener.Builder l =
        Listener.newBuilder()
            .setName(NAME)
            .setAddress(address("0.0.0.0", inboundPort))
            .setTrafficDirection(TrafficDirection.INBOUND)
            .setContinueOnListenerFiltersTimeout(true)
            .setMaxConnectionsToAcceptPerSocketEvent(UInt32Value.of(1))
            .addAllFilterChains(chains)
            .setListenerFiltersTimeout(detectionTimeout())
            .addAllAccessLog(AccessLogs.listener(push, proxy, ListenerClass.SIDECAR_INBOUND));
    l.addListenerFilters(Filters.ORIGINAL_DST);
    if (proxy.tproxyInterception()) {
      l.setTransparent(BoolValue.of(true));
      l.addListenerFilters(Filters.ORIGINAL_SRC);
    }
    l.addAllListenerFilters(Inspectors.forChains(chains));
    return l.build();
  }

  /**
   * The chains of the workload's ports as they sit behind HBONE termination (a sidecar's {@code
   * main_internal}): each port's chains and then the passthrough ones, all plaintext whatever the
   * PeerAuthentication says (the tunnel was the mTLS), without the Sidecar's own TLS, with the
   * local RBAC reading the tunnel peer's identity, and matching only the workload's own IPs (so a
   * tunnel cannot be pointed at another address). istiod's order: ports, then passthrough.
   */
  List<FilterChain> tunnelChains() {
    List<FilterChain> chains = new ArrayList<>();
    for (InboundPort p : ports()) {
      chains.addAll(portChains(p, MtlsMode.DISABLE, true));
    }
    chains.addAll(passthroughChains(0, MtlsMode.DISABLE, true));
    List<FilterChain> out = new ArrayList<>(chains.size());
    for (FilterChain c : chains) {
      FilterChainMatch.Builder m = c.getFilterChainMatch().toBuilder().clearTransportProtocol();
      for (String ip : proxy.ipAddresses()) {
        var cidr = OutboundChain.cidr(ip);
        if (cidr != null) {
          m.addPrefixRanges(cidr);
        }
      }
      out.add(c.toBuilder().setFilterChainMatch(m).build());
    }
    return out;
  }

  private Duration detectionTimeout() {
    return push.meshConfig().hasProtocolDetectionTimeout()
        ? push.meshConfig().getProtocolDetectionTimeout()
        : Duration.getDefaultInstance();
  }

  static Address address(String ip, int port) {
    return Address.newBuilder()
        .setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port))
        .build();
  }

  /**
   * The ports the workload serves, by target port, first service wins: the Sidecar's ingress
   * listeners if it has any, else the service targets found for the proxy's IP.
   */
  List<InboundPort> ports() {
    Map<Integer, InboundPort> byPort = new TreeMap<>();
    Config sidecarConfig = push.sidecarFor(proxy).orElse(null);
    Sidecar sidecar = sidecarConfig == null ? null : sidecarConfig.spec(Sidecar.class);
    if (sidecar != null && sidecar.getIngressCount() > 0) {
      Metadata meta =
          OutboundChain.configMetadata(sidecarConfig.namespace(), "sidecar", sidecarConfig.name());
      for (IstioIngressListener in : sidecar.getIngressList()) {
        int port = in.getPort().getNumber();
        if (port <= 0) {
          continue;
        }
        // istiod names these chains by the pod's own address, where the listener would bind
        String bind = in.getBind().isEmpty() ? inboundBindAddress() : in.getBind();
        byPort.putIfAbsent(
            port,
            new InboundPort(
                port,
                port,
                sidecarConfig.name() + "." + sidecarConfig.namespace(),
                Protocol.parse(in.getPort().getProtocol()),
                bind,
                meta,
                in.hasTls() ? in.getTls() : null));
      }
      return List.copyOf(byPort.values());
    }
    for (ServiceTarget t : push.serviceTargets(proxy)) {
      int target = t.endpoint().port();
      byPort.putIfAbsent(
          target,
          new InboundPort(
              target,
              t.port().port(),
              t.service().hostname(),
              t.port().protocol(),
              OutboundListenerBuilder.WILDCARD,
              null,
              null));
    }
    return List.copyOf(byPort.values());
  }

  /** The proxy's first IP unless it is loopback or link-local, else the wildcard. */
  private String inboundBindAddress() {
    String ip = proxy.ipAddresses().isEmpty() ? "" : proxy.ipAddresses().get(0);
    if (ip.isEmpty()
        || ip.startsWith("127.")
        || ip.startsWith("169.254.")
        || ip.equals("::1")
        || ip.toLowerCase(java.util.Locale.ROOT).startsWith("fe80:")) {
      return OutboundListenerBuilder.WILDCARD;
    }
    return ip;
  }

  /**
   * The chains for traffic to {@code port} (0: any port) that no service chain matches.
   *
   * @param tunnel behind HBONE termination: RBAC on the tunnel peer's identity
   */
  private List<FilterChain> passthroughChains(int port, MtlsMode mode, boolean tunnel) {
    List<FilterChain> out = new ArrayList<>();
    for (InboundChainOptions.Option o : options(Protocol.UNSUPPORTED, true, mode)) {
      FilterChain.Builder c =
          FilterChain.newBuilder()
              .setFilterChainMatch(match(port, o))
              .setName(o.http() ? CATCHALL_HTTP_CHAIN : NAME);
      // metadata exchange first, so RBAC denials already know the peer
      c.addFilters(PeerMetadataFilters.TCP_LISTENER_MX);
      if (o.http()) {
        // istiod keeps the HTTP exchange in the passthrough chains even behind a tunnel
        c.addFilters(
            inboundHcm(
                Filters.INBOUND_PASSTHROUGH_CLUSTER + ";",
                InboundRouteConfigs.build(
                    Filters.INBOUND_PASSTHROUGH_CLUSTER, "", 0, Protocol.UNSUPPORTED),
                Protocol.UNSUPPORTED,
                tunnel,
                true));
      } else {
        c.addAllFilters(networkSecurity(tunnel));
        c.addAllFilters(stats());
        c.addFilters(inboundTcp(Filters.INBOUND_PASSTHROUGH_CLUSTER));
      }
      if (o.tls() != null) {
        c.setTransportSocket(DownstreamTls.transportSocket(o.tls()));
      }
      out.add(c.build());
    }
    return out;
  }

  private List<FilterChain> portChains(InboundPort p, MtlsMode mode, boolean tunnel) {
    String cluster = "inbound|" + p.targetPort() + "||";
    String name = p.bind() + "_" + p.targetPort();
    List<InboundChainOptions.Option> options = options(p.protocol(), false, mode);
    // the Sidecar's own TLS only where PeerAuthentication leaves the port without Istio mTLS, as
    // istiod: one chain terminating it, routing what is inside (HTTPS as HTTP, TLS as TCP)
    // (settings naming no certificate terminate nothing: the port stays plaintext)
    DownstreamTlsContext own =
        p.tls() != null && mode == MtlsMode.DISABLE && !tunnel
            ? DownstreamTls.gateway(p.tls(), push.meshConfig(), false)
            : null;
    if (own != null) {
      p = afterTermination(p);
      options =
          List.of(
              new InboundChainOptions.Option(Filters.TLS, List.of(), p.protocol().isHttp(), own));
    }
    List<FilterChain> out = new ArrayList<>();
    for (InboundChainOptions.Option o : options) {
      Filter filter;
      if (o.http()) {
        filter =
            inboundHcm(
                "inbound_" + name + ";",
                InboundRouteConfigs.build(cluster, p.hostname(), p.servicePort(), p.protocol()),
                p.protocol(),
                tunnel,
                !tunnel);
      } else {
        filter = inboundTcp(cluster);
      }
      FilterChain.Builder c =
          FilterChain.newBuilder().setFilterChainMatch(match(p.targetPort(), o));
      // behind HBONE termination istiod leaves the exchange out of the ports' HTTP chains (the
      // peer's metadata came with the tunnel)
      if (!o.http() || !tunnel) {
        c.addFilters(PeerMetadataFilters.TCP_LISTENER_MX);
      }
      if (!o.http()) {
        c.addAllFilters(networkSecurity(tunnel));
        c.addAllFilters(stats());
      }
      c.addFilters(filter).setName(name);
      if (p.metadata() != null) {
        c.setMetadata(p.metadata());
      }
      if (o.tls() != null) {
        c.setTransportSocket(DownstreamTls.transportSocket(o.tls()));
      }
      out.add(c.build());
    }
    return out;
  }

  /** The TCP proxy of an inbound chain, to {@code cluster}, with the mesh's access log. */
  private Filter inboundTcp(String cluster) {
    return Filters.tcpProxy(
        TcpProxy.newBuilder()
            .setStatPrefix(cluster)
            .setCluster(cluster)
            .addAllAccessLog(AccessLogs.tcp(push, proxy, ListenerClass.SIDECAR_INBOUND))
            .build());
  }

  /**
   * @param httpMx with the metadata exchange HTTP filter (istiod leaves it out of the port chains
   *     behind HBONE termination)
   */
  private Filter inboundHcm(
      String statPrefix,
      RouteConfiguration routes,
      Protocol protocol,
      boolean tunnel,
      boolean httpMx) {
    if (!tunnel) {
      return HttpConnectionManagers.withRouteConfig(
          ListenerClass.SIDECAR_INBOUND, statPrefix, routes, protocol, proxy, push);
    }
    return Filters.network(
        Filters.HTTP_CONNECTION_MANAGER,
        HttpConnectionManagers.base(
                ListenerClass.SIDECAR_INBOUND,
                statPrefix,
                protocol,
                proxy,
                push,
                SecurityFilters.httpBehindTunnel(push, proxy),
                httpMx ? PeerMetadataFilters.SIDECAR_INBOUND : null)
            .setRouteConfig(routes)
            .build());
  }

  /** The inbound side's istio.stats network filters. */
  private List<Filter> stats() {
    return StatsFilters.network(
        push, proxy, io.jistiod.pilot.telemetry.TelemetryMetrics.ListenerClass.SIDECAR_INBOUND);
  }

  private List<Filter> networkSecurity(boolean tunnel) {
    return tunnel
        ? SecurityFilters.networkBehindTunnel(push, proxy)
        : SecurityFilters.network(push, proxy);
  }

  private static InboundPort afterTermination(InboundPort p) {
    Protocol inner =
        switch (p.protocol()) {
          case HTTPS -> Protocol.HTTP;
          case TLS -> Protocol.TCP;
          default -> p.protocol();
        };
    return new InboundPort(
        p.targetPort(), p.servicePort(), p.hostname(), inner, p.bind(), p.metadata(), p.tls());
  }

  private static FilterChainMatch match(int port, InboundChainOptions.Option o) {
    FilterChainMatch.Builder m = FilterChainMatch.newBuilder().setTransportProtocol(o.transport());
    if (port > 0) {
      m.setDestinationPort(UInt32Value.of(port));
    }
    return m.addAllApplicationProtocols(o.alpns()).build();
  }

  private List<InboundChainOptions.Option> options(
      Protocol protocol, boolean passthrough, MtlsMode mode) {
    return InboundChainOptions.of(
        protocol,
        passthrough,
        mode,
        DownstreamTls.istioMutual(push.meshConfig(), DownstreamTls.HTTP_ALPNS),
        DownstreamTls.istioMutual(push.meshConfig(), DownstreamTls.TCP_ALPNS));
  }
}
