package io.jistiod.pilot.envoy.listener;

import io.jistiod.galley.api.networking.v1alpha3.CaptureMode;
import io.jistiod.galley.api.networking.v1alpha3.IstioEgressListener;
import io.jistiod.galley.api.networking.v1alpha3.L4MatchAttributes;
import io.jistiod.galley.api.networking.v1alpha3.Sidecar;
import io.jistiod.galley.api.networking.v1alpha3.TCPRoute;
import io.jistiod.galley.api.networking.v1alpha3.TLSMatchAttributes;
import io.jistiod.galley.api.networking.v1alpha3.TLSRoute;
import io.jistiod.pilot.envoy.route.VirtualHostDomains;
import io.jistiod.pilot.model.Endpoint;
import io.jistiod.pilot.model.Hosts;
import io.jistiod.pilot.model.Protocol;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Resolution;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServiceAttributes;
import io.jistiod.pilot.model.ServicePort;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushContext.ResolvedVirtualService;
import io.jistiod.pilot.push.VirtualServiceIndex;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A sidecar's outbound listeners, one per (address, port) its services need, as istiod merges them:
 * HTTP ports share {@code 0.0.0.0_PORT} (virtual hosts tell services apart, over RDS named by the
 * port); TCP ports listen on the service VIP ({@code VIP_PORT}) with tcp_proxy; TLS ports without a
 * VIP match by SNI; a port of unknown protocol gets a sniffed HTTP chain next to its TCP chain.
 * When two services want the same listener with different protocols, the listener turns into a
 * sniffing one holding both chains. None of them binds: virtualOutbound hands them their
 * connections by original destination.
 */
final class OutboundListenerBuilder {
  static final String WILDCARD = "0.0.0.0";

  private final Proxy proxy;
  private final PushContext push;
  private final TcpRoutes tcpRoutes;
  private final Map<String, OutboundEntry> entries = new LinkedHashMap<>();

  OutboundListenerBuilder(Proxy proxy, PushContext push) {
    this.proxy = proxy;
    this.push = push;
    this.tcpRoutes = new TcpRoutes(proxy, push);
  }

  /** Where a listener binds: an address, and whether it is a real socket. */
  record Bind(String address, boolean bindToPort) {}

  /** Listener protocol classes: what the listener can tell about the traffic. */
  enum ListenerProtocol {
    HTTP,
    TCP,
    AUTO,
    NONE
  }

  static ListenerProtocol listenerProtocol(Protocol p) {
    if (p.isHttp()) {
      return ListenerProtocol.HTTP;
    }
    return switch (p) {
      case TCP, HTTPS, TLS, MONGO, REDIS, MYSQL -> ListenerProtocol.TCP;
      case UNSUPPORTED -> ListenerProtocol.AUTO;
      default -> ListenerProtocol.NONE;
    };
  }

  static boolean isTls(Protocol p) {
    return p == Protocol.HTTPS || p == Protocol.TLS;
  }

  List<OutboundEntry> build() {
    Sidecar sidecar = push.sidecarFor(proxy).map(c -> c.spec(Sidecar.class)).orElse(null);
    List<IstioEgressListener> egress =
        sidecar == null || sidecar.getEgressCount() == 0
            ? List.of(IstioEgressListener.newBuilder().addHosts("*/*").build())
            : sidecar.getEgressList();
    for (IstioEgressListener e : egress) {
      // an egress listener without a capture mode of its own follows the proxy's interception
      boolean bindToPort =
          e.getCaptureMode() == CaptureMode.NONE
              || (e.getCaptureMode() == CaptureMode.DEFAULT && proxy.noInterception())
              || e.getBind().startsWith("unix://");
      String bind = e.getBind();
      if (bind.isEmpty() && bindToPort) {
        bind = "127.0.0.1";
      }
      List<Service> services = servicesFor(e);
      List<ResolvedVirtualService> vss = virtualServicesFor(e);
      if (e.hasPort() && e.getPort().getNumber() > 0) {
        ServicePort listenPort =
            new ServicePort(
                e.getPort().getName(),
                e.getPort().getNumber(),
                Protocol.parse(e.getPort().getProtocol()));
        boolean httpProxy = "HTTP_PROXY".equalsIgnoreCase(e.getPort().getProtocol());
        for (Service s : services) {
          // a port-specific egress listener takes the services that have that port (istiod's
          // port match), except as a generic HTTP proxy
          if (httpProxy || s.port(listenPort.port()).isPresent()) {
            addServicePort(s, listenPort, new Bind(bind, bindToPort), vss);
          }
        }
        continue;
      }
      entries.values().forEach(OutboundEntry::lock);
      for (Service s : services) {
        for (ServicePort p : s.ports()) {
          addCatchAllPort(s, p, new Bind(bind, bindToPort), vss);
        }
      }
    }
    return List.copyOf(entries.values());
  }

