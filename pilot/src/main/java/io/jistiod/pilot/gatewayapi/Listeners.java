package io.jistiod.pilot.gatewayapi;

import io.jistiod.galley.api.gateway.v1.AllowedRoutes;
import io.jistiod.galley.api.gateway.v1.Listener;
import io.jistiod.galley.api.gateway.v1.RouteGroupKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/** How istiod reads one Gateway listener: its protocol, the route kinds and hosts it admits. */
final class Listeners {
  static final String NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
  private static final Set<String> KNOWN_PROTOCOLS = Set.of("HTTP", "HTTPS", "TLS", "TCP", "HBONE");

  private Listeners() {}

  static RouteGroupKind routeKind(GroupKind kind) {
    return RouteGroupKind.newBuilder().setGroup(kind.group()).setKind(kind.kind()).build();
  }

  /**
   * The Istio server protocol of a listener, or the error that makes it unsupported ({@code
   * listenerProtocolToIstio}).
   */
  static StatusError protocolError(String protocol, String controller, boolean alpha) {
    switch (protocol) {
      case "HTTP", "HTTPS":
        return null;
      case "TLS", "TCP":
        return alpha
            ? null
            : unsupported(
                "protocol \"%s\" is supported, but only when PILOT_ENABLE_ALPHA_GATEWAY_API=true is configured"
                    .formatted(protocol));
      case "HBONE":
        return controller.equals(GatewayClasses.WAYPOINT_CONTROLLER)
                || controller.equals(GatewayClasses.EAST_WEST_CONTROLLER)
            ? null
            : unsupported("protocol \"HBONE\" is only supported for waypoint proxies");
      default:
        String upper = protocol.toUpperCase(java.util.Locale.ROOT);
        return unsupported(
            KNOWN_PROTOCOLS.contains(upper)
                ? "protocol \"%s\" is unsupported. hint: \"%s\" (uppercase) may be supported"
                    .formatted(protocol, upper)
                : "protocol \"%s\" is unsupported".formatted(protocol));
    }
  }

  static StatusError unsupported(String message) {
    return new StatusError("UnsupportedProtocol", message);
  }

  /**
   * The route kinds the listener admits ({@code generateSupportedKinds}): by protocol, narrowed to
   * {@code allowedRoutes.kinds} if given. {@code allValid} is false when a requested kind is not
   * supported.
   */
  record SupportedKinds(List<RouteGroupKind> kinds, boolean allValid) {}

  static SupportedKinds supportedKinds(Listener l) {
    List<GroupKind> supported =
        switch (l.getProtocol()) {
          case "HTTP", "HTTPS" -> List.of(GroupKind.HTTP_ROUTE, GroupKind.GRPC_ROUTE);
          case "TCP" -> List.of(GroupKind.TCP_ROUTE);
          case "TLS" ->
              l.hasTls() && l.getTls().hasMode() && l.getTls().getMode().equals("Passthrough")
                  ? List.of(GroupKind.TLS_ROUTE)
                  : List.of(GroupKind.TCP_ROUTE);
          default -> List.of();
        };
    List<RouteGroupKind> requested = l.getAllowedRoutes().getKindsList();
    if (requested.isEmpty()) {
      return new SupportedKinds(supported.stream().map(Listeners::routeKind).toList(), true);
    }
    List<RouteGroupKind> intersection = new ArrayList<>();
    for (GroupKind s : supported) {
      for (RouteGroupKind r : requested) {
        String group = r.hasGroup() ? r.getGroup() : GroupKind.GATEWAY_GROUP;
        if (s.kind().equals(r.getKind()) && s.group().equals(group)) {
          intersection.add(routeKind(s));
          break;
        }
      }
    }
    return new SupportedKinds(intersection, intersection.size() == requested.size());
  }

  /**
   * The server hosts of a listener ({@code buildHostnameMatch}): {@code <namespace>/<hostname>} for
   * each namespace its routes may come from, or {@code ~/<hostname>} (matching nothing) if none.
   */
  static List<String> hosts(
      Listener l, String gatewayNamespace, Map<String, Map<String, String>> namespaces) {
    String hostname = l.hasHostname() ? l.getHostname() : "*";
    List<String> out = new ArrayList<>();
    for (String ns : allowedNamespaces(l.getAllowedRoutes(), gatewayNamespace, namespaces)) {
      if (!ns.isEmpty()) {
        out.add(ns + "/" + hostname);
      }
    }
    return out.isEmpty() ? List.of("~/" + hostname) : out;
  }

  private static List<String> allowedNamespaces(
      AllowedRoutes allowed, String gatewayNamespace, Map<String, Map<String, String>> namespaces) {
    var from = allowed.getNamespaces();
    if (!from.hasFrom() || from.getFrom().equals("Same")) {
      return List.of(gatewayNamespace);
    }
    if (from.getFrom().equals("All")) {
      return List.of("*");
    }
    if (!from.hasSelector()) {
      return List.of("*"); // invalid per the API; istiod allows all
    }
    Predicate<Map<String, String>> selector = LabelSelectors.of(from.getSelector());
    if (selector == null) {
      return List.of();
    }
    TreeSet<String> out = new TreeSet<>();
    namespaces.forEach(
        (name, labels) -> {
          if (selector.test(withNameLabel(name, labels))) {
            out.add(name);
          }
        });
    return List.copyOf(out);
  }

  /** A namespace's labels with {@code kubernetes.io/metadata.name}, which older clusters lack. */
  static Map<String, String> withNameLabel(String name, Map<String, String> labels) {
    if (name.equals(labels.get(NAMESPACE_NAME_LABEL))) {
      return labels;
    }
    Map<String, String> out = new java.util.HashMap<>(labels);
    out.put(NAMESPACE_NAME_LABEL, name);
    return out;
  }

  /**
   * Whether a Passthrough listener is an east-west gateway's AUTO_PASSTHROUGH one: by its listener
   * option, or by the Gateway's network label with the listener on the network gateway port.
   */
  static boolean autoPassthrough(Map<String, String> gatewayLabels, Listener l) {
    if (!l.hasTls()) {
      return false;
    }
    if ("auto-passthrough"
        .equals(l.getTls().getOptionsMap().get(ListenerTls.LISTENER_PROTOCOL_OPTION))) {
      return true;
    }
    if (!gatewayLabels.containsKey("topology.istio.io/network")) {
      return false;
    }
    return String.valueOf(l.getPort())
        .equals(gatewayLabels.getOrDefault("networking.istio.io/gatewayPort", "15443"));
  }
}
