package io.jistiod.pilot.envoy.listener;

import static io.jistiod.pilot.envoy.gateway.MergedGateway.isHttpServer;
import static io.jistiod.pilot.envoy.gateway.MergedGateway.isPassthrough;
import static io.jistiod.pilot.envoy.gateway.MergedGateway.isTlsServer;
import static io.jistiod.pilot.envoy.gateway.MergedGateway.routeName;

import io.jistiod.galley.api.networking.v1alpha3.Gateway;
import io.jistiod.galley.api.networking.v1alpha3.Server;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.envoy.gateway.GatewayBinding;
import io.jistiod.pilot.model.Protocol;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The servers of every Gateway that selects a gateway proxy, merged per listener port as istiod
 * merges them. A server's port is the Service port clients use; the proxy listens on that port's
 * target port in its own pod (found through the services the proxy backs), or on the number itself
 * when no service maps it. Servers that cannot share a port, or repeat a TLS host already served on
 * it, are dropped, as istiod drops them.
 */
final class GatewayServers {

  /** A server with the Gateway it belongs to and the route configuration it uses. */
  record GatewayServer(Server server, Config gateway, String routeName) {
    /** {@code namespace/name}, how VirtualServices name the gateway. */
    String gatewayName() {
      return gateway.namespace() + "/" + gateway.name();
    }
  }

  /** A listener port: the port the proxy binds, its protocol and bind address. */
  record ServerPort(int number, String protocol, String bind) {}

  /** The servers on one listener port; routeName for plaintext HTTP ports. */
  static final class Merged {
    final List<GatewayServer> servers = new ArrayList<>();
    String routeName = "";
  }

  final Map<ServerPort, Merged> byPort = new LinkedHashMap<>();

  static GatewayServers of(Proxy proxy, PushContext push) {
    GatewayServers out = new GatewayServers();
    Set<Integer> gatewayPorts = new HashSet<>();
    Map<Integer, ServerPort> plainText = new HashMap<>();
    Map<String, List<Server>> byRouteName = new HashMap<>();
    Map<Integer, Set<String>> nonPlainTextBinds = new HashMap<>();
    Map<Integer, Map<String, String>> tlsHosts = new HashMap<>();
    for (GatewayBinding binding : GatewayBinding.of(proxy, push)) {
      Config gw = binding.gateway();
      for (Server s : gw.spec(Gateway.class).getServersList()) {
        if (!s.hasPort()) {
          continue;
        }
        for (int resolved : binding.listenPorts(s.getPort().getNumber())) {
          String routeName = routeName(s, resolved, gw);
          if (s.hasTls()
              && !noDuplicates(
                  s.getHostsList(),
                  s.getBind(),
                  tlsHosts.computeIfAbsent(resolved, p -> new HashMap<>()))) {
            continue;
          }
          ServerPort sp = new ServerPort(resolved, s.getPort().getProtocol(), s.getBind());
          Protocol proto = Protocol.parse(s.getPort().getProtocol());
          GatewayServer gs = new GatewayServer(s, gw, routeName);
          if (!gatewayPorts.contains(resolved)) {
            gatewayPorts.add(resolved);
            if (!isTlsServer(s)) {
              plainText.put(resolved, sp);
            }
            if (isHttpServer(s)) {
              byRouteName.put(routeName, new ArrayList<>(List.of(s)));
            }
            Merged m = new Merged();
            m.servers.add(gs);
            m.routeName = routeName;
            out.byPort.put(sp, m);
            continue;
          }
          ServerPort current = plainText.get(resolved);
          if (current != null) {
            boolean sameBind = current.bind().equals(sp.bind());
            if (sameBind && !canMerge(Protocol.parse(current.protocol()), proto)) {
              continue;
            }
            if (sameBind && routeName.isEmpty()) {
              continue;
            }
            if (!sameBind) {
              Merged m = out.byPort.computeIfAbsent(sp, k -> new Merged());
              m.routeName = routeName;
              m.servers.add(gs);
            } else {
              out.byPort.get(current).servers.add(gs);
            }
            byRouteName.computeIfAbsent(routeName, k -> new ArrayList<>()).add(s);
            continue;
          }
          if (isHttpServer(s)) {
            if (routeName.isEmpty() || byRouteName.containsKey(routeName)) {
              continue;
            }
            byRouteName.put(routeName, new ArrayList<>(List.of(s)));
          }
          boolean newBind =
              nonPlainTextBinds.computeIfAbsent(resolved, p -> new HashSet<>()).add(s.getBind());
          if (!s.hasTls() && !newBind) {
            continue;
          }
          out.byPort.computeIfAbsent(sp, k -> new Merged()).servers.add(gs);
        }
      }
    }
    return out;
  }

  static boolean isHttpsWithTermination(Server s) {
    return s.hasTls()
        && Protocol.parse(s.getPort().getProtocol()) == Protocol.HTTPS
        && !isPassthrough(s);
  }

  private static boolean canMerge(Protocol current, Protocol incoming) {
    return (current.isHttp() || current == incoming) && incoming.isHttp();
  }

  /** Records {@code hosts} for {@code bind}; false (recording nothing) if one is already there. */
  static boolean noDuplicates(List<String> hosts, String bind, Map<String, String> known) {
    for (String h : hosts) {
      if (bind.equals(known.get(h))) {
        return false;
      }
    }
    hosts.forEach(h -> known.put(h, bind));
    return true;
  }

  /** The SNI names of a TLS server: its hosts without namespace prefixes, sorted, distinct. */
  static List<String> sniHosts(Server s) {
    Set<String> out = new TreeSet<>();
    for (String h : s.getHostsList()) {
      int slash = h.indexOf('/');
      out.add(slash >= 0 ? h.substring(slash + 1) : h);
    }
    return List.copyOf(out);
  }
}
