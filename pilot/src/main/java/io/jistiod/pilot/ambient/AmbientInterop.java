package io.jistiod.pilot.ambient;

import io.jistiod.pilot.model.Endpoint;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.Optional;

/**
 * What Envoy sidecars and gateways of one push need to know about ambient mode (istiod's sidecar
 * interop): whether they send HBONE at all, which endpoints take it, and which services gateways
 * reach through their waypoint. Off (the default) unless istiod runs with {@code
 * PILOT_ENABLE_AMBIENT}: then the push context builder registers this push's.
 */
public final class AmbientInterop {
  /** Ambient mode off: no HBONE, no waypoints. */
  public static final AmbientInterop OFF =
      new AmbientInterop(false, false, false, false, AddressIndex.EMPTY);

  /** Pod label of a waypoint's own pods: they always take HBONE. */
  static final String MANAGED_LABEL = "gateway.istio.io/managed";

  static final String MESH_CONTROLLER = "istio.io-mesh-controller";

  /** Label by which a workload says it terminates HBONE itself. */
  static final String TUNNEL_LABEL = "networking.istio.io/tunnel";

  private final boolean sendHbone;
  private final boolean preferHbone;
  private final boolean ingressWaypointRouting;
  private final boolean sidecarListenHbone;
  private final AddressIndex addresses;

  private AmbientInterop(
      boolean sendHbone,
      boolean preferHbone,
      boolean ingressWaypointRouting,
      boolean sidecarListenHbone,
      AddressIndex addresses) {
    this.sendHbone = sendHbone;
    this.preferHbone = preferHbone;
    this.ingressWaypointRouting = ingressWaypointRouting;
    this.sidecarListenHbone = sidecarListenHbone;
    this.addresses = addresses;
  }

  /** Ambient mode on, with {@code settings}' flags, over this push's workload addresses. */
  public static AmbientInterop of(AmbientSettings settings, AddressIndex addresses) {
    return new AmbientInterop(
        settings.sendHbone(),
        settings.preferHbone(),
        settings.ingressWaypointRouting(),
        settings.sidecarListenHbone(),
        addresses);
  }

  /** The push's: {@link #OFF} unless the push context builder registered one. */
  public static AmbientInterop of(PushContext push) {
    return push.index(AmbientInterop.class, p -> OFF);
  }

  /**
   * Whether sidecars and gateways get the {@code connect_originate} listener and cluster and HBONE
   * transport socket matches on their outbound clusters (PILOT_ENABLE_SENDING_HBONE).
   */
  public boolean sendHbone() {
    return sendHbone;
  }

  /**
   * Whether the sidecar accepts HBONE on 15008 ({@code connect_terminate} and its {@code
   * main_internal} listener and cluster): its agent asked for it ({@code ENABLE_HBONE}, which
   * Istio's ambient profile puts in every proxy's metadata) and istiod allows it ({@code
   * PILOT_ENABLE_SIDECAR_LISTENING_HBONE}). Never without ambient mode.
   */
  public boolean listensHbone(Proxy proxy) {
    if (!sidecarListenHbone || proxy.type() != Proxy.NodeType.SIDECAR) {
      return false;
    }
    var v = proxy.metadata().raw().getFieldsMap().get("ENABLE_HBONE");
    return v != null && metadataTrue(v);
  }

  /**
   * Whether {@code e} can be reached over HBONE: a waypoint's pod, a workload labelled {@code
   * networking.istio.io/tunnel: http}, or one the workload API marks as taking HBONE (captured by
   * ztunnel). Independent of whether this client would.
   */
  public boolean supportsTunnel(Endpoint e) {
    return MESH_CONTROLLER.equals(e.labels().get(MANAGED_LABEL)) || takesHbone(e);
  }

  /**
   * Whether the workload behind {@code e} takes HBONE itself (labelled {@code
   * networking.istio.io/tunnel: http}) or through ztunnel: what istiod checks when it decides
   * service-wide that every endpoint of a service is reached over HBONE (a waypoint's own label
   * does not count there).
   */
  public boolean takesHbone(Endpoint e) {
    return tunnelLabelSaysHttp(e.labels().get(TUNNEL_LABEL)) || addresses.takesHbone(e.address());
  }

  /**
   * Whether the proxy can tunnel at all: an Envoy (a proxyless gRPC client cannot, whatever the
   * server supports) whose agent did not turn sending HBONE off ({@code DISABLE_HBONE_SEND}).
   */
  public static boolean clientTunnels(Proxy proxy) {
    if ("grpc".equals(proxy.generator())) {
      return false;
    }
    var v = proxy.metadata().raw().getFieldsMap().get("DISABLE_HBONE_SEND");
    return v == null || !metadataTrue(v);
  }

  /**
   * Whether the proxy is a waypoint (a pod of Istio's waypoint deployment): it has its own config.
   */
  public static boolean isWaypoint(Proxy proxy) {
    return proxy.type() == Proxy.NodeType.ROUTER
        && MESH_CONTROLLER.equals(proxy.metadata().labels().get(MANAGED_LABEL));
  }

  /** A boolean node metadata value: pilot-agent sends strings ("true"), parsed as Go does. */
  static boolean metadataTrue(com.google.protobuf.Value v) {
    if (v.hasBoolValue()) {
      return v.getBoolValue();
    }
    return switch (v.getStringValue()) {
      case "1", "t", "T", "TRUE", "true", "True" -> true;
      default -> false;
    };
  }

  /** The tunnel label is a comma-separated list of tunnel types. */
  private static boolean tunnelLabelSaysHttp(String v) {
    if (v == null) {
      return false;
    }
    for (String t : v.split(",", -1)) {
      if (t.equals("http")) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether an Envoy client (not a proxyless gRPC one, which cannot tunnel) sends {@code e} its
   * traffic over HBONE: only where Istio mTLS through a sidecar is not possible, unless HBONE is
   * preferred. The client may still have HBONE turned off (DISABLE_HBONE_SEND).
   */
  public boolean tunnels(Endpoint e) {
    if (!supportsTunnel(e)) {
      return false;
    }
    return preferHbone || !"istio".equals(e.tlsMode());
  }

  /**
   * Whether any of {@code hosts} is the waypoint a gateway sends some service's traffic to: then
   * that service's endpoints change with it.
   */
  public boolean routesIngressThroughAny(java.util.Set<String> hosts) {
    return ingressWaypointRouting && addresses.isIngressWaypoint(hosts);
  }

  /**
   * The waypoint a gateway sends the service's traffic to, when ingress waypoint routing is on and
   * the service (or its namespace) opted in.
   */
  public Optional<AddressIndex.ServiceWaypoint> ingressWaypoint(String namespace, String hostname) {
    if (!ingressWaypointRouting) {
      return Optional.empty();
    }
    return addresses
        .waypointOf(namespace, hostname)
        .filter(AddressIndex.ServiceWaypoint::ingressUse);
  }
}
