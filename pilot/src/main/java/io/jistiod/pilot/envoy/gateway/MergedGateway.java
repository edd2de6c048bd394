package io.jistiod.pilot.envoy.gateway;

import io.jistiod.galley.api.networking.v1alpha3.Gateway;
import io.jistiod.galley.api.networking.v1alpha3.Server;
import io.jistiod.galley.api.networking.v1alpha3.ServerTLSSettings;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.model.Protocol;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Gateway servers a gateway proxy implements, merged as istiod merges them: every Gateway bound
 * to the proxy ({@link GatewayBinding}: by selector from any namespace, or through its service),
 * each server on the port it really listens on (the targetPort of the proxy's own service port, as
 * Kubernetes Services map 80 to 8080), and the RDS route configuration name each HTTP server's
 * routes are served under.
 *
 * @param servers every accepted server, in Gateway then server order
 * @param serversByRouteName HTTP servers ({@code http.PORT}, merged across Gateways) and
 *     TLS-terminating HTTPS servers ({@code https.PORT.NAME.GATEWAY.NAMESPACE}) by route name
 */
public record MergedGateway(
    List<GatewayServer> servers, Map<String, List<GatewayServer>> serversByRouteName) {

  /**
   * One server of one Gateway.
   *
   * @param gatewayName {@code namespace/name} of the Gateway
   * @param server the server, its hosts with {@code ./host} and {@code *}/host written out as
   *     istiod does
   * @param listenPort the port the proxy listens on for it
   * @param routeName its RDS name; empty for servers without HTTP routes (TCP, TLS passthrough)
   */
  public record GatewayServer(
      Config gateway, String gatewayName, Server server, int listenPort, String routeName) {}

  public static MergedGateway of(Proxy proxy, PushContext push) {
    List<GatewayServer> servers = new ArrayList<>();
    Map<String, List<GatewayServer>> byRoute = new LinkedHashMap<>();
    Map<Integer, String> plainTextProtocolByPort = new HashMap<>();
    Map<Integer, Boolean> seenPorts = new HashMap<>();
    for (GatewayBinding binding : GatewayBinding.of(proxy, push)) {
      Config c = binding.gateway();
      Gateway gw = c.spec(Gateway.class);
      String gatewayName = c.namespace() + "/" + c.name();
      for (Server original : gw.getServersList()) {
        if (!original.hasPort()) {
          continue;
        }
        Server s = sanitizeHosts(original, c.namespace());
        for (int port : binding.listenPorts(s.getPort().getNumber())) {
          String routeName = routeName(s, port, c);
          GatewayServer gs = new GatewayServer(c, gatewayName, s, port, routeName);
          Protocol p = Protocol.parse(s.getPort().getProtocol());
          if (seenPorts.containsKey(port)) {
            String current = plainTextProtocolByPort.get(port);
            if (current != null) {
              Protocol cur = Protocol.parse(current);
              boolean mergeable = (cur.isHttp() || cur == p) && p.isHttp();
              if (!mergeable || routeName.isEmpty()) {
                continue; // conflicts with the plain-text server already on this port
              }
              byRoute.computeIfAbsent(routeName, k -> new ArrayList<>()).add(gs);
            } else if (isHttpServer(s)) {
              if (routeName.isEmpty() || byRoute.containsKey(routeName)) {
                continue; // two HTTPS servers need distinct port names
              }
              byRoute.put(routeName, new ArrayList<>(List.of(gs)));
            } else if (!s.hasTls()) {
              continue;
            }
          } else {
            seenPorts.put(port, true);
            if (!isTlsServer(s)) {
              plainTextProtocolByPort.put(port, s.getPort().getProtocol());
            }
            if (isHttpServer(s)) {
              byRoute.put(routeName, new ArrayList<>(List.of(gs)));
            }
          }
          servers.add(gs);
        }
      }
    }
    return new MergedGateway(List.copyOf(servers), byRoute);
  }

  /** HTTP, or HTTPS that terminates TLS. */
  public static boolean isHttpServer(Server s) {
    Protocol p = Protocol.parse(s.getPort().getProtocol());
    return p.isHttp() || (p == Protocol.HTTPS && !isPassthrough(s));
  }

  /** TLS settings on a non-HTTP port. */
  public static boolean isTlsServer(Server s) {
    return s.hasTls() && !Protocol.parse(s.getPort().getProtocol()).isHttp();
  }

  public static boolean isPassthrough(Server s) {
    if (!s.hasTls()) {
      return false;
    }
    var mode = s.getTls().getMode();
    return mode == ServerTLSSettings.TLSmode.PASSTHROUGH
        || mode == ServerTLSSettings.TLSmode.AUTO_PASSTHROUGH;
  }

  /**
   * istiod's RDS name: {@code http.<listen port>} for HTTP servers, {@code https.<server
   * port>.<port name>.<gateway>.<namespace>} for TLS-terminating HTTPS; {@code .<bind>} appended
   * when the server binds an address.
   */
  public static String routeName(Server s, int listenPort, Config gateway) {
    Protocol p = Protocol.parse(s.getPort().getProtocol());
    String bind = s.getBind().isEmpty() ? "" : "." + s.getBind();
    if (p.isHttp()) {
      return "http." + listenPort + bind;
    }
    if (p == Protocol.HTTPS && !isPassthrough(s)) {
      return "https."
          + s.getPort().getNumber()
          + "."
          + s.getPort().getName()
          + "."
          + gateway.name()
          + "."
          + gateway.namespace()
          + bind;
    }
    return "";
  }

  private static Server sanitizeHosts(Server s, String namespace) {
    List<String> hosts = new ArrayList<>();
    for (String h : s.getHostsList()) {
      int slash = h.indexOf('/');
      if (slash < 0) {
        hosts.add(h);
        continue;
      }
      String ns = h.substring(0, slash);
      String name = h.substring(slash + 1);
      if (ns.equals(".")) {
        hosts.add(namespace + "/" + name);
      } else if (ns.equals("*")) {
        if (name.equals("*")) {
          return s.toBuilder().clearHosts().addHosts("*").build();
        }
        hosts.add(name);
      } else {
        hosts.add(h);
      }
    }
    return s.toBuilder().clearHosts().addAllHosts(hosts).build();
  }
}