  /**
   * Headless services (no VIP, endpoints addressed directly) get a listener per endpoint for TCP: a
   * wildcard TCP listener would take the whole port.
   */
  private void addCatchAllPort(
      Service s, ServicePort p, Bind bind, List<ResolvedVirtualService> vss) {
    ListenerProtocol lp = listenerProtocol(p.protocol());
    boolean headless =
        bind.address().isEmpty()
            && s.resolution() == Resolution.PASSTHROUGH
            && address(s).equals(WILDCARD)
            && (lp == ListenerProtocol.TCP || lp == ListenerProtocol.AUTO);
    if (!headless) {
      addServicePort(s, p, bind, vss);
      return;
    }
    List<Endpoint> endpoints = push.endpoints(s, p.port());
    if (!s.attributes().registry().equals(ServiceAttributes.KUBERNETES)
        && endpoints.isEmpty()
        && s.attributes().selector().isEmpty()) {
      addServicePort(s, p, bind, vss);
      return;
    }
    Set<String> seen = new HashSet<>();
    for (Endpoint ep : endpoints) {
      if (!isIpv4(ep.address())
          || ep.address().equals(proxy.ipAddresses().get(0))
          || !seen.add(ep.address())) {
        continue;
      }
      addServicePort(s, p, new Bind(ep.address(), bind.bindToPort()), vss);
    }
  }

  private void addServicePort(
      Service s, ServicePort port, Bind bind, List<ResolvedVirtualService> vss) {
    if (s.resolution() == Resolution.ALIAS) {
      return; // an ExternalName Service gets no listener: the service it names answers for it
    }
    ListenerProtocol lp = listenerProtocol(port.protocol());
    if (lp == ListenerProtocol.NONE || reserved(bind, port)) {
      return;
    }
    String address = bind.address();
    List<String> cidrs = List.of();
    if (address.isEmpty()) {
      if (lp == ListenerProtocol.HTTP) {
        address = WILDCARD;
      } else {
        String vip = address(s);
        if (vip.contains("/")) {
          address = WILDCARD;
          cidrs = List.of(vip);
        } else {
          address = vip;
        }
      }
    }
    Bind b = new Bind(address, bind.bindToPort());
    String key = address + "_" + port.port();
    OutboundEntry current = entries.get(key);
    if (current != null && current.locked()) {
      return; // a Sidecar egress listener already owns this port
    }
    List<ResolvedVirtualService> hostVss = forHost(vss, s.hostname());
    List<OutboundChain> chains;
    Protocol entryProtocol = port.protocol();
    String conflict = "none";
    switch (lp) {
      case HTTP -> {
        if (current != null) {
          if (listenerProtocol(current.protocol()) != ListenerProtocol.TCP) {
            return; // the HTTP listener exists: routes for this service come over RDS
          }
          conflict = "merge";
        }
        OutboundChain http = OutboundChain.http(String.valueOf(port.port()), port.protocol());
        if (address.equals(WILDCARD)) {
          // a wildcard HTTP listener also gets traffic to non-mesh hosts on this port, which is
          // told apart by sniffing and passed through
          http = http.sniffedHttp();
          entryProtocol = Protocol.UNSUPPORTED;
        }
        chains = List.of(http);
      }
      case TCP -> {
        chains = tcpChains(s, port, b, cidrs, hostVss);
        if (current != null) {
          ListenerProtocol cur = listenerProtocol(current.protocol());
          conflict = cur == ListenerProtocol.HTTP ? "merge" : "append";
        }
      }
      default -> {
        if (current != null) {
          ListenerProtocol cur = listenerProtocol(current.protocol());
          if (cur == ListenerProtocol.AUTO) {
            return;
          }
          conflict = cur == ListenerProtocol.HTTP ? "replace" : "merge";
        }
        String rds =
            address.equals(WILDCARD)
                ? String.valueOf(port.port())
                : s.hostname() + ":" + port.port();
        chains = new ArrayList<>(tcpChains(s, port, b, cidrs, hostVss));
        chains.add(OutboundChain.http(rds, port.protocol()).sniffedHttp());
      }
    }
    if (current != null && wellKnownConflict(port.protocol(), current.protocol())) {
      return;
    }
    switch (conflict) {
      case "none", "replace" -> entries.put(key, new OutboundEntry(b, port, entryProtocol, chains));
      case "merge" -> {
        current.merge(chains);
        current.setProtocol(Protocol.UNSUPPORTED);
      }
      default -> current.merge(chains);
    }
  }

