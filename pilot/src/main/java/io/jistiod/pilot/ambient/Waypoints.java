package io.jistiod.pilot.ambient;

import com.google.protobuf.ByteString;
import io.jistiod.galley.api.gateway.v1.GatewaySpec;
import io.jistiod.galley.api.gateway.v1.GatewayStatus;
import io.jistiod.galley.api.gateway.v1.GatewayStatusAddress;
import io.jistiod.galley.api.gateway.v1.Listener;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.api.workload.ApplicationTunnel;
import io.jistiod.pilot.api.workload.GatewayAddress;
import io.jistiod.pilot.api.workload.NamespacedHostname;
import io.jistiod.pilot.api.workload.NetworkAddress;
import io.jistiod.pilot.gatewayapi.LabelSelectors;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The waypoints of the mesh and who uses them, as istiod 1.27 decides: every Gateway API Gateway
 * that has an address in its status is a waypoint (whatever its class); an object uses the one its
 * {@code istio.io/use-waypoint} label names (in {@code istio.io/use-waypoint-namespace}, else its
 * own namespace; {@code none} opts out), else its namespace's, if the waypoint lets that namespace
 * attach and carries its kind of traffic ({@code istio.io/waypoint-for}: service by default).
 */
final class Waypoints {
  private static final Logger log = LoggerFactory.getLogger(Waypoints.class);

  static final String USE_WAYPOINT = "istio.io/use-waypoint";
  static final String USE_WAYPOINT_NAMESPACE = "istio.io/use-waypoint-namespace";
  static final String WAYPOINT_FOR = "istio.io/waypoint-for";
  static final String INBOUND_BINDING = "ambient.istio.io/waypoint-inbound-binding";
  static final String GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name";
  static final String MANAGED_LABEL = "gateway.istio.io/managed";

  static final Waypoints NONE = new Waypoints(Map.of());

  /**
   * One waypoint.
   *
   * @param address where clients send its traffic; null if its status has no typed address
   * @param binding how its own pods take inbound traffic from ztunnel; null: plain HBONE
   * @param from which namespaces may attach: All, Same or Selector
   * @param selector for Selector, which namespace labels may (null: none may)
   */
  record Waypoint(
      String namespace,
      String name,
      GatewayAddress address,
      ApplicationTunnel binding,
      String trafficType,
      String from,
      Predicate<Map<String, String>> selector) {

    boolean allowsFrom(String ns, Map<String, String> nsLabels) {
      return switch (from) {
        case "All" -> true;
        case "Selector" ->
            selector != null && selector.test(nsLabels == null ? Map.of() : nsLabels);
        default -> namespace.equals(ns);
      };
    }

    boolean carries(String traffic) {
      return trafficType.equals(traffic) || trafficType.equals("all");
    }
  }

  private final Map<String, Waypoint> byName;

  private Waypoints(Map<String, Waypoint> byName) {
    this.byName = byName;
  }

  /**
   * @param gateways the Gateway API Gateways (spec and status)
   * @param classes the GatewayClasses (their waypoint-for label and inbound-binding annotation)
   * @param network this cluster's network, for waypoints known by IP
   */
  static Waypoints of(List<Config> gateways, List<Config> classes, String network) {
    Map<String, Config> classByName = new HashMap<>();
    for (Config c : classes) {
      classByName.put(c.name(), c);
    }
    Map<String, Waypoint> out = new HashMap<>();
    for (Config g : gateways) {
      try {
        Waypoint w = waypoint(g, classByName, network);
        if (w != null) {
          out.put(g.namespace() + "/" + g.name(), w);
        }
      } catch (RuntimeException e) {
        log.warn("Gateway {}/{}: not a waypoint: {}", g.namespace(), g.name(), e.toString());
      }
    }
    return new Waypoints(Map.copyOf(out));
  }