  /** A server-first protocol cannot share a port with sniffing. */
  private static boolean wellKnownConflict(Protocol incoming, Protocol existing) {
    boolean special =
        incoming == Protocol.MONGO
            || incoming == Protocol.MYSQL
            || existing == Protocol.MONGO
            || existing == Protocol.MYSQL;
    return special && incoming != existing;
  }

  /** Ports Envoy's static and virtual listeners already hold on the wildcard address. */
  private boolean reserved(Bind bind, ServicePort port) {
    boolean wildcard =
        bind.address().equals(WILDCARD)
            || (bind.address().isEmpty()
                && listenerProtocol(port.protocol()) == ListenerProtocol.HTTP);
    if (!wildcard) {
      return false;
    }
    int p = port.port();
    return p == 15021
        || p == 15090
        || p == push.meshConfig().getProxyListenPort()
        || p == push.meshConfig().getProxyInboundListenPort();
  }

  /** TLS-port chains (SNI) then plain TCP chains, from the service's TLS/TCP routes if any. */
  private List<OutboundChain> tcpChains(
      Service s,
      ServicePort port,
      Bind bind,
      List<String> cidrs,
      List<ResolvedVirtualService> vss) {
    if (isTls(port.protocol())) {
      return tlsChains(s, port, bind, cidrs, vss);
    }
    List<OutboundChain> out = new ArrayList<>();
    for (ResolvedVirtualService vs : vss) {
      for (TCPRoute tcp : vs.spec().getTcpList()) {
        if (tcp.getRouteCount() == 0) {
          continue;
        }
        List<io.envoyproxy.envoy.config.listener.v3.Filter> filters =
            tcpRoutes.forRoute(tcp.getRouteList(), port.port(), port.protocol(), vs.config());
        if (tcp.getMatchCount() == 0) {
          out.add(OutboundChain.tcp(List.of(), cidrs, filters).from(vs.config()));
          return out;
        }
        List<String> subnets = new ArrayList<>();
        for (L4MatchAttributes m : tcp.getMatchList()) {
          if (!matches(m, port.port())) {
            continue;
          }
          if (m.getDestinationSubnetsCount() == 0) {
            out.add(OutboundChain.tcp(List.of(), cidrs, filters).from(vs.config()));
            return out;
          }
          subnets.addAll(m.getDestinationSubnetsList());
        }
        if (!subnets.isEmpty()) {
          out.add(OutboundChain.tcp(List.of(), subnets, filters));
          if (new HashSet<>(subnets).equals(new HashSet<>(cidrs))) {
            return out;
          }
        }
      }
    }
    int clusterPort = s.ports().size() == 1 ? s.ports().get(0).port() : port.port();
    out.add(
        OutboundChain.tcp(List.of(), cidrs, tcpRoutes.forService(s, clusterPort, port.protocol())));
    return out;
  }

  private List<OutboundChain> tlsChains(
      Service s,
      ServicePort port,
      Bind bind,
      List<String> cidrs,
      List<ResolvedVirtualService> vss) {
    List<OutboundChain> out = new ArrayList<>();
    Set<String> handled = new HashSet<>();
    for (ResolvedVirtualService vs : vss) {
      for (TLSRoute tls : vs.spec().getTlsList()) {
        if (tls.getRouteCount() == 0) {
          continue;
        }
        for (TLSMatchAttributes m : tls.getMatchList()) {
          if (!matches(m, port.port())) {
            continue;
          }
          List<String> chainCidrs =
              m.getDestinationSubnetsCount() > 0 ? m.getDestinationSubnetsList() : cidrs;
          String key =
              String.join(",", m.getSniHostsList())
                  + "|"
                  + String.join(",", m.getDestinationSubnetsList());
          if (handled.add(key)) {
            out.add(
                OutboundChain.tcp(
                        m.getSniHostsList(),
                        chainCidrs,
                        tcpRoutes.forRoute(
                            tls.getRouteList(), port.port(), port.protocol(), vs.config()))
                    .from(vs.config()));
          }
        }
      }
    }
    if (!out.isEmpty()) {
      return out;
    }
    int clusterPort = s.ports().size() == 1 ? s.ports().get(0).port() : port.port();
    String vip = address(s);
    List<String> sni = List.of();
    if (!cidrs.isEmpty()
        || vip.contains("/")
        || (vip.equals(WILDCARD) && bind.address().equals(WILDCARD))) {
      // the SNI a client sends may name the service or an ExternalName Service aliasing it
      List<String> names = new ArrayList<>();
      names.add(s.hostname());
      for (String alias : s.attributes().aliases()) {
        names.add(alias);
        names.addAll(
            VirtualHostDomains.altHosts(alias, proxy.dnsDomain(), VirtualHostDomains.NO_PORT));
      }
      sni = names;
    }
    out.add(OutboundChain.tcp(sni, cidrs, tcpRoutes.forService(s, clusterPort, port.protocol())));
    return out;
  }

  private boolean matches(L4MatchAttributes m, int port) {
    return gatewaysMatchMesh(m.getGatewaysList())
        && proxy.metadata().labels().entrySet().containsAll(m.getSourceLabelsMap().entrySet())
        && (m.getPort() == 0 || m.getPort() == port)
        && (m.getSourceNamespace().isEmpty()
            || m.getSourceNamespace().equals(proxy.configNamespace()));
  }

  private boolean matches(TLSMatchAttributes m, int port) {
    return gatewaysMatchMesh(m.getGatewaysList())
        && proxy.metadata().labels().entrySet().containsAll(m.getSourceLabelsMap().entrySet())
        && (m.getPort() == 0 || m.getPort() == port)
        && (m.getSourceNamespace().isEmpty()
            || m.getSourceNamespace().equals(proxy.configNamespace()));
  }

  private static boolean gatewaysMatchMesh(List<String> gateways) {
    return VirtualServiceIndex.includesMesh(gateways);
  }

  /** The address a sidecar reaches the service at: its first VIP, else the wildcard. */
  static String address(Service s) {
    if (s.addresses().isEmpty()) {
      return WILDCARD;
    }
    String a = s.addresses().get(0);
    // a one-host CIDR gets a listener of its own rather than a CIDR match on the wildcard one
    return a.endsWith("/32") ? a.substring(0, a.length() - 3) : a;
  }

  private static boolean isIpv4(String s) {
    return s.matches("\\d{1,3}(\\.\\d{1,3}){3}");
  }

  /** Services in scope of one egress listener: its hosts, exported to the proxy's namespace. */
  private List<Service> servicesFor(IstioEgressListener e) {
    List<Service> visible = push.servicesVisibleTo(proxy);
    if (push.sidecarFor(proxy).isEmpty()) {
      return visible;
    }
    List<Service> out = new ArrayList<>();
    for (Service s : visible) {
      if (egressIncludes(e.getHostsList(), s.namespace(), s.hostname())) {
        out.add(s);
      }
    }
    return out;
  }

  private boolean egressIncludes(List<String> hosts, String namespace, String hostname) {
    for (String h : hosts) {
      int slash = h.indexOf('/');
      if (slash <= 0) {
        continue;
      }
      String ns = h.substring(0, slash);
      boolean nsMatches =
          ns.equals("*")
              || (ns.equals(".") && namespace.equals(proxy.configNamespace()))
              || ns.equals(namespace);
      if (nsMatches && Hosts.matches(h.substring(slash + 1), hostname)) {
        return true;
      }
    }
    return false;
  }

  /**
   * VirtualServices with TCP or TLS routes for the mesh that the proxy may see and the egress
   * listener's hosts name.
   */
  private List<ResolvedVirtualService> virtualServicesFor(IstioEgressListener e) {
    boolean scoped = push.sidecarFor(proxy).isPresent();
    List<ResolvedVirtualService> out = new ArrayList<>();
    for (ResolvedVirtualService vs : push.meshVirtualServices(proxy)) {
      if (vs.spec().getTcpCount() == 0 && vs.spec().getTlsCount() == 0) {
        continue; // listeners take only TCP and TLS routes; HTTP routes come over RDS
      }
      if (scoped
          && vs.hosts().stream()
              .noneMatch(h -> egressIncludes(e.getHostsList(), vs.config().namespace(), h))) {
        continue;
      }
      out.add(vs);
    }
    return out;
  }

  /** VirtualServices one of whose hosts matches {@code hostname}. */
  private static List<ResolvedVirtualService> forHost(
      List<ResolvedVirtualService> vss, String hostname) {
    List<ResolvedVirtualService> out = new ArrayList<>();
    for (ResolvedVirtualService vs : vss) {
      if (vs.hosts().stream().anyMatch(h -> Hosts.matches(h, hostname))) {
        out.add(vs);
      }
    }
    return out;
  }
}