  private static Waypoint waypoint(Config g, Map<String, Config> classes, String network) {
    GatewayStatus status = g.status() == null ? null : g.status(GatewayStatus.class);
    if (status == null || status.getAddressesCount() == 0) {
      return null; // not ready (or not a waypoint): its status gets an address once it is
    }
    GatewaySpec spec = g.spec(GatewaySpec.class);
    Config cls = classes.get(spec.getGatewayClassName());
    String traffic = "service";
    if (cls != null && labels(cls).containsKey(WAYPOINT_FOR)) {
      traffic = labels(cls).get(WAYPOINT_FOR);
    }
    traffic = labels(g).getOrDefault(WAYPOINT_FOR, traffic);
    String bindingValue = annotations(g).get(INBOUND_BINDING);
    if (bindingValue == null && cls != null) {
      bindingValue = annotations(cls).get(INBOUND_BINDING);
    }
    ApplicationTunnel binding = bindingValue == null ? null : binding(bindingValue);
    Listener listener = boundListener(spec.getListenersList(), binding);
    String from = "Same";
    Predicate<Map<String, String>> selector = null;
    if (listener != null
        && listener.hasAllowedRoutes()
        && listener.getAllowedRoutes().hasNamespaces()) {
      var ns = listener.getAllowedRoutes().getNamespaces();
      from = ns.hasFrom() ? ns.getFrom() : "Same";
      // no selector selects nothing, an empty one everything (metav1.LabelSelectorAsSelector)
      selector = ns.hasSelector() ? LabelSelectors.of(ns.getSelector()) : null;
    }
    return new Waypoint(
        g.namespace(),
        g.name(),
        address(g.namespace(), status, network),
        binding,
        traffic,
        from,
        selector);
  }

  /** {@code PROTOCOL} or {@code PROTOCOL/PORT}, NONE or PROXY; null if it is neither. */
  private static ApplicationTunnel binding(String value) {
    String[] parts = value.split("/", -1);
    if (parts.length > 2) {
      return null;
    }
    ApplicationTunnel.Protocol protocol =
        switch (parts[0]) {
          case "NONE" -> ApplicationTunnel.Protocol.NONE;
          case "PROXY" -> ApplicationTunnel.Protocol.PROXY;
          default -> null;
        };
    if (protocol == null) {
      return null;
    }
    int port = 0;
    if (parts.length == 2) {
      try {
        long p = Long.parseLong(parts[1]);
        port = p < 0 || p > 0xFFFFFFFFL ? 0 : (int) p; // istiod keeps 0 for what does not parse
      } catch (NumberFormatException e) {
        port = 0;
      }
    }
    return ApplicationTunnel.newBuilder().setProtocol(protocol).setPort(port).build();
  }

  /** The listener the binding names (by port, else the PROXY listener), else HBONE on 15008. */
  private static Listener boundListener(List<Listener> listeners, ApplicationTunnel binding) {
    if (binding != null) {
      for (Listener l : listeners) {
        if (binding.getPort() != 0
            ? l.getPort() == binding.getPort()
            : binding.getProtocol() == ApplicationTunnel.Protocol.PROXY
                && l.getProtocol().equals("istio.io/PROXY")) {
          return l;
        }
      }
    }
    for (Listener l : listeners) {
      if (l.getProtocol().equals("HBONE") && l.getPort() == 15008) {
        return l;
      }
    }
    return null;
  }

  /** The first Hostname address of the status, else its first IPAddress, with the HBONE port. */
  private static GatewayAddress address(String namespace, GatewayStatus status, String network) {
    for (GatewayStatusAddress a : status.getAddressesList()) {
      if (a.hasType() && a.getType().equals("Hostname")) {
        return GatewayAddress.newBuilder()
            .setHostname(
                NamespacedHostname.newBuilder().setNamespace(namespace).setHostname(a.getValue()))
            .setHboneMtlsPort(15008)
            .build();
      }
    }
    for (GatewayStatusAddress a : status.getAddressesList()) {
      if (a.hasType() && a.getType().equals("IPAddress")) {
        ByteString ip = IpBytes.parse(a.getValue());
        if (ip == null) {
          continue;
        }
        return GatewayAddress.newBuilder()
            .setAddress(NetworkAddress.newBuilder().setNetwork(network).setAddress(ip))
            .setHboneMtlsPort(15008)
            .build();
      }
    }
    return null;
  }

  /** The waypoint a pod is an instance of (its gateway-name label), or null. */
  Waypoint instanceOf(String namespace, Map<String, String> labels) {
    String gw = labels.get(GATEWAY_NAME_LABEL);
    return gw == null || gw.isEmpty() ? null : byName.get(namespace + "/" + gw);
  }

  /**
   * How a Service or ServiceEntry binds to a waypoint, for its {@code istio.io/WaypointBound}
   * status: the waypoint, or why the one it asks for cannot be used (reason and message as istiod
   * reports them), or neither when it asks for none.
   */
  record Binding(Waypoint waypoint, String reason, String message) {
    static final Binding NONE = new Binding(null, null, null);

    static Binding failed(String reason, String message) {
      return new Binding(null, reason, message);
    }

    boolean failed() {
      return reason != null;
    }
  }

  /** The waypoint of a Service, or null; waypoints and east-west gateways have none. */
  Waypoint forService(
      String namespace, Map<String, String> labels, Map<String, Map<String, String>> nsLabels) {
    return bindService(namespace, labels, nsLabels).waypoint();
  }

  /** The waypoint binding of a Service (or ServiceEntry): the waypoint, or why it has none. */
  Binding bindService(
      String namespace, Map<String, String> labels, Map<String, Map<String, String>> nsLabels) {
    String managed = labels.get(MANAGED_LABEL);
    if ("istio.io-mesh-controller".equals(managed)
        || "istio.io-eastwest-controller".equals(managed)) {
      return Binding.NONE;
    }
    Binding b = resolve(namespace, labels, nsLabels);
    if (b.waypoint() == null || b.waypoint().carries("service")) {
      return b;
    }
    String name = b.waypoint().namespace() + "/" + b.waypoint().name();
    return Binding.failed(
        "UnsupportedTrafficType",
        "attempting to bind to traffic type \"service\" which the waypoint \""
            + name
            + "\" does not support");
  }

  /** The waypoint of a workload, or null. */
  Waypoint forWorkload(
      String namespace, Map<String, String> labels, Map<String, Map<String, String>> nsLabels) {
    Waypoint w = resolve(namespace, labels, nsLabels).waypoint();
    return w != null && w.carries("workload") ? w : null;
  }

  /** The waypoint the object's labels, else its namespace's, name, if it may attach to it. */
  private Binding resolve(
      String namespace, Map<String, String> labels, Map<String, Map<String, String>> nsLabels) {
    String named = labels.get(USE_WAYPOINT);
    if (named != null) {
      if (named.equals("none")) {
        return Binding.NONE; // opted out, whatever the namespace says
      }
      return attach(
          labels.getOrDefault(USE_WAYPOINT_NAMESPACE, namespace) + "/" + named,
          namespace,
          nsLabels.get(namespace));
    }
    Map<String, String> ns = nsLabels.get(namespace);
    if (ns == null) {
      return Binding.NONE;
    }
    String fromNs = ns.get(USE_WAYPOINT);
    if (fromNs == null || fromNs.equals("none")) {
      return Binding.NONE;
    }
    return attach(ns.getOrDefault(USE_WAYPOINT_NAMESPACE, namespace) + "/" + fromNs, namespace, ns);
  }

  /** Waypoint {@code key} for an object of {@code namespace}, or why it cannot have it. */
  private Binding attach(String key, String namespace, Map<String, String> nsLabels) {
    Waypoint w = byName.get(key);
    if (w == null) {
      // not (yet) a waypoint: a Gateway without an address in its status, or none at all
      return Binding.failed("WaypointIsNotReady", "waypoint \"" + key + "\" is not ready");
    }
    if (!w.allowsFrom(namespace, nsLabels)) {
      return Binding.failed(
          "AttachmentDenied",
          "we are not permitted to attach to waypoint \"" + key + "\" (missing allowedRoutes?)");
    }
    return new Binding(w, null, null);
  }

  /** Whether {@code namespace/name} is a waypoint (a Gateway with an address in its status). */
  boolean contains(String key) {
    return byName.containsKey(key);
  }

  private static Map<String, String> labels(Config c) {
    return c.meta().labels() == null ? Map.of() : c.meta().labels();
  }

  private static Map<String, String> annotations(Config c) {
    return c.meta().annotations() == null ? Map.of() : c.meta().annotations();
  }
}
